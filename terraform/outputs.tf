output "function_url" {
  description = "The HTTPS URL Alertmanager posts notifications to."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "function_name" {
  description = "The name of the function and of the Cloud Run service behind it."
  value       = google_cloudfunctions2_function.this.name
}

output "archive_bucket" {
  description = "The name of the bucket that holds the archive."
  value       = google_storage_bucket.archive.name
}

output "archive_url" {
  description = "The ARCHIVE_URL the function writes to, gs://BUCKET[/PREFIX]; also what `alertarchive` commands take to browse it."
  value       = local.archive_url
}

output "service_account_email" {
  description = "The function's runtime service account, which may only create objects in the archive bucket and read its token secret."
  value       = google_service_account.function.email
}

output "webhook_token_secret" {
  description = "The Secret Manager secret holding the comma-separated accepted bearer tokens (WEBHOOK_TOKENS)."
  value       = google_secret_manager_secret.webhook_tokens.id
}

output "webhook_token" {
  description = "The generated bearer token, for a Kubernetes Secret: terraform output -raw webhook_token."
  value       = random_password.webhook_token.result
  sensitive   = true
}

output "alertmanager_receiver" {
  description = "One receiver for alertmanager.yml with the URL and the bearer token, to paste as an item of its receivers: list: terraform output -raw alertmanager_receiver."
  sensitive   = true
  # Indented as an item of a receivers: list usually is, so it pastes under
  # that line as it is.
  value = <<EOT
  - name: ${var.name}
    webhook_configs:
      - url: "${google_cloudfunctions2_function.this.service_config[0].uri}"
        send_resolved: true
        # Alertmanager >= 0.28 only; keep it below group_interval.
        # timeout: 10s
        http_config:
          authorization:
            type: Bearer
            credentials: "${random_password.webhook_token.result}"
EOT
}

output "alertmanager_receiver_credentials_file" {
  description = "The same receiver item reading the token from a file, for Kubernetes (a Secret mounted at /etc/alertmanager/secrets/alertarchive-webhook); holds no secret."
  value       = <<EOT
  - name: ${var.name}
    webhook_configs:
      - url: "${google_cloudfunctions2_function.this.service_config[0].uri}"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: /etc/alertmanager/secrets/alertarchive-webhook/token
EOT
}

output "bigquery_dataset" {
  description = "The BigQuery dataset with the notifications_raw and events_raw tables and the notifications, alerts and events views, or null when enable_bigquery is false."
  value       = var.enable_bigquery ? "${var.project_id}.${google_bigquery_dataset.archive[0].dataset_id}" : null
}

output "alertmanager_event_recorder" {
  description = "A top-level event_recorder: block for alertmanager.yml (Alertmanager 0.33 or newer, started with --enable-feature=event-recorder) that posts every recorded event to this function's /-/events with the bearer token: terraform output -raw alertmanager_event_recorder."
  sensitive   = true
  # The recorder drops an event after max_retries attempts (3, 500 ms apart by default, so
  # about 1.5 s); a cold start can take longer, so this asks for more.
  value = <<EOT
event_recorder:
  webhook_outputs:
    - url: "${google_cloudfunctions2_function.this.service_config[0].uri}/-/events"
      http_config:
        authorization:
          type: Bearer
          credentials: "${random_password.webhook_token.result}"
      max_retries: 10
      retry_backoff: 1s
EOT
}
