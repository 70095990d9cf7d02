-- wrk script: the mixed load of an on-sale, for bench/soak.sh. Per 100 requests: 30 seat-map
-- reads, 30 the same with gzip (sections rotate), 20 queue polls, 6 holds of one seat (each with
-- an Idempotency-Key) and 6 releases of them, 3 event details, 3 /healthz, 2 log-ins.
-- A hold's release is sent by the same wrk thread as soon as the hold's 201 arrives, for the
-- fan that owns the seat, so seats never run out. Holds left open when wrk stops lapse by
-- themselves (5 min). Environment: FANS_FILE (from soak_setup.py), EVENT, SEED, SLICE,
-- WRK_THREADS; MIX ("kind=weight,...") replaces the mix above, HOLD_KEYS=0 drops the keys.
local mix = {}
local mix_spec = os.getenv("MIX") or ""
if mix_spec == "" then
  mix_spec = "seatmap=30,seatmapgz=30,poll=20,hold=6,detail=3,healthz=3,login=2"
end
for kind, weight in mix_spec:gmatch("(%w+)=(%d+)") do
  mix[#mix + 1] = {kind, tonumber(weight)}
end
local hold_keys = os.getenv("HOLD_KEYS") ~= "0"
local known = {seatmap = 1, seatmapgz = 1, poll = 1, hold = 1, detail = 1, healthz = 1, login = 1}
for _, m in ipairs(mix) do
  if not known[m[1]] then error("MIX: unknown kind " .. m[1]) end
end
local event = os.getenv("EVENT")

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("index", #threads)
end

local fans = {}        -- {account, token, admission, ticket, email}
local owner = {}       -- seat id -> fan
local holds = {}       -- {fan, seat}: this thread's seats, interleaved over the fans
local sections = {}
local logins = {}      -- accounts for log-ins only: the fans keep their sessions
local schedule = {}
local next_kind, next_hold, next_section, next_fan = 1, 1, 1, 1
local pending = {}     -- holds to release: {hold id, token}
counts = {}
statuses = {}

function init(args)
  local threads_n = tonumber(os.getenv("WRK_THREADS") or "1")
  local seed = tonumber(os.getenv("SEED") or "1")
  local slice = tonumber(os.getenv("SLICE") or "1")
  math.randomseed(seed * 1000003 + slice * 101 + index)
  local per_fan = {}
  for line in io.lines(os.getenv("FANS_FILE")) do
    local list = line:match("^#sections (%S+)")
    local emails = line:match("^#logins (%S+)")
    if list then
      for s in list:gmatch("[^,]+") do sections[#sections + 1] = s end
    elseif emails then
      for e in emails:gmatch("[^,]+") do logins[#logins + 1] = e end
    else
      local account, token, admission, ticket, email, seats =
        line:match("(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)")
      local fan = {account, token, admission, ticket, email}
      fans[#fans + 1] = fan
      local mine = {}
      local k = 0
      for seat in seats:gmatch("[^,]+") do
        -- Every thread takes its own share of each fan's seats: no two threads hold one seat.
        if k % threads_n == index - 1 then
          mine[#mine + 1] = seat
          owner[seat] = fan
        end
        k = k + 1
      end
      per_fan[#per_fan + 1] = mine
    end
  end
  for k = 1, #per_fan[1] do
    for i = 1, #per_fan do
      if per_fan[i][k] then holds[#holds + 1] = per_fan[i][k] end
    end
  end
  for _, m in ipairs(mix) do
    for _ = 1, m[2] do schedule[#schedule + 1] = m[1] end
  end
  for i = #schedule, 2, -1 do
    local j = math.random(i)
    schedule[i], schedule[j] = schedule[j], schedule[i]
  end
  -- Each slice starts elsewhere in the rotation, away from the seats the last one left held.
  next_hold = math.random(#holds)
  next_section = math.random(#sections)
  next_fan = math.random(#fans)
end

local function count(kind)
  counts[kind] = (counts[kind] or 0) + 1
end

local function pick_fan()
  local f = fans[next_fan]
  next_fan = next_fan % #fans + 1
  return f
end

local function seatmap_path()
  local s = sections[next_section]
  next_section = next_section % #sections + 1
  return "/v1/events/" .. event .. "/seatmap?section=" .. s
end

function request()
  local p = table.remove(pending)
  if p then
    count("release")
    return wrk.format("DELETE", "/v1/holds/" .. p[1], {["Authorization"] = "Bearer " .. p[2]})
  end
  local kind = schedule[next_kind]
  next_kind = next_kind % #schedule + 1
  count(kind)
  if kind == "seatmap" then
    return wrk.format("GET", seatmap_path())
  elseif kind == "seatmapgz" then
    return wrk.format("GET", seatmap_path(), {["Accept-Encoding"] = "gzip"})
  elseif kind == "poll" then
    local f = pick_fan()
    return wrk.format("GET", "/v1/events/" .. event .. "/queue/" .. f[4],
                      {["Authorization"] = "Bearer " .. f[2]})
  elseif kind == "hold" then
    local seat = holds[next_hold]
    next_hold = next_hold % #holds + 1
    local f = owner[seat]
    local headers = {
      ["Authorization"] = "Bearer " .. f[2],
      ["X-Admission-Token"] = f[3],
      ["Content-Type"] = "application/json",
    }
    if hold_keys then
      headers["Idempotency-Key"] = string.format("soak-%d-%d-%d-%d", math.random(1e9), index,
                                                 counts.hold, math.random(1e9))
    end
    return wrk.format("POST", "/v1/events/" .. event .. "/holds", headers,
                      '{"seats":["' .. seat .. '"]}')
  elseif kind == "detail" then
    return wrk.format("GET", "/v1/events/" .. event)
  elseif kind == "healthz" then
    return wrk.format("GET", "/healthz")
  else -- login
    local email = logins[math.random(#logins)]
    return wrk.format("POST", "/v1/sessions", {["Content-Type"] = "application/json"},
                      '{"email":"' .. email .. '","password":"correct horse"}')
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 and body:find('"expires_at"', 1, true) and body:find('"seats"', 1, true) then
    local id = body:match('"id":"([^"]+)"')
    local seat = body:match('"seats":%[{"id":"([^"]+)"')
    local f = seat and owner[seat]
    if id and f then pending[#pending + 1] = {id, f[2]} end
  end
end

function done(summary, latency, requests)
  local c, s = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts") or {}) do c[k] = (c[k] or 0) + v end
    for k, v in pairs(t:get("statuses") or {}) do s[k] = (s[k] or 0) + v end
  end
  local function line(t)
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. t[k] end
    return table.concat(parts, " ")
  end
  io.write("mix: " .. line(c) .. "\n")
  io.write("statuses: " .. line(s) .. "\n")
end
