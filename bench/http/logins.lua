-- wrk script: log-ins, POST /v1/sessions, the accounts login1..login$ACCOUNTS@example.com in
-- turn (password "correct horse"; bench/logins.sh signs them up).
local n = tonumber(os.getenv("ACCOUNTS") or "20")
local next_account = 1

function init(args)
  next_account = math.random(n)
end

function request()
  local body = '{"email":"login' .. next_account .. '@example.com","password":"correct horse"}'
  next_account = next_account % n + 1
  return wrk.format("POST", "/v1/sessions", {["Content-Type"] = "application/json"}, body)
end
