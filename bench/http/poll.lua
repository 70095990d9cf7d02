-- wrk script: a fan's queue-status poll, GET /v1/events/EVENT/queue/TICKET with the fan's
-- bearer token, the fans of $FANS_FILE ("token ticket" lines, from setup.py) in turn: waiting
-- fans of EVENT-wait, or admitted fans of EVENT.
local fans = {}
local next_fan = 1
local event = os.getenv("EVENT")

function init(args)
  for line in io.lines(os.getenv("FANS_FILE")) do
    local token, ticket = line:match("(%S+) (%S+)")
    fans[#fans + 1] = {token, ticket}
  end
  next_fan = math.random(#fans)
end

function request()
  local f = fans[next_fan]
  next_fan = next_fan % #fans + 1
  return wrk.format("GET", "/v1/events/" .. event .. "/queue/" .. f[2],
                    {["Authorization"] = "Bearer " .. f[1]})
end
