-- wrk script: POST the SubjectAccessReviews of a JSON Lines file in turn (REVIEWS=path), the real
-- review mix of a generated workload. WRK_CONN_CLOSE=1 makes every request a new connection.
--
-- Every request is formatted once, when the script loads (wrk loads it once per thread), so that
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
for line in io.lines(path) do
  if #line > 0 then requests[#requests + 1] = wrk.format(nil, nil, nil, line) end
end
local count = #requests
local index = 0
request = function()
  index = index + 1
  if index > count then index = 1 end
  return requests[index]
end
