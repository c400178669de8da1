"""Drive the served app with wrk (a separate process), one route at a time, same connections for all.

Each route is a list of requests (method, path, session cookie, body) written to a
Lua file; wrk's threads take them in turn (thread k takes k, k + threads, ...), so
every request is a different virtual user, and every submission a fresh one.
The script counts responses whose status is not the expected one (200 for pages,
303 for a successful form post) and prints one JSON line at the end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

LUA = r"""
local reqs = dofile("%(data)s")
local expected = %(expected)d
local threads = {}
local counter = 0
bad = 0
wrapped = 0
local stride = 1

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(args[1])
  counter = tid
end

function request()
  local n = #reqs
  if counter >= n then wrapped = wrapped + 1 end
  local r = reqs[(counter %% n) + 1]
  counter = counter + stride
  local headers = {}
  if r[3] ~= "" then headers["Cookie"] = "session=" .. r[3] end
  if r[1] == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  return wrk.format(r[1], r[2], headers, r[4] ~= "" and r[4] or nil)
end

function response(status, headers, body)
  if status ~= expected then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected status " .. status .. "\n") end
  end
end

function done(summary, latency, requests)
  local total_bad, total_wrapped = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_wrapped = total_wrapped + t:get("wrapped")
  end
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, ' ..
    '"status_errors": %%d, "timeouts": %%d, "unexpected_status": %%d, "wrapped": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, total_bad, total_wrapped,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * 4
    while f"]{level}]" in value:
        level += "="
    return f"[{level}[{value}]{level}]"


def write_requests(path: Path, requests: list[tuple[str, str, str, str]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("return {\n")
        for method, url, cookie, body in requests:
            out.write(f"{{{_lua_string(method)}, {_lua_string(url)}, {_lua_string(cookie)}, {_lua_string(body)}}},\n")
        out.write("}\n")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk); `make bench` installs it")
    return found


def run(base_url: str, name: str, requests: list[tuple[str, str, str, str]], expected: int, *, connections: int,
        threads: int, seconds: int, workdir: Path) -> dict:
    """Run wrk against `requests` for `seconds`; requests/s, latency percentiles (ms) and failures."""
    data = workdir / f"{name}.requests.lua"
    script = workdir / f"{name}.lua"
    write_requests(data, requests)
    script.write_text(LUA % {"data": str(data), "expected": expected}, encoding="utf-8")
    command = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
               "-s", str(script), base_url, "--", str(threads)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith('{"requests"')), None)
    if line is None:
        raise RuntimeError(f"wrk failed for {name}: {completed.stdout}\n{completed.stderr}")
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    failures = (raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
                + raw["unexpected_status"])
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "failures": failures,
        "non_2xx_3xx": raw["status_errors"],
        "unexpected_status": raw["unexpected_status"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        "reused_requests": raw["wrapped"],
        "distinct_requests": len(requests),
        "first_problems": completed.stderr.strip().splitlines()[:3],
    }
