-- wrk script: POST /v1/token, each request with the next unused code from codes.txt.
-- Usage: wrk -s exchange.lua … (environment: CODES_FILE, BASIC, REDIRECT_URI)
local codes = {}
local index = 0
local basic = os.getenv("BASIC")
local redirect_uri = os.getenv("REDIRECT_URI")

function init(args)
  local offset = thread_offset or 0
  local stride = tonumber(args[1] or "1")
  local n = 0
  for line in io.lines(os.getenv("CODES_FILE")) do
    if n % stride == offset then table.insert(codes, line) end
    n = n + 1
  end
end

local thread_number = 0
function setup(thread)
  thread:set("thread_offset", thread_number)
  thread_number = thread_number + 1
end

function request()
  index = index + 1
  local code = codes[index] or "exhausted"
  local body = "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect_uri
  return wrk.format("POST", "/v1/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. basic,
  }, body)
end
