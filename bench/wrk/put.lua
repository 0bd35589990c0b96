-- Updates random tasks 1..TASKS through one surface. Environment:
--   SURFACE  native | rollout | thena | nexudus     TASKS  how many tasks exist (numbers 1..TASKS)
--   AUTH     the Authorization header value (native, rollout, nexudus)
--   CREDENTIAL  X-Rollout-Credential-Id (rollout)     APIKEY  x-api-key (thena)
--   NEXUDUS  "BusinessId,CoworkerId,ResponsibleId" that the body names (nexudus)
local surface = os.getenv("SURFACE") or "native"
local tasks = tonumber(os.getenv("TASKS") or "1000")
local auth = os.getenv("AUTH")
local credential = os.getenv("CREDENTIAL")
local apikey = os.getenv("APIKEY")
local nexudus = os.getenv("NEXUDUS") or "1,1,1"
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
  local text = "Bench " .. math.random(1, 1000000)
  local headers = { ["Content-Type"] = "application/json" }
  if surface == "rollout" then
    headers["Authorization"] = auth
    headers["X-Rollout-Credential-Id"] = credential
    return wrk.format("PUT", "/api/tasks/" .. id, headers, '{"name":"' .. text .. '"}')
  elseif surface == "thena" then
    headers["x-api-key"] = apikey
    return wrk.format("PUT", "/v1/accounts/tasks/" .. id, headers, '{"title":"' .. text .. '"}')
  elseif surface == "nexudus" then
    headers["Authorization"] = auth
    local business, coworker, responsible = nexudus:match("(%d+),(%d+),(%d+)")
    return wrk.format("PUT", "/api/crm/coworkertasks", headers, string.format(
      '{"Id":%d,"BusinessId":%s,"CoworkerId":%s,"ResponsibleId":%s,"Name":"%s"}', id, business, coworker, responsible, text))
  end
  headers["Authorization"] = auth
  headers["Content-Type"] = "application/merge-patch+json"
  return wrk.format("PATCH", "/v1/tasks/" .. id, headers, '{"notes":"' .. text .. '"}')
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
  io.write(string.format("LATENCY p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
