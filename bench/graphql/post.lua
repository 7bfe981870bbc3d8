-- wrk script: POSTs one GraphQL request body (a JSON file) over and over, checks
-- every response is a 200, and prints one line at the end:
--   RESULT <requests/s> <p99 µs> <requests> <errors> <non-2xx> <timeouts>
--   wrk ... -s post.lua URL -- BODY.json [AUTHORIZATION]
local body, auth
function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  auth = args[2]
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if auth and auth ~= "" then headers["Authorization"] = auth end
  req = wrk.format("POST", nil, headers, body)
end
function request()
  return req
end
function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %.1f %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99), summary.requests, errors,
    e.status, e.timeout))
end
