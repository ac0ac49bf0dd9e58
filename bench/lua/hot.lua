-- SPDX-License-Identifier: Apache-2.0
-- wrk script of the hot-session scenario of `make bench` (bench/bench.pl):
-- every connection sends the same request with the same session cookie, and
-- the script counts the answers by status, so that bench.pl can compare the
-- number of 200s with what the server stored (visitCount).
--
-- Run with -t1 (bench.pl does). Configured through the environment:
--   BENCH_METHOD, BENCH_PATH  the request
--   BENCH_COOKIE              the Cookie header value (one session)
--   BENCH_ACTIVE              seconds during which new requests are sent,
--                             counted from the first one
--   BENCH_OUT                 where done() writes its JSON summary; when the
--                             active time is over and every request sent has
--                             been answered, "$BENCH_OUT.idle" is created, and
--                             bench.pl then stops wrk (SIGINT) before its -d
--
-- Why the drain: wrk stops at -d with requests still in flight, which the
-- server serves (and counts as visits) but wrk never counts. After
-- BENCH_ACTIVE, delay() holds every connection's next request back for an
-- hour, so the requests in flight finish and are counted, and no new one
-- starts. wrk's -d (set by bench.pl a few seconds past BENCH_ACTIVE) bounds
-- the drain; what is still unanswered then is reported as such.
local ffi = require("ffi")
local report = require("summary")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } sd_bench_timeval;
int gettimeofday(sd_bench_timeval *tv, void *tz);
]]
local tv = ffi.new("sd_bench_timeval")
local function now()
   ffi.C.gettimeofday(tv, nil)
   return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   threads[#threads + 1] = thread
end

function init(args)
   local headers = {}
   local cookie = os.getenv("BENCH_COOKIE") or ""
   if cookie ~= "" then headers["Cookie"] = cookie end
   req = wrk.format(os.getenv("BENCH_METHOD") or "GET", os.getenv("BENCH_PATH") or "/", headers)
   active = tonumber(os.getenv("BENCH_ACTIVE") or "10")
   marker = (os.getenv("BENCH_OUT") or "/dev/null") .. ".idle"
   -- Per-thread counters, read by done() through thread:get().
   sent, answered, ok200 = 0, 0, 0
   other = ""          -- "503:12 500:1": answers that were not 200, by status
   t_first, t_last = 0, 0
   deadline = nil
   codes = {}
   idle_written = false
   verified = false
end

function delay()
   if deadline and now() >= deadline then return 3600000 end
   return 0
end

function request()
   -- wrk calls request() of thread 0 once before it connects, to check the
   -- request (script_verify_request): not a request sent.
   if tid == 0 and not verified then
      verified = true
      return req
   end
   if sent == 0 then
      t_first = now()
      deadline = t_first + active
   end
   sent = sent + 1
   return req
end

function response(status, headers, body)
   answered = answered + 1
   t_last = now()
   if status == 200 then
      ok200 = ok200 + 1
   else
      codes[status] = (codes[status] or 0) + 1
      local parts = {}
      for code, n in pairs(codes) do parts[#parts + 1] = code .. ":" .. n end
      table.sort(parts)
      other = table.concat(parts, " ")
   end
   if deadline and t_last >= deadline and answered == sent and not idle_written then
      idle_written = true
      local f = io.open(marker, "w")
      if f then f:close() end
   end
end

function done(summary, latency, requests)
   local s = { sent = 0, answered = 0, ok200 = 0 }
   local first, last, other_all = nil, 0, {}
   for _, t in ipairs(threads) do
      s.sent = s.sent + (t:get("sent") or 0)
      s.answered = s.answered + (t:get("answered") or 0)
      s.ok200 = s.ok200 + (t:get("ok200") or 0)
      local tf, tl = t:get("t_first") or 0, t:get("t_last") or 0
      if tf > 0 and (not first or tf < first) then first = tf end
      if tl > last then last = tl end
      local o = t:get("other") or ""
      if o ~= "" then other_all[#other_all + 1] = o end
   end
   report.write(summary, latency, string.format(
      ',"sent":%d,"answered":%d,"ok200":%d,"other_status":"%s","active_s":%.6f',
      s.sent, s.answered, s.ok200, table.concat(other_all, " "), first and (last - first) or 0))
end
