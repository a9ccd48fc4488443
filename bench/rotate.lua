-- wrk script: POST a distinct notification on every request.
--
--   wrk ... -s bench/rotate.lua URL -- RUN_ID LIMIT MARKER TEMPLATE [TEMPLATE...]
--
-- Each TEMPLATE file is a notification holding the placeholder @SEQ@ once (in a label
-- value); request N posts template N mod #templates with @SEQ@ replaced by RUN_ID-THREAD-N.
-- Every body is therefore distinct (its own sha256 and object name), so deduplication never
-- flatters the figures. LIMIT > 0 stops the thread after that many responses and creates
-- the file MARKER (wrk itself only exits at its deadline or on SIGINT, which the caller sends).
-- BENCH_TOKEN (environment) is sent as a bearer token when set.
-- done() prints one line: "WRK_JSON {...}" with counts, per-status counts and latencies (µs).

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local parts = {}
local run_id, limit, marker
local sent = 0

function init(args)
  run_id = args[1]
  limit = tonumber(args[2])
  marker = args[3]
  for i = 4, #args do
    local file = assert(io.open(args[i], "rb"))
    local text = file:read("*a")
    file:close()
    local first, last = text:find("@SEQ@", 1, true)
    assert(first, args[i] .. " has no @SEQ@ placeholder")
    table.insert(parts, {text:sub(1, first - 1), text:sub(last + 1)})
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Alertmanager/0.28.1"
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  statuses = {}
  responses = 0
end

function request()
  sent = sent + 1
  local part = parts[(sent - 1) % #parts + 1]
  local body = part[1] .. run_id .. "-" .. thread_id .. "-" .. sent .. part[2]
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  responses = responses + 1
  if limit > 0 and responses == limit then
    wrk.thread:stop()
    io.open(marker, "w"):close()
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      counts[key] = (counts[key] or 0) + count
    end
  end
  local status_items = {}
  for key, count in pairs(counts) do
    table.insert(status_items, string.format('"%s": %d', key, count))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}}\n',
    summary.duration, summary.requests, summary.bytes, table.concat(status_items, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
