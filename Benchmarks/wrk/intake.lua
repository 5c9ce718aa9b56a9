-- wrk script for the case-intake row of scripts/bench: POST /api/v1/cases with a report-only API key,
-- a category drawn from a few that route by different rules, and a position jittered ±33 m around a point
-- inside 松仔园村 (so the duplicate check sees a realistic mix). The requests are made once per thread (4,096 of
-- them, cycled): wrk shares the two cores with the server, and formatting each request in Lua took CPU the
-- /healthz run next to it does not spend.
local categories = {"06010", "06012", "09010", "06042", "06001", "08004", "06013", "09006"}
local key = os.getenv("CITYSTEWARD_BENCH_KEY")
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
    local c = categories[math.random(#categories)]
    local lat = lat0 + (math.random() - 0.5) * 0.0006
    local long = long0 + (math.random() - 0.5) * 0.0006
    local body = string.format('{"category":"%s","lat":%.7f,"long":%.7f,"description":"bench report %s"}', c, lat, long, c)
    requests[i] = wrk.format("POST", "/api/v1/cases", {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
  end
end

request = function()
  index = index % #requests + 1
  return requests[index]
end

-- No response() callback: wrk would then hand every response to Lua. wrk counts non-2xx answers itself
-- ("Non-2xx or 3xx responses"), and scripts/bench fails the row if there are any.
