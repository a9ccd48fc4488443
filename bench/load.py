"""Load generation with wrk (Debian's), one thread pinned to the client core."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

from bench.servers import CLIENT_CPU, TOKEN, pinned

LUA = pathlib.Path(__file__).resolve().parent / "rotate.lua"
WRK = "/usr/bin/wrk"


def wrk_version() -> str:
    result = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).splitlines()[0].split(" Copyright")[0]


def run(
    url: str,
    templates: list[pathlib.Path],
    connections: int,
    seconds: float,
    run_id: str,
    limit: int = 0,
) -> dict:
    """One wrk run; counts, per-status counts and latencies, plus 2xx/s (`rps`).

    With limit > 0 the Lua script stops after that many responses and leaves a marker file;
    wrk itself only ends at its deadline or on SIGINT, so the marker triggers a SIGINT.
    """
    marker = templates[0].parent / f"{run_id}.done"
    argv = [
        *pinned(CLIENT_CPU),
        WRK,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        url,
        "--",
        run_id,
        str(limit),
        str(marker) if limit else "-",
        *map(str, templates),
    ]
    env = {**os.environ, "BENCH_TOKEN": TOKEN}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    if limit:
        while process.poll() is None and not marker.exists():
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=seconds + 60)
    marker.unlink(missing_ok=True)
    lines = [line for line in output.splitlines() if line.startswith("WRK_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    result = json.loads(lines[-1].removeprefix("WRK_JSON "))
    successes = sum(count for status, count in result["statuses"].items() if status.startswith("2"))
    result["successes"] = successes
    result["rps"] = round(successes / (result["duration_us"] / 1e6), 1)
    result["p50_ms"] = round(result["latency_us"]["p50"] / 1000, 2)
    result["p99_ms"] = round(result["latency_us"]["p99"] / 1000, 2)
    return result
