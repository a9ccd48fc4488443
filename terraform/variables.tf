# ---------------------------------------------------------------------------
# Required
# ---------------------------------------------------------------------------

variable "project_id" {
  description = "The ID of the Google Cloud project that receives every resource of this configuration."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "The project_id must be a project ID (6-30 lowercase letters, digits or hyphens, starting with a letter), not a project name or number."
  }
}

# ---------------------------------------------------------------------------
# Placement and naming
# ---------------------------------------------------------------------------

variable "region" {
  description = "The region of the function, its Artifact Registry repository and, unless bucket_location is set, the archive bucket (see https://cloud.google.com/functions/docs/locations)."
  type        = string
  nullable    = false
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region must be a Google Cloud region such as us-central1 or europe-west1, not a zone or a multi-region."
  }
}

variable "name" {
  description = "The name of the function; it also names the Cloud Run service, the service accounts, the secret and, unless set explicitly, the buckets."
  type        = string
  nullable    = false
  default     = "alertarchive"

  validation {
    # 4-24 characters keeps "<name>-build" within the 30-character limit of
    # service account IDs and "<project>-<name>-archive" within 63 for buckets.
    condition     = can(regex("^[a-z][a-z0-9-]{2,22}[a-z0-9]$", var.name))
    error_message = "The name must be 4-24 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (Cloud Run service names are kebab-case)."
  }
}

variable "labels" {
  description = "Labels added to every resource that supports them, for example {team = \"sre\", env = \"prod\"}."
  type        = map(string)
  nullable    = false
  default     = {}

  validation {
    condition = alltrue([
      for key, value in var.labels :
      can(regex("^[a-z][a-z0-9_-]{0,62}$", key)) && can(regex("^[a-z0-9_-]{0,63}$", value))
    ])
    error_message = "Label keys must start with a lowercase letter and, like values, use at most 63 lowercase letters, digits, underscores or hyphens."
  }
}

variable "enable_apis" {
  description = "Whether to enable the project services this configuration needs; set false when another configuration owns project services."
  type        = bool
  nullable    = false
  default     = true
}

# ---------------------------------------------------------------------------
# Archive bucket
# ---------------------------------------------------------------------------

variable "bucket_name" {
  description = "The globally unique name of the archive bucket; null derives \"<project_id>-<name>-archive\"."
  type        = string
  default     = null

  validation {
    condition = var.bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name)) && !startswith(coalesce(var.bucket_name, "x"), "goog")
    )
    error_message = "The bucket_name must be 3-63 lowercase letters, digits, hyphens or underscores, start and end with a letter or digit, and not start with \"goog\" (dotted names need domain verification and are not supported here)."
  }
}

variable "bucket_location" {
  description = "The location of the archive bucket: a region, a multi-region (US, EU, ASIA) or a predefined dual-region (ASIA1, EUR4, EUR5, EUR7, EUR8, NAM4); see https://cloud.google.com/storage/docs/locations. null uses region."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_location == null || can(regex("^(?i)([a-z]+-[a-z]+[0-9]+|US|EU|ASIA|ASIA1|EUR4|EUR5|EUR7|EUR8|NAM4)$", coalesce(var.bucket_location, "-")))
    error_message = "The bucket_location must be a region such as europe-west1, a multi-region (US, EU, ASIA) or a predefined dual-region (ASIA1, EUR4, EUR5, EUR7, EUR8, NAM4); configurable dual-regions are not supported here."
  }
}

variable "archive_prefix" {
  description = "An optional object prefix inside the archive bucket, without leading or trailing slash, so that ARCHIVE_URL becomes gs://BUCKET/PREFIX."
  type        = string
  nullable    = false
  default     = ""

  validation {
    condition     = var.archive_prefix == "" || can(regex("^[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$", var.archive_prefix))
    error_message = "The archive_prefix must be empty or path segments of letters, digits, \"_\", \".\", \"=\" or \"-\" separated by single slashes, without a leading or trailing slash."
  }
}

variable "storage_class" {
  description = "The storage class new archive objects are written in; lifecycle transitions below may move them to colder classes later."
  type        = string
  nullable    = false
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"], var.storage_class)
    error_message = "The storage_class must be one of STANDARD, NEARLINE, COLDLINE or ARCHIVE."
  }
}

variable "retention_days" {
  description = "The age in days after which archived notifications are deleted by a lifecycle rule; 0 keeps them forever."
  type        = number
  nullable    = false
  default     = 400

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "The retention_days must be a whole number of days, 0 or more."
  }
}

variable "nearline_after_days" {
  description = "The age in days after which archived objects move to Nearline storage; 0 disables the transition. Nearline bills at least 30 days per object."
  type        = number
  nullable    = false
  default     = 0

  validation {
    condition = var.nearline_after_days >= 0 && floor(var.nearline_after_days) == var.nearline_after_days && (
      var.nearline_after_days == 0 || var.retention_days == 0 || var.nearline_after_days < var.retention_days
    )
    error_message = "The nearline_after_days must be a whole number, 0 to disable, and smaller than retention_days when both are set."
  }
}

variable "coldline_after_days" {
  description = "The age in days after which archived objects move to Coldline storage; 0 disables the transition. Coldline bills at least 90 days per object."
  type        = number
  nullable    = false
  default     = 0

  validation {
    condition = var.coldline_after_days >= 0 && floor(var.coldline_after_days) == var.coldline_after_days && (
      var.coldline_after_days == 0 || var.retention_days == 0 || var.coldline_after_days < var.retention_days
      ) && (
      var.coldline_after_days == 0 || var.nearline_after_days == 0 || var.coldline_after_days > var.nearline_after_days
    )
    error_message = "The coldline_after_days must be a whole number, 0 to disable, smaller than retention_days and larger than nearline_after_days when those are set."
  }
}

variable "retention_policy_days" {
  description = "The minimum age in days before any archived object can be deleted or replaced, enforced by a bucket retention policy for audit use; 0 sets no policy."
  type        = number
  nullable    = false
  default     = 0

  validation {
    condition = var.retention_policy_days >= 0 && floor(var.retention_policy_days) == var.retention_policy_days && var.retention_policy_days <= 36500 && (
      var.retention_policy_days == 0 || var.retention_days == 0 || var.retention_policy_days <= var.retention_days
    )
    error_message = "The retention_policy_days must be a whole number from 0 to 36500 and must not exceed retention_days, or the lifecycle rule could never delete anything."
  }
}

variable "retention_policy_locked" {
  description = "Whether to lock the retention policy (Bucket Lock). Locking is IRREVERSIBLE: the policy can then never be shortened or removed and the bucket cannot be deleted until every object has aged out."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.retention_policy_locked || var.retention_policy_days > 0
    error_message = "The retention_policy_locked flag needs retention_policy_days greater than 0."
  }
}

variable "soft_delete_retention_days" {
  description = "How many days deleted archive objects stay recoverable through soft delete; 0 disables soft delete (see https://cloud.google.com/storage/docs/soft-delete)."
  type        = number
  nullable    = false
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days == 0 || (var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90)
    error_message = "The soft_delete_retention_days must be 0 (disabled) or between 7 and 90."
  }
}

variable "kms_key_name" {
  description = "An optional Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) that encrypts the archive bucket; the Cloud Storage service agent is granted use of it. The key must be in the bucket's location."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "The kms_key_name must be a full key name: projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY."
  }
}

variable "force_destroy" {
  description = "Whether terraform destroy may delete the buckets while they still hold objects. Leave false for a real archive."
  type        = bool
  nullable    = false
  default     = false
}

# ---------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------

variable "max_instance_request_concurrency" {
  description = "How many requests one instance serves at once; THREADS is set to the same value, as the Python runtime needs (see https://cloud.google.com/functions/docs/configuring/concurrency)."
  type        = number
  nullable    = false
  default     = 8

  validation {
    condition     = var.max_instance_request_concurrency >= 1 && var.max_instance_request_concurrency <= 1000 && floor(var.max_instance_request_concurrency) == var.max_instance_request_concurrency
    error_message = "The max_instance_request_concurrency must be a whole number from 1 to 1000."
  }
}

variable "available_cpu" {
  description = "The vCPUs of each instance, as a string (\"0.083\" to \"8\"); concurrency above 1 needs at least \"1\"."
  type        = string
  nullable    = false
  default     = "1"

  validation {
    # try(): && evaluates both sides, so tonumber("abc") would fail before the message shows.
    condition     = try(tonumber(var.available_cpu) > 0 && (var.max_instance_request_concurrency == 1 || tonumber(var.available_cpu) >= 1), false)
    error_message = "The available_cpu must be a number as a string, and at least \"1\" when max_instance_request_concurrency is above 1."
  }
}

variable "available_memory" {
  description = "The memory of each instance with a unit, for example \"256Mi\", \"512Mi\" or \"1Gi\"."
  type        = string
  nullable    = false
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|M|G)$", var.available_memory))
    error_message = "The available_memory must be a number followed by Mi, Gi, M or G, for example \"512Mi\"."
  }
}

variable "min_instance_count" {
  description = "The number of instances kept warm; 0 means no idle cost and an occasional cold start, which Alertmanager absorbs by retrying."
  type        = number
  nullable    = false
  default     = 0

  validation {
    condition     = var.min_instance_count >= 0 && floor(var.min_instance_count) == var.min_instance_count
    error_message = "The min_instance_count must be a whole number, 0 or more."
  }
}

variable "max_instance_count" {
  description = "The upper bound on instances, which caps cost and the blast radius of a flood of requests."
  type        = number
  nullable    = false
  default     = 10

  validation {
    condition     = var.max_instance_count >= 1 && floor(var.max_instance_count) == var.max_instance_count && var.max_instance_count >= var.min_instance_count
    error_message = "The max_instance_count must be a whole number of at least 1 and not below min_instance_count."
  }
}

variable "timeout_seconds" {
  description = "The request timeout of the function in seconds; it must leave room for storage_timeout_seconds."
  type        = number
  nullable    = false
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 3600 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "The timeout_seconds must be a whole number from 1 to 3600."
  }
}

variable "storage_timeout_seconds" {
  description = "How long the function waits for a Cloud Storage write before answering 503 so that Alertmanager retries (STORAGE_TIMEOUT_SECONDS)."
  type        = number
  nullable    = false
  default     = 8

  validation {
    condition     = var.storage_timeout_seconds > 0 && var.storage_timeout_seconds < var.timeout_seconds
    error_message = "The storage_timeout_seconds must be greater than 0 and smaller than timeout_seconds, or the platform kills the request before the function can answer 503."
  }
}

variable "max_body_bytes" {
  description = "The largest notification body accepted, in bytes (MAX_BODY_BYTES); larger ones get 413. The platform limit is 32 MiB."
  type        = number
  nullable    = false
  default     = 10485760

  validation {
    condition     = var.max_body_bytes >= 1024 && var.max_body_bytes <= 33554432 && floor(var.max_body_bytes) == var.max_body_bytes
    error_message = "The max_body_bytes must be a whole number from 1024 to 33554432 (the 32 MiB request limit of Cloud Run functions)."
  }
}

variable "ingress_settings" {
  description = "Which networks may reach the function: ALLOW_ALL (Alertmanager outside Google Cloud), ALLOW_INTERNAL_ONLY (same VPC) or ALLOW_INTERNAL_AND_GCLB (behind a load balancer)."
  type        = string
  nullable    = false
  default     = "ALLOW_ALL"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "The ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "invoker_members" {
  description = "The principals granted roles/run.invoker on the function. The default allUsers is needed because Alertmanager cannot send Google ID tokens; the function then checks the bearer token itself."
  type        = list(string)
  nullable    = false
  default     = ["allUsers"]

  validation {
    condition = alltrue([
      for member in var.invoker_members :
      member == "allUsers" || can(regex("^(user|serviceAccount|group|domain|principal|principalSet):.+$", member))
    ])
    error_message = "Each invoker member must be allUsers or an IAM principal such as serviceAccount:NAME@PROJECT.iam.gserviceaccount.com."
  }
}

# ---------------------------------------------------------------------------
# Webhook token
# ---------------------------------------------------------------------------

variable "webhook_token_generation" {
  description = "A counter for the generated webhook token; change it to generate a new token (see the rotation steps in README.md)."
  type        = number
  nullable    = false
  default     = 1
}

variable "additional_webhook_tokens" {
  description = "Extra bearer tokens the function also accepts, for example the previous token during a rotation or one token per Alertmanager cluster."
  type        = list(string)
  nullable    = false
  default     = []
  sensitive   = true

  validation {
    condition = alltrue([
      for token in var.additional_webhook_tokens : can(regex("^[A-Za-z0-9._~+/=-]{16,}$", token))
    ])
    error_message = "Each additional webhook token must be at least 16 characters of letters, digits or ._~+/=- (no commas or spaces: the function splits WEBHOOK_TOKENS on commas)."
  }
}

# ---------------------------------------------------------------------------
# Optional: BigQuery
# ---------------------------------------------------------------------------

variable "enable_bigquery" {
  description = "Whether to create a BigQuery dataset with an external table and views over the archive, queryable with SQL without copying data."
  type        = bool
  nullable    = false
  default     = false
}

variable "bigquery_dataset_id" {
  description = "The ID of the BigQuery dataset created when enable_bigquery is true."
  type        = string
  nullable    = false
  default     = "alertarchive"

  validation {
    # Terraform's regex engine refuses repeat counts above 1000, so the length is checked apart.
    condition     = can(regex("^[A-Za-z0-9_]+$", var.bigquery_dataset_id)) && length(var.bigquery_dataset_id) <= 1024
    error_message = "The bigquery_dataset_id must be 1-1024 letters, digits or underscores."
  }
}

variable "bigquery_location" {
  description = "The location of the BigQuery dataset; null takes the archive bucket's location, which works for a region or the US and EU multi-regions. BigQuery has no ASIA multi-region and names no dual-region, so set it for those (see https://cloud.google.com/bigquery/docs/locations)."
  type        = string
  default     = null

  validation {
    condition = var.bigquery_location != null || !var.enable_bigquery || can(regex(
      "^(?i)(US|EU|[a-z]+-[a-z]+[0-9]+)$", coalesce(var.bucket_location, var.region)
    ))
    error_message = "With enable_bigquery and a bucket_location of ASIA or a dual-region, set bigquery_location to a BigQuery location that may read that bucket: the region or multi-region holding it, for example asia-northeast1 for ASIA1 or EU for EUR4."
  }
}

variable "bigquery_require_partition_filter" {
  description = "Whether BigQuery rejects queries on the archive that do not filter on the dt partition, which keeps scans (and bills) proportional to the days asked for."
  type        = bool
  nullable    = false
  default     = true
}

# ---------------------------------------------------------------------------
# Optional: monitoring
# ---------------------------------------------------------------------------

variable "enable_monitoring" {
  description = "Whether to create log-based metrics and alert policies for failed archive writes and rejected requests."
  type        = bool
  nullable    = false
  default     = false
}

variable "enable_freshness_alert" {
  description = "Whether to alert when nothing has been archived for freshness_alert_minutes; pair it with Alertmanager's always-firing Watchdog alert (see examples/)."
  type        = bool
  nullable    = false
  default     = false
}

variable "freshness_alert_minutes" {
  description = "How many minutes without an archived notification trigger the freshness alert; keep it above the Watchdog route's repeat_interval."
  type        = number
  nullable    = false
  default     = 30

  validation {
    condition     = var.freshness_alert_minutes >= 2 && var.freshness_alert_minutes <= 1410 && floor(var.freshness_alert_minutes) == var.freshness_alert_minutes
    error_message = "The freshness_alert_minutes must be a whole number from 2 to 1410 (the range Cloud Monitoring accepts for metric-absence conditions)."
  }
}

variable "rejected_requests_threshold" {
  description = "How many requests from clients other than Alertmanager may be refused (401, 4xx) within 5 minutes before an incident opens. With a public invoker, internet scanners produce a steady trickle of these; refusals of Alertmanager's own requests and quarantined bodies alert on the first one whatever this says."
  type        = number
  nullable    = false
  default     = 50

  validation {
    condition     = var.rejected_requests_threshold >= 0 && floor(var.rejected_requests_threshold) == var.rejected_requests_threshold
    error_message = "The rejected_requests_threshold must be a whole number, 0 or more."
  }
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel IDs (projects/P/notificationChannels/ID) that the alert policies notify."
  type        = list(string)
  nullable    = false
  default     = []

  validation {
    condition = alltrue([
      for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))
    ])
    error_message = "Each notification channel must be a full ID: projects/PROJECT/notificationChannels/ID."
  }

  validation {
    condition     = length(var.notification_channels) > 0 || !(var.enable_monitoring || var.enable_freshness_alert)
    error_message = "The alert policies that enable_monitoring and enable_freshness_alert create would notify nobody: list at least one notification channel in notification_channels (gcloud beta monitoring channels list)."
  }
}
