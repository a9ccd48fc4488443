-- One row per archived notification. dt/hour are the UTC receive date and hour
-- and source the sender name the function recorded; always filter on dt.
SELECT
  dt,
  hour,
  source,
  object_uri,
  JSON_VALUE(payload, '$.status') AS status,
  JSON_VALUE(payload, '$.receiver') AS receiver,
  JSON_VALUE(payload, '$.groupKey') AS group_key,
  JSON_VALUE(payload, '$.externalURL') AS external_url,
  JSON_VALUE(payload, '$.version') AS version,
  -- Alertmanager >= 0.32: why this notification was sent ("first notification", ...).
  JSON_VALUE(payload, '$.notification_reason') AS notification_reason,
  SAFE_CAST(JSON_VALUE(payload, '$.truncatedAlerts') AS INT64) AS truncated_alerts,
  JSON_QUERY(payload, '$.groupLabels') AS group_labels,
  JSON_QUERY(payload, '$.commonLabels') AS common_labels,
  JSON_QUERY(payload, '$.commonAnnotations') AS common_annotations,
  JSON_QUERY_ARRAY(payload, '$.alerts') AS alerts,
  payload
FROM (
  SELECT
    dt,
    hour,
    source,
    _FILE_NAME AS object_uri,
    SAFE.PARSE_JSON(body) AS payload
  FROM `${raw_table}`
)
-- Lines that are not JSON (a multi-line body from a non-Alertmanager sender) are skipped.
WHERE payload IS NOT NULL
