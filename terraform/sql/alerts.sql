-- One row per alert per notification. Timestamps are normalised to at most six
-- fractional digits (Alertmanager sends up to nine) before the cast; endsAt of
-- a firing alert is Alertmanager's zero time and becomes NULL.
SELECT
  n.dt,
  n.hour,
  n.source,
  n.object_uri,
  n.status AS notification_status,
  n.receiver,
  n.group_key,
  JSON_VALUE(alert, '$.status') AS status,
  JSON_VALUE(alert, '$.labels.alertname') AS alertname,
  JSON_VALUE(alert, '$.labels.severity') AS severity,
  JSON_VALUE(alert, '$.fingerprint') AS fingerprint,
  SAFE_CAST(REGEXP_REPLACE(JSON_VALUE(alert, '$.startsAt'), r'(\.[0-9]{6})[0-9]+', r'\1') AS TIMESTAMP) AS starts_at,
  IF(
    JSON_VALUE(alert, '$.status') = 'resolved',
    SAFE_CAST(REGEXP_REPLACE(JSON_VALUE(alert, '$.endsAt'), r'(\.[0-9]{6})[0-9]+', r'\1') AS TIMESTAMP),
    NULL
  ) AS ends_at,
  JSON_VALUE(alert, '$.generatorURL') AS generator_url,
  JSON_QUERY(alert, '$.labels') AS labels,
  JSON_QUERY(alert, '$.annotations') AS annotations
FROM `${notifications_view}` AS n,
  UNNEST(n.alerts) AS alert
