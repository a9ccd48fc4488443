terraform {
  # 1.9 is the first release whose variable validations may refer to other
  # variables; several cross-checks in variables.tf rely on that.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.0 made storage retention_period a string and cloudfunctions2
      # service_config.service output-only; nothing here changes in 8.0.
      version = ">= 7.0, < 9.0"
    }
    archive = {
      source = "hashicorp/archive"
      # 2.5.0 added glob patterns to archive_file.excludes.
      version = ">= 2.5.0, < 3.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4.0"
    }
    time = {
      source = "hashicorp/time"
      # time_sleep waits for IAM grants, new APIs and log metrics to propagate.
      version = ">= 0.9, < 1.0"
    }
  }
}
