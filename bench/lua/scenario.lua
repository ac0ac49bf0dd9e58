-- SPDX-License-Identifier: Apache-2.0
-- wrk script used by every `make bench` scenario, configured through the
-- environment (bench/bench.pl sets it):
--   BENCH_METHOD   GET or POST
--   BENCH_PATH     request path
--   BENCH_COOKIES  file with one Cookie header value per line (optional):
--                  thread k of n uses lines k, k+n, k+2n, ... so threads never
--                  share a session; each thread rotates through its slice, so
--                  with far more sessions than connections two requests of the
--                  same session are almost never in flight at once
--   BENCH_BODY     urlencoded body (POST); "%N" is replaced by a per-request number
--   BENCH_THREADS  wrk's -t value
--   BENCH_OUT      where done() writes its JSON summary
--   BENCH_STOP_AFTER  (optional) a thread stops after this many answers and
--                  creates "$BENCH_OUT.stop"; bench.pl then stops wrk
--                  (SIGINT) before its -d, which bounds the run in time.
--                  Only then is response() defined (it makes wrk hand every
--                  answer to Lua, which costs it CPU).
local report = require("summary")
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
end

local function read_lines(file)
   local out = {}
   for line in io.lines(file) do
      if line ~= "" then out[#out + 1] = line end
   end
   return out
end

function init(args)
   local method = os.getenv("BENCH_METHOD") or "GET"
   local path = os.getenv("BENCH_PATH") or "/"
   local cookie_file = os.getenv("BENCH_COOKIES") or ""
   local body = os.getenv("BENCH_BODY") or ""
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
   local cookies = {}
   if cookie_file ~= "" then cookies = read_lines(cookie_file) end

   reqs = {}
   local n = 0
   local function add(cookie, i)
      local headers = {}
      local b = nil
      if cookie then headers["Cookie"] = cookie end
      if body ~= "" then
         headers["Content-Type"] = "application/x-www-form-urlencoded"
         b = string.gsub(body, "%%N", tostring(tid) .. "x" .. tostring(i))
      end
      n = n + 1
      reqs[n] = wrk.format(method, path, headers, b)
   end
   if #cookies > 0 then
      for i = tid + 1, #cookies, nthreads do add(cookies[i], i) end
      if n == 0 then error("no cookies for thread " .. tid) end
   elseif body ~= "" then
      for i = 1, 4096 do add(nil, i) end
   else
      add(nil, 1)
   end
   idx = 0
   answered = 0
end

function request()
   idx = idx + 1
   if idx > #reqs then idx = 1 end
   return reqs[idx]
end

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
if stop_after then
   function response(status, headers, body)
      answered = answered + 1
      if answered == stop_after then
         local f = io.open(os.getenv("BENCH_OUT") .. ".stop", "w")
         if f then f:close() end
         wrk.thread:stop()
      end
   end
end

function done(summary, latency, requests)
   report.write(summary, latency)
end
