-- wrk script: durable hold POSTs, each for another seat, spread over many fans' sessions.
-- Reads "token admission seat [event]" lines from $HOLDS_FILE (the event defaults to $EVENT);
-- each wrk thread takes its own slice.
local lines = {}
local next_line = 1
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("slice", counter)
end

event = os.getenv("EVENT")

function init(args)
  local path = os.getenv("HOLDS_FILE")
  local threads = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in io.lines(path) do
    if i % threads == slice - 1 then
      local token, admission, seat, ev = line:match("(%S+) (%S+) (%S+)%s*(%S*)")
      lines[#lines + 1] = {token, admission, seat, ev ~= "" and ev or event}
    end
    i = i + 1
  end
end

function request()
  local l = lines[next_line]
  next_line = next_line + 1
  if next_line > #lines then next_line = 1 end
  local headers = {
    ["Authorization"] = "Bearer " .. l[1],
    ["X-Admission-Token"] = l[2],
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/v1/events/" .. l[4] .. "/holds", headers, '{"seats":["' .. l[3] .. '"]}')
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("  latency p50 %.2f ms, p99 %.2f ms\n",
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
