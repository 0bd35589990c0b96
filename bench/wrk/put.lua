-- Updates random tasks 1..TASKS through one surface. Environment:
--   SURFACE  native | rollout      TASKS  how many tasks exist (numbers 1..TASKS)
--   AUTH     the Authorization header value; CREDENTIAL  X-Rollout-Credential-Id (rollout only)
local surface = os.getenv("SURFACE") or "native"
local tasks = tonumber(os.getenv("TASKS") or "1000")
local auth = os.getenv("AUTH")
local credential = os.getenv("CREDENTIAL")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

request = function()
  local id = math.random(1, tasks)
  local headers = { ["Authorization"] = auth }
  if surface == "rollout" then
    headers["Content-Type"] = "application/json"
    headers["X-Rollout-Credential-Id"] = credential
    return wrk.format("PUT", "/api/tasks/" .. id, headers, '{"name":"Bench ' .. math.random(1, 1000000) .. '"}')
  end
  headers["Content-Type"] = "application/merge-patch+json"
  return wrk.format("PATCH", "/v1/tasks/" .. id, headers, '{"notes":"bench ' .. math.random(1, 1000000) .. '"}')
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
