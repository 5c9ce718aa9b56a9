-- wrk script for the check-in row of scripts/bench-operations: POST /api/v1/checkins as the patroller (an API key),
-- each request a checkpoint drawn from the district-sized operation's routes, with a position near it and the phone's
-- time. Requests are made once per thread (4,096, cycled) so Lua's formatting does not take the cores the server
-- shares. No Idempotency-Key: every request is a new check-in (a resent one would be the cheaper path).
local key = os.getenv("CITYSTEWARD_BENCH_KEY")
local codes = {}
for code in string.gmatch(os.getenv("CITYSTEWARD_BENCH_CODES") or "", "[^,]+") do codes[#codes + 1] = code end
local lat0 = tonumber(os.getenv("CITYSTEWARD_BENCH_LAT"))
local long0 = tonumber(os.getenv("CITYSTEWARD_BENCH_LONG"))
local counter = 0
local requests = {}
local index = 0

setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

init = function(args)
  math.randomseed(seed or 1)
  for i = 1, 4096 do
    local code = codes[math.random(#codes)]
    local lat = lat0 + (math.random() - 0.5) * 0.002
    local long = long0 + (math.random() - 0.5) * 0.002
    local body = string.format('{"checkpoint":"%s","lat":%.7f,"long":%.7f,"accuracy":8}', code, lat, long)
    requests[i] = wrk.format("POST", "/api/v1/checkins", {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
  end
end

request = function()
  index = index % #requests + 1
  return requests[index]
end
