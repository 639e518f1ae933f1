-- wrk: a sustained mix of bookings and cancellations against POST /api/bookings (read by bench_booking.py).
-- Arguments after "--": FILE of slot ids (one a line), CANCEL_SHARE (e.g. 0.2), RUN (a token that keeps this run's
-- Idempotency-Keys apart from an earlier run's on the same database).
-- Every booking has its own phone number and Idempotency-Key; a cancellation cancels a booking this thread made
-- earlier (code and token read from the 201 response). Status counts are kept per thread and summed in done().

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  slots = {}
  for line in io.lines(args[1]) do
    slots[#slots + 1] = tonumber(line)
  end
  cancel_share = tonumber(args[2] or "0.2")
  run = args[3] or tostring(os.time())
  math.randomseed(os.time() * 1000 + id)
  n = 0
  pending = {}
  sent_bookings, sent_cancels = 0, 0
  created, cancelled, refused, limited, client_errors, server_errors = 0, 0, 0, 0, 0, 0
  party_sizes = {1, 1, 1, 1, 2, 2, 3}
  booked_places = 0
end

local function booking()
  n = n + 1
  sent_bookings = sent_bookings + 1
  local body = string.format(
    '{"slot_id":%d,"name_kana":"カナザワ タロウ","phone":"09%d%08d","party_size":%d}',
    slots[math.random(#slots)], id % 10, n, party_sizes[math.random(#party_sizes)])
  return wrk.format("POST", "/api/bookings",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, id, n)}, body)
end

function request()
  if #pending > 0 and math.random() < cancel_share then
    local item = table.remove(pending, 1)
    sent_cancels = sent_cancels + 1
    return wrk.format("POST", "/api/bookings/" .. item[1] .. "/cancel?token=" .. item[2], {}, "")
  end
  return booking()
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    local code = string.match(body, '"code":"(%w+)"')
    local token = string.match(body, '"token":"([%w_%-]+)"')
    if code and token then
      pending[#pending + 1] = {code, token}
    end
  elseif status == 200 then
    cancelled = cancelled + 1
  elseif status == 409 then
    refused = refused + 1
  elseif status == 429 then
    limited = limited + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  else
    client_errors = client_errors + 1
  end
end

function done(summary, latency, requests)
  local totals = {sent_bookings = 0, sent_cancels = 0, created = 0, cancelled = 0, refused = 0, limited = 0,
                  client_errors = 0, server_errors = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non_2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"sent_bookings":%d,"sent_cancels":%d,"created":%d,"cancelled":%d,"refused":%d,"limited":%d,' ..
    '"client_errors":%d,"server_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect, e.read, e.write, e.timeout, totals.sent_bookings, totals.sent_cancels,
    totals.created, totals.cancelled, totals.refused, totals.limited, totals.client_errors, totals.server_errors))
end
