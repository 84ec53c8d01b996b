-- wrk script: POSTs the bodies in $KF_BODIES (one JSON document a line) to
-- the URL's path in turn, and prints one machine-readable result line.
local bodies = {}
local n, i = 0, 0

function init(args)
  local path = os.getenv("KF_BODIES")
  if path and #path > 0 then
    for line in io.lines(path) do
      if #line > 0 then
        n = n + 1
        bodies[n] = wrk.format("POST", nil,
          { ["Content-Type"] = "application/json" }, line)
      end
    end
  end
  if n == 0 then
    n = 1
    bodies[1] = wrk.format("GET")
  end
  i = math.random(n) - 1
end

function request()
  i = i % n + 1
  return bodies[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f " ..
    "non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
