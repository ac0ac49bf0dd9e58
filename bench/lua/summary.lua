-- SPDX-License-Identifier: Apache-2.0
-- What every `make bench` wrk script writes to $BENCH_OUT from its done():
-- wrk's counts and latencies as one JSON object, ended by the script's own
-- members (`extra`, a string of ',"name":value', or nil). bench.pl puts
-- bench/lua on LUA_PATH for require("summary").
local M = {}

function M.write(summary, latency, extra)
   local e = summary.errors
   local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   f:write(string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
      '"lat_mean_us":%.1f,"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d%s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), extra or ""))
   f:close()
end

return M
