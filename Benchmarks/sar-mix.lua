-- wrk script: POST the SubjectAccessReviews of a JSON Lines file in turn (REVIEWS=path), the real
-- review mix of a generated workload. WRK_CONN_CLOSE=1 makes every request a new connection.
--
-- Every request is formatted once, in init (wrk runs it once per thread), so that
-- request() only hands back a prebuilt string: the client then costs about what the static
-- sar-post.lua costs, and the server is what a run measures. The headers are sar-post.lua's.
local path = os.getenv("REVIEWS") or "requests.jsonl"
wrk.method = "POST"
wrk.path = "/authorize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
wrk.headers["User-Agent"] = "kube-apiserver-admission"
if os.getenv("WRK_CONN_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end
local requests = {}
local count = 0
local index = 0
-- wrk calls init once per thread, after it has set the Host header (not yet set while the script
-- loads): format everything here.
init = function(args)
  for line in io.lines(path) do
    if #line > 0 then requests[#requests + 1] = wrk.format(nil, nil, nil, line) end
  end
  count = #requests
end
request = function()
  index = index + 1
  if index > count then index = 1 end
  return requests[index]
end
