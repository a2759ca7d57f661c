-- wrk script: POST the SubjectAccessReviews of a JSON Lines file in turn (REVIEWS=path), the real
-- review mix of a generated workload. WRK_CONN_CLOSE=1 makes every request a new connection.
local path = os.getenv("REVIEWS") or "requests.jsonl"
local bodies = {}
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local index = 0
wrk.method = "POST"
wrk.path = "/authorize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
if os.getenv("WRK_CONN_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end
request = function()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end
