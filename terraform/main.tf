locals {
  bucket_name        = coalesce(var.bucket_name, "${var.project_id}-${var.name}-archive")
  source_bucket_name = "${var.project_id}-${var.name}-source"
  bucket_location    = upper(coalesce(var.bucket_location, var.region))

  # The function writes [PREFIX/]alerts/... and [PREFIX/]quarantine/...; see README.md.
  object_prefix = var.archive_prefix == "" ? "" : "${var.archive_prefix}/"
  archive_url   = "gs://${google_storage_bucket.archive.name}${var.archive_prefix == "" ? "" : "/${var.archive_prefix}"}"

  labels = merge({ app = "alertarchive", component = var.name }, var.labels)

  # BigQuery names multi-regions in capitals (US, EU) and regions in lowercase; other bucket
  # locations have no BigQuery twin, and variables.tf requires bigquery_location for them.
  bigquery_location = coalesce(
    var.bigquery_location,
    contains(["US", "EU"], local.bucket_location) ? local.bucket_location : lower(local.bucket_location),
  )

  monitoring_enabled = var.enable_monitoring || var.enable_freshness_alert
  services = concat(
    [
      "artifactregistry.googleapis.com",
      "cloudbuild.googleapis.com",
      "cloudfunctions.googleapis.com",
      "cloudresourcemanager.googleapis.com",
      "iam.googleapis.com",
      "run.googleapis.com",
      "secretmanager.googleapis.com",
      "storage.googleapis.com",
    ],
    var.enable_bigquery ? ["bigquery.googleapis.com"] : [],
    local.monitoring_enabled ? ["logging.googleapis.com", "monitoring.googleapis.com"] : [],
  )

  # archive_file matches these doublestar globs against paths relative to the
  # repository root and prunes matching directories. The deployed zip must hold
  # only main.py, requirements.txt and alertarchive/;
  # tests/test_terraform_contract.py replays the walk and fails when anything else would
  # slip in. ".?*" rather than ".*": the root itself is walked as "." and ".*"
  # would match it, excluding everything.
  source_excludes = [
    ".?*",    # .git, .venv, .venv-*, .ci, .pytest_cache, .ruff_cache, .env files
    "**/.?*", # dotfiles anywhere, e.g. editor state inside alertarchive/
    "**/__pycache__",
    "**/*.py[cod]",
    # The alertarchive CLI: the function never imports it (tests/test_layers.py), and
    # `python -m alertarchive` only starts it.
    "alertarchive/__main__.py",
    "alertarchive/browse",
    "archive", # the local archive written by `alertarchive` runs
    "bench",
    "build",
    "demo-archive",
    "dist",
    "docs",
    "examples",
    "htmlcov",
    "schema", # a link to alertarchive/schemas, which is deployed as package data
    "scripts",
    "terraform", # also holds .terraform/ and the zip itself (.build/)
    "tests",
    "*.egg-info",
    "*.html",
    "*.lock",
    "*.log",
    "*.md",
    "*.zip",
    "LICENSE*",
    "Makefile",
    "noxfile.py",
    "pyproject.toml",
    "requirements-*.txt", # dev pins; requirements.txt itself is deployed
    "setup.cfg",
    "tox.ini",
  ]

  # The buckets the function build reads its source from (see build_source_reader).
  build_source_buckets = [
    google_storage_bucket.source.name,
    "gcf-v2-sources-${data.google_project.this.number}-${var.region}",
  ]

  log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${google_cloudfunctions2_function.this.name}\"",
  ])
}

# ---------------------------------------------------------------------------
# Project services
# ---------------------------------------------------------------------------

resource "google_project_service" "this" {
  for_each = var.enable_apis ? toset(local.services) : toset([])

  project = var.project_id
  service = each.value

  # Other workloads in the project may rely on these APIs too.
  disable_on_destroy = false
}

# A freshly enabled API answers before its service agents exist and its permissions reach every
# region; Google's own samples wait after enabling (e.g. terraform-google-modules/project-factory
# and the Cloud Functions gen2 samples use time_sleep). Nothing to wait for when the APIs were on.
resource "time_sleep" "services_ready" {
  create_duration = var.enable_apis ? "90s" : "0s"

  depends_on = [time_sleep.services_ready]
}

# ---------------------------------------------------------------------------
# Archive bucket
# ---------------------------------------------------------------------------

resource "google_storage_bucket" "archive" {
  #checkov:skip=CKV_GCP_62:Usage/storage logs are legacy; Cloud Audit Logs (Data Access) record object access, and a log bucket would itself fail this check.
  #checkov:skip=CKV_GCP_78:Objects are write-once (objectCreator + ifGenerationMatch=0); soft delete covers accidents and versioning is incompatible with the optional retention policy.
  project  = var.project_id
  name     = local.bucket_name
  location = local.bucket_location
  labels   = local.labels

  storage_class               = var.storage_class
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_days * 86400
  }

  dynamic "lifecycle_rule" {
    for_each = var.retention_days > 0 ? [var.retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.nearline_after_days > 0 ? [var.nearline_after_days] : []
    content {
      condition {
        age                   = lifecycle_rule.value
        matches_storage_class = ["STANDARD"]
      }
      action {
        type          = "SetStorageClass"
        storage_class = "NEARLINE"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.coldline_after_days > 0 ? [var.coldline_after_days] : []
    content {
      condition {
        age                   = lifecycle_rule.value
        matches_storage_class = ["STANDARD", "NEARLINE"]
      }
      action {
        type          = "SetStorageClass"
        storage_class = "COLDLINE"
      }
    }
  }

  dynamic "retention_policy" {
    for_each = var.retention_policy_days > 0 ? [var.retention_policy_days] : []
    content {
      retention_period = tostring(retention_policy.value * 86400)
      is_locked        = var.retention_policy_locked
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  depends_on = [
    time_sleep.services_ready,
    time_sleep.storage_agent_key_access,
  ]
}

data "google_storage_project_service_account" "this" {
  count   = var.kms_key_name == null ? 0 : 1
  project = var.project_id
}

# Cloud Storage encrypts with a CMEK through its service agent, which needs
# to use the key: https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys#service-agent-access
resource "google_kms_crypto_key_iam_member" "archive_storage_agent" {
  count = var.kms_key_name == null ? 0 : 1

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${data.google_storage_project_service_account.this[0].email_address}"
}

# IAM grants take up to a few minutes to apply everywhere
# (https://cloud.google.com/iam/docs/access-change-propagation); a bucket created with a key its
# service agent cannot use yet fails.
resource "time_sleep" "storage_agent_key_access" {
  count           = var.kms_key_name == null ? 0 : 1
  create_duration = "60s"

  depends_on = [google_kms_crypto_key_iam_member.archive_storage_agent]
}

# ---------------------------------------------------------------------------
# Function source
# ---------------------------------------------------------------------------

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs; Cloud Audit Logs cover access and a log bucket would itself fail this check.
  #checkov:skip=CKV_GCP_78:Objects are content-addressed zips that Terraform recreates from git; there is no history worth versioning.
  project  = var.project_id
  name     = local.source_bucket_name
  location = upper(var.region)
  labels   = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  soft_delete_policy {
    retention_duration_seconds = 0
  }

  depends_on = [time_sleep.services_ready]
}

data "archive_file" "source" {
  type             = "zip"
  source_dir       = abspath("${path.module}/..")
  output_path      = "${path.module}/.build/${var.name}-source.zip"
  output_file_mode = "0644"
  excludes         = local.source_excludes
}

# The object name carries the zip's hash: a code change gives a new name and so
# a new build, while an unchanged tree (archive_file zeroes timestamps and
# output_file_mode fixes permissions) keeps the name. The function is still
# rebuilt by any other change to it: Cloud Functions builds a new image for
# every update, so a service_config change (a new token version, memory,
# concurrency, an environment variable) costs a build of a few minutes too.
resource "google_storage_bucket_object" "source" {
  bucket       = google_storage_bucket.source.name
  name         = "${var.name}-${data.archive_file.source.output_md5}.zip"
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}

# ---------------------------------------------------------------------------
# Service accounts and IAM
# ---------------------------------------------------------------------------

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = "${var.name}-run"
  display_name = "${var.name} function runtime"
  description  = "Runs the ${var.name} function: may create archive objects, read one back by name, and read its webhook token secret."

  depends_on = [time_sleep.services_ready]
}

# objectCreator has storage.objects.create but not list or delete, so the
# function can add to the archive but never overwrite, remove or list it:
# https://cloud.google.com/storage/docs/access-control/iam-roles
resource "google_storage_bucket_iam_member" "function_object_creator" {
  bucket = google_storage_bucket.archive.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.function.email}"
}

# GCS may refuse a retried create-only upload with 403 rather than 412 (the
# caller lacks storage.objects.delete, and Google does not document which check
# comes first: https://cloud.google.com/storage/docs/json_api/v1/objects/insert).
# The function then reads the existing object's size and MD5 to confirm it
# holds the same bytes before answering 200 duplicate. legacyObjectReader is
# storage.objects.get alone: no list, overwrite or delete. Legacy roles take no
# IAM condition, so it covers the bucket, which holds only the archive.
resource "google_storage_bucket_iam_member" "function_object_reader" {
  bucket = google_storage_bucket.archive.name
  role   = "roles/storage.legacyObjectReader"
  member = "serviceAccount:${google_service_account.function.email}"
}

# Secret-level grant, so the function can read this secret only:
# https://cloud.google.com/secret-manager/docs/manage-access-to-secrets
resource "google_secret_manager_secret_iam_member" "function_token_accessor" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook_tokens.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function.email}"
}

# Cloud Build runs the function build as this account instead of a default
# account, which new projects no longer grant build roles to:
# https://cloud.google.com/functions/docs/securing/build-custom-sa
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name}-build"
  display_name = "${var.name} function build"
  description  = "Builds the ${var.name} function image from source during deployments."

  depends_on = [time_sleep.services_ready]
}

# Build logs; logWriter exists only at project level:
# https://cloud.google.com/functions/docs/securing/build-custom-sa#grant_permissions
resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.build.email}"
}

data "google_project" "this" {
  project_id = var.project_id
}

# Read the source zip: Google documents roles/storage.objectViewer for a gen2
# build account (https://cloud.google.com/functions/docs/securing/build-custom-sa).
# The build reads our source bucket and the copy Cloud Functions makes in its
# per-region gcf-v2-sources-PROJECT_NUMBER-REGION bucket, created on first
# deploy (https://cloud.google.com/functions/docs/building), so the grant is
# project-level, conditioned on exactly those two buckets and their objects:
# https://cloud.google.com/storage/docs/access-control/iam#conditions. The
# trailing "/" keeps a bucket whose name merely starts with ours out.
resource "google_project_iam_member" "build_source_reader" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.build.email}"

  condition {
    title       = "function-source-buckets"
    description = "Only the ${var.name} source bucket and the ${var.region} bucket Cloud Functions stages sources in."
    expression = join(" || ", flatten([
      for bucket in local.build_source_buckets : [
        "resource.name == \"projects/_/buckets/${bucket}\"",
        "resource.name.startsWith(\"projects/_/buckets/${bucket}/\")",
      ]
    ]))
  }
}

# Push the built image to this configuration's repository only:
# https://cloud.google.com/artifact-registry/docs/access-control#roles
resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.build.email}"
}

# ---------------------------------------------------------------------------
# Webhook token
# ---------------------------------------------------------------------------

resource "random_password" "webhook_token" {
  length = 48
  # Letters and digits only: the token travels in YAML, an HTTP header and a
  # comma-separated list without any quoting.
  special = false

  keepers = {
    generation = var.webhook_token_generation
  }
}

resource "google_secret_manager_secret" "webhook_tokens" {
  project   = var.project_id
  secret_id = "${var.name}-webhook-tokens"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.services_ready]
}

resource "google_secret_manager_secret_version" "webhook_tokens" {
  secret      = google_secret_manager_secret.webhook_tokens.id
  secret_data = join(",", concat([random_password.webhook_token.result], var.additional_webhook_tokens))

  # The function pins this version; create the new one before the old one
  # goes so no instance ever starts against a destroyed version.
  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------

resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Holds only images rebuilt from the source zip, never archived data; Google-managed encryption is sufficient.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name}-images"
  description   = "Images built from source for the ${var.name} function."
  format        = "DOCKER"
  labels        = local.labels

  # Every deployment adds an image; keep a few for rollback and prune the rest.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-older-than-30-days"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [time_sleep.services_ready]
}

# The build account's grants and the runtime account's secret access are
# checked the moment the function is created; a grant that has not propagated
# yet fails the build or the first revision
# (https://cloud.google.com/iam/docs/access-change-propagation).
resource "time_sleep" "grants_ready" {
  create_duration = "60s"

  depends_on = [
    time_sleep.services_ready,
    google_project_iam_member.build_log_writer,
    google_project_iam_member.build_source_reader,
    google_artifact_registry_repository_iam_member.build_writer,
    google_secret_manager_secret_iam_member.function_token_accessor,
    google_storage_bucket_iam_member.function_object_creator,
    google_storage_bucket_iam_member.function_object_reader,
  ]
}

resource "google_cloudfunctions2_function" "this" {
  #checkov:skip=CKV_GCP_124:Alertmanager usually runs outside Google Cloud, so ingress must accept the internet; set ingress_settings to ALLOW_INTERNAL_ONLY when it runs in the same VPC.
  project     = var.project_id
  name        = var.name
  location    = var.region
  description = "Archives Prometheus Alertmanager webhook notifications to ${local.archive_url}."
  labels      = local.labels

  build_config {
    runtime           = "python312"
    entry_point       = "receive_alert"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }

    # Take runtime security patches without waiting for a code change.
    automatic_update_policy {}
  }

  service_config {
    available_cpu                    = var.available_cpu
    available_memory                 = var.available_memory
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instance_count
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = var.max_instance_request_concurrency
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function.email

    # ALLOW_UNAUTHENTICATED is deliberately absent: it disables the token check.
    environment_variables = {
      ARCHIVE_URL             = local.archive_url
      MAX_BODY_BYTES          = tostring(var.max_body_bytes)
      STORAGE_TIMEOUT_SECONDS = tostring(var.storage_timeout_seconds)
      # functions-framework sizes its gunicorn thread pool from THREADS; it
      # must match the concurrency or requests queue inside the instance.
      THREADS = tostring(var.max_instance_request_concurrency)
      # Labels every log line with the request's execution id. The platform
      # adds it anyway; declaring it avoids a perpetual diff.
      LOG_EXECUTION_ID = "true"
      # The runtime account cannot read bucket metadata (objectCreator only);
      # this stops the storage client's background bucket GET and its 403s.
      DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA = "true"
      # glibc gives each request thread its own malloc arena; two arenas keep the instance
      # ~13 MiB (local) to ~25 MiB (GCS) smaller at 16 connections with no loss of
      # throughput (bench/results/latest.md).
      MALLOC_ARENA_MAX = "2"
    }

    secret_environment_variables {
      key        = "WEBHOOK_TOKENS"
      project_id = var.project_id
      secret     = google_secret_manager_secret.webhook_tokens.secret_id
      version    = google_secret_manager_secret_version.webhook_tokens.version
    }
  }

  depends_on = [time_sleep.grants_ready]
}

# Alertmanager cannot mint Google ID tokens, so by default anyone may invoke
# the function and the function itself rejects requests without a valid
# bearer token (see README.md, "Why the function is publicly invocable").
# Gen2 functions are served by a Cloud Run service of the same name:
# https://cloud.google.com/functions/docs/securing/managing-access-iam
resource "google_cloud_run_service_iam_member" "invoker" {
  #checkov:skip=CKV_GCP_102:Alertmanager cannot present Google ID tokens; the function authenticates callers with a Secret Manager bearer token instead.
  for_each = toset(var.invoker_members)

  project  = var.project_id
  location = google_cloudfunctions2_function.this.location
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = each.value
}

# ---------------------------------------------------------------------------
# Optional: BigQuery over the archive
# ---------------------------------------------------------------------------

resource "google_bigquery_dataset" "archive" {
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = var.bigquery_dataset_id
  location    = local.bigquery_location
  description = "SQL access to the ${var.name} archive in gs://${google_storage_bucket.archive.name}; the data stays in Cloud Storage."
  labels      = local.labels

  delete_contents_on_destroy = false

  depends_on = [time_sleep.services_ready]
}

# One row per archived notification, read in place. Each object is one line of
# compact JSON that contains no raw tab (JSON escapes control characters), so
# reading it as CSV with a tab delimiter and no quote character yields the
# whole line as `body`. Unlike a NEWLINE_DELIMITED_JSON schema, this never
# breaks on new Alertmanager fields or arbitrary label keys; the views parse it.
resource "google_bigquery_table" "notifications_raw" {
  #checkov:skip=CKV_GCP_121:An external table holds no data; deleting it loses nothing and it must be replaceable when its definition changes.
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.archive[0].dataset_id
  table_id    = "notifications_raw"
  description = "Raw archived notifications, one JSON document per row, partitioned by receive date, hour and source."
  labels      = local.labels

  deletion_protection = false

  external_data_configuration {
    autodetect            = false
    source_format         = "CSV"
    source_uris           = ["gs://${google_storage_bucket.archive.name}/${local.object_prefix}alerts/*"]
    ignore_unknown_values = true

    csv_options {
      quote             = ""
      field_delimiter   = "\t"
      skip_leading_rows = 0
      encoding          = "UTF-8"
    }

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "gs://${google_storage_bucket.archive.name}/${local.object_prefix}alerts/{dt:DATE}/{hour:INTEGER}/{source:STRING}"
      require_partition_filter = var.bigquery_require_partition_filter
    }

    schema = jsonencode([
      {
        name        = "body"
        type        = "STRING"
        mode        = "NULLABLE"
        description = "The notification exactly as Alertmanager sent it (Alertmanager webhook payload version 4)."
      },
    ])
  }
}

# The event recorder's events (POST /-/events), read in place exactly like the
# notifications: one compact JSON object per object, as one CSV column.
resource "google_bigquery_table" "events_raw" {
  #checkov:skip=CKV_GCP_121:An external table holds no data; deleting it loses nothing and it must be replaceable when its definition changes.
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.archive[0].dataset_id
  table_id    = "events_raw"
  description = "Raw Alertmanager event recorder events, one JSON document per row, partitioned by receive date, hour and source."
  labels      = local.labels

  deletion_protection = false

  external_data_configuration {
    autodetect            = false
    source_format         = "CSV"
    source_uris           = ["gs://${google_storage_bucket.archive.name}/${local.object_prefix}events/*"]
    ignore_unknown_values = true

    csv_options {
      quote             = ""
      field_delimiter   = "\t"
      skip_leading_rows = 0
      encoding          = "UTF-8"
    }

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "gs://${google_storage_bucket.archive.name}/${local.object_prefix}events/{dt:DATE}/{hour:INTEGER}/{source:STRING}"
      require_partition_filter = var.bigquery_require_partition_filter
    }

    schema = jsonencode([
      {
        name        = "body"
        type        = "STRING"
        mode        = "NULLABLE"
        description = "The event exactly as Alertmanager's event recorder sent it (protojson)."
      },
    ])
  }
}

resource "google_bigquery_table" "events" {
  #checkov:skip=CKV_GCP_121:A view holds no data and is recreated from this definition.
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.archive[0].dataset_id
  table_id    = "events"
  description = "One row per kept event recorder event (created, grouped, silenced, inhibited, notified, resolved) with its kind and time parsed; filter on dt."
  labels      = local.labels

  deletion_protection = false

  view {
    use_legacy_sql = false
    query = templatefile("${path.module}/sql/events.sql", {
      raw_table = "${var.project_id}.${google_bigquery_dataset.archive[0].dataset_id}.${google_bigquery_table.events_raw[0].table_id}"
    })
  }
}

resource "google_bigquery_table" "notifications" {
  #checkov:skip=CKV_GCP_121:A view holds no data and is recreated from this definition.
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.archive[0].dataset_id
  table_id    = "notifications"
  description = "One row per archived notification with the envelope fields parsed; filter on dt."
  labels      = local.labels

  deletion_protection = false

  view {
    use_legacy_sql = false
    query = templatefile("${path.module}/sql/notifications.sql", {
      raw_table = "${var.project_id}.${google_bigquery_dataset.archive[0].dataset_id}.${google_bigquery_table.notifications_raw[0].table_id}"
    })
  }
}

resource "google_bigquery_table" "alerts" {
  #checkov:skip=CKV_GCP_121:A view holds no data and is recreated from this definition.
  count = var.enable_bigquery ? 1 : 0

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.archive[0].dataset_id
  table_id    = "alerts"
  description = "One row per alert per archived notification, with labels and annotations as JSON; filter on dt."
  labels      = local.labels

  deletion_protection = false

  view {
    use_legacy_sql = false
    query = templatefile("${path.module}/sql/alerts.sql", {
      notifications_view = "${var.project_id}.${google_bigquery_dataset.archive[0].dataset_id}.${google_bigquery_table.notifications[0].table_id}"
    })
  }
}

# ---------------------------------------------------------------------------
# Optional: log-based metrics and alert policies
# ---------------------------------------------------------------------------

# The function logs one JSON line per request with jsonPayload.outcome, one of
# stored, duplicate, quarantined, rejected, unauthorized or unavailable.

resource "google_logging_metric" "write_failures" {
  count = var.enable_monitoring ? 1 : 0

  project     = var.project_id
  name        = "${var.name}/write_failures"
  description = "Requests answered 503 because the Cloud Storage write failed or timed out; Alertmanager retries them."
  filter      = "${local.log_filter} AND jsonPayload.outcome=\"unavailable\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} failed archive writes"
  }

  depends_on = [time_sleep.services_ready]
}

resource "google_logging_metric" "rejected_requests" {
  count = var.enable_monitoring ? 1 : 0

  project     = var.project_id
  name        = "${var.name}/rejected_requests"
  description = "Requests refused (bad input or token) or quarantined (failed schema validation), by outcome and by whether Alertmanager sent them."
  filter      = "${local.log_filter} AND jsonPayload.outcome=(\"rejected\" OR \"unauthorized\" OR \"quarantined\")"

  # Cloud Logging lifts the line's httpRequest into the entry's own field. Alertmanager sends
  # "User-Agent: Alertmanager/VERSION"; scanners of a public URL do not.
  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
    sender  = "REGEXP_EXTRACT(httpRequest.userAgent, \"^(Alertmanager)/\")"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} rejected requests"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "rejected, unauthorized or quarantined."
    }

    labels {
      key         = "sender"
      value_type  = "STRING"
      description = "Alertmanager when its User-Agent says so, empty for any other client."
    }
  }

  depends_on = [time_sleep.services_ready]
}

# "duplicate" counts as archived: Alertmanager re-sends byte-identical bodies
# (the Watchdog every repeat_interval), and a duplicate proves the whole path
# (token, validation, Cloud Storage) works just as a new object does.
resource "google_logging_metric" "archived" {
  count = local.monitoring_enabled ? 1 : 0

  project     = var.project_id
  name        = "${var.name}/archived_notifications"
  description = "Notifications stored in, or already present in, the archive."
  filter      = "${local.log_filter} AND jsonPayload.outcome=(\"stored\" OR \"duplicate\")"

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} archived notifications"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "stored or duplicate."
    }
  }

  depends_on = [time_sleep.services_ready]
}

# An alert policy naming a log-based metric created in the same apply is
# refused with 404 until the metric has propagated
# (hashicorp/terraform-provider-google#11102).
resource "time_sleep" "metrics_ready" {
  count           = local.monitoring_enabled ? 1 : 0
  create_duration = "60s"

  depends_on = [
    google_logging_metric.write_failures,
    google_logging_metric.rejected_requests,
    google_logging_metric.archived,
  ]
}

resource "google_monitoring_alert_policy" "write_failures" {
  count = var.enable_monitoring ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name}: archive writes failing or function answering 5xx"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Cloud Storage writes answered 503"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.write_failures[0].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  # The log metric sees only answers the function logged. A crash, an instance
  # killed for memory, a request timeout or a platform error answers 5xx with
  # no outcome line; Cloud Run counts every answer.
  conditions {
    display_name = "Function answered 5xx (any cause)"

    condition_threshold {
      filter = join(" AND ", [
        "metric.type=\"run.googleapis.com/request_count\"",
        "resource.type=\"cloud_run_revision\"",
        "resource.label.service_name=\"${google_cloudfunctions2_function.this.name}\"",
        "metric.label.response_code_class=\"5xx\"",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The ${var.name} function answered 5xx: it could not write to gs://${google_storage_bucket.archive.name}
      (503, `outcome="unavailable"` in its logs) or it failed without logging an outcome (a crash, an instance out
      of memory, a timeout or a platform error; see the Cloud Run service's logs and its request_count by response code).
      Alertmanager retries within its flush window, so a short blip loses nothing; a sustained failure does.
      Check the Cloud Storage status page, and that ${google_service_account.function.email} still has
      roles/storage.objectCreator on the bucket.
    EOT
  }

  depends_on = [time_sleep.metrics_ready]
}

resource "google_monitoring_alert_policy" "rejected_requests" {
  count = var.enable_monitoring ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name}: notifications refused or quarantined"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  # A refused Alertmanager request is a notification that will never be archived, so the first
  # one alerts; the same answers to other clients are mostly scanners of a public URL.
  conditions {
    display_name = "Alertmanager refused, or a body quarantined"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.rejected_requests[0].name}\" AND resource.type=\"cloud_run_revision\" AND (metric.label.outcome=\"quarantined\" OR metric.label.sender=\"Alertmanager\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.outcome"]
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Other clients refused more than ${var.rejected_requests_threshold} times in 5 minutes"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.rejected_requests[0].name}\" AND resource.type=\"cloud_run_revision\" AND NOT metric.label.outcome=\"quarantined\" AND NOT metric.label.sender=\"Alertmanager\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.rejected_requests_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The ${var.name} function refused requests or quarantined notifications.
      Alertmanager re-sends a refused notification every group_interval for as long as the alert fires, so
      this does not clear by itself. `unauthorized`: an Alertmanager uses a wrong or rotated token.
      `rejected`: malformed or oversized bodies. `quarantined`: bodies that failed schema validation, kept under
      gs://${google_storage_bucket.archive.name}/${local.object_prefix}quarantine/ for inspection.
      Refusals of clients that are not Alertmanager (its User-Agent) alert only above
      ${var.rejected_requests_threshold} in 5 minutes: a public URL draws scanners.
    EOT
  }

  depends_on = [time_sleep.metrics_ready]
}

resource "google_monitoring_alert_policy" "freshness" {
  count = var.enable_freshness_alert ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name}: nothing archived for ${var.freshness_alert_minutes} minutes"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "No notification archived"

    # Absence is evaluated only for a series that has reported before, so the
    # alert arms after the first archived notification: a pipeline that never
    # archived anything (a webhook URL or token wrong from the start) never
    # fires it. The rejected_requests policy sees a wrong token; nothing here
    # sees an Alertmanager that never sends.
    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.archived[0].name}\" AND resource.type=\"cloud_run_revision\""
      duration = "${var.freshness_alert_minutes * 60}s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      No notification reached the ${var.name} archive for ${var.freshness_alert_minutes} minutes.
      With the always-firing Watchdog alert routed to this receiver (examples/alertmanager.yml), silence means
      the pipeline is broken: Prometheus or Alertmanager down, the webhook misconfigured, or the function failing.
      Check Alertmanager's `alertmanager_notifications_failed_total{integration="webhook"}` and the function's logs.
      This alert cannot see a pipeline that never archived anything: it arms after the first archived notification.
    EOT
  }

  depends_on = [time_sleep.metrics_ready]
}
