-- One row per kept event recorder event (Alertmanager >= 0.33, POSTed to /-/events).
-- dt/hour/source are the UTC receive date and hour and the source tag; always filter on dt.
-- A fact repeated within an hour (a mute on every group_interval, an HA peer's copy) is kept
-- once per hour, so count facts, not rows, when you need how often something happened.
SELECT
  dt,
  hour,
  source,
  object_uri,
  kind,
  -- Alertmanager writes nanoseconds; BigQuery's TIMESTAMP takes at most six fractional digits.
  SAFE.TIMESTAMP(
    REGEXP_REPLACE(JSON_VALUE(event, '$."@timestamp"'), r'(\.[0-9]{6})[0-9]+', r'\1')
  ) AS recorded_at,
  JSON_VALUE(event, '$.instance') AS instance,
  JSON_QUERY(event, '$.data') AS data,
  event
FROM (
  SELECT
    dt,
    hour,
    source,
    _FILE_NAME AS object_uri,
    SAFE.PARSE_JSON(body) AS event,
    -- The one key of data, e.g. silenceMutedAlert; the object name starts with it too.
    REGEXP_EXTRACT(_FILE_NAME, r'/([A-Za-z]+)-[^/]*$') AS kind
  FROM `${raw_table}`
)
WHERE event IS NOT NULL
