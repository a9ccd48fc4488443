"""Schema validation cost of hostile bodies vs a valid body of the same size.

Each figure is the median of several runs, each in a fresh subprocess: wall time of
NotificationValidator.problems() on the parsed body, and the peak RSS it adds over the parsed
body (resource.getrusage). Run: .venv/bin/python -m bench.schema_cost [SIZE_BYTES] [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import orjson

SHAPES = ("valid", "empty_alerts", "numeric_labels", "numeric_common_labels", "no_required")

_ALERT = {
    "status": "firing",
    "labels": {"alertname": "KubePodCrashLooping", "pod": "api-7d9c6b5f4-00001"},
    "annotations": {"summary": "Pod api-7d9c6b5f4-00001 is crash looping"},
    "startsAt": "2026-11-27T02:54:24.89267148Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
    "fingerprint": "0123456789abcdef",
}
_HEAD = {"version": "4", "status": "firing", "receiver": "r", "groupKey": "{}:{}"}


def body(shape: str, size: int) -> bytes:
    """A body of `shape`, about `size` bytes."""

    def repeat(unit: object, wrap) -> bytes:
        one = len(orjson.dumps(unit)) + 1
        return orjson.dumps(wrap(max(1, size // one)))

    if shape == "valid":
        return repeat(_ALERT, lambda n: {**_HEAD, "alerts": [_ALERT] * n})
    if shape == "empty_alerts":
        return repeat({}, lambda n: {**_HEAD, "alerts": [{}] * n})
    if shape == "numeric_labels":
        numeric = {**_ALERT, "labels": {f"l{i}": i for i in range(10)}}
        return repeat(numeric, lambda n: {**_HEAD, "alerts": [numeric] * n})
    if shape == "numeric_common_labels":
        return repeat(
            {"l000000": 1},
            lambda n: {
                **_HEAD,
                "alerts": [_ALERT],
                "commonLabels": {f"l{i:06d}": i for i in range(n)},
            },
        )
    if shape == "no_required":
        return repeat(_ALERT, lambda n: {"alerts": [_ALERT] * n})
    raise ValueError(shape)


_CHILD = """
import json, resource, sys, time
import orjson
from alertarchive.receiver.schema import NotificationValidator
validator = NotificationValidator()
validator.problems({})
document = orjson.loads(sys.stdin.buffer.read())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
problems = validator.problems(document)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": after - before, "problems": len(problems)}))
"""


def measure(data: bytes) -> dict:
    """One run in a fresh interpreter: seconds, added peak KiB, number of problems."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], input=data, capture_output=True, check=True
    ).stdout
    return json.loads(out)


def median_of(data: bytes, runs: int) -> dict:
    results = [measure(data) for _ in range(runs)]
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_kib": statistics.median(r["peak_kib"] for r in results),
        "problems": results[0]["problems"],
    }


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1024 * 1024
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    shapes = sys.argv[3].split(",") if len(sys.argv) > 3 else SHAPES
    baseline = median_of(body("valid", size), runs)
    print(f"body ~{size / 2**20:.2f} MiB, median of {runs} runs")
    print(f"{'shape':<24}{'problems':>9}{'seconds':>10}{'x valid':>9}{'peak MiB':>10}")
    for shape in shapes:
        row = baseline if shape == "valid" else median_of(body(shape, size), runs)
        ratio = row["seconds"] / max(baseline["seconds"], 1e-6)
        print(
            f"{shape:<24}{row['problems']:>9}{row['seconds']:>10.4f}{ratio:>9.1f}"
            f"{row['peak_kib'] / 1024:>10.1f}"
        )


if __name__ == "__main__":
    main()
