"""The CLI at a year's scale: `list`, `stats`, `report` and `export` over local archives of
10,000, 100,000 (and with --full 300,000) notifications, wall time and peak RSS of each whole
process, and the cost per 1,000 notifications (flat means the design scales).

The archives are written by the real receiver (tests/support/archives.py ArchiveWriter), spread
over 30 days: 2,000 alerts of 60 names on 6 receivers, firing and resolving, one to three
alerts per notification. Only while building, os.fsync is a no-op in the building process: the
files are the same bytes, and building 300,000 durable writes would take most of an hour.
Built once into BENCH_CACHE (default $TMPDIR/alertarchive-bench) and reused.

    .venv/bin/python bench/cli_scale.py            # 10k and 100k
    .venv/bin/python bench/cli_scale.py --full     # and 300k
    .venv/bin/python bench/cli_scale.py --sizes 10000 --runs 1
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from unittest import mock

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.archives import ArchiveWriter, alert, notification  # noqa: E402

END = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
DAYS = 30
START = END - datetime.timedelta(days=DAYS)
ALERTS = 2_000
ALERTNAMES = [f"Alert{index:02d}" for index in range(60)]
RECEIVERS = ["team-a", "team-b", "team\\.db", "oncall", "web", "storage"]
SEVERITIES = ["critical", "warning", "info"]
# The targets for 100,000 notifications: seconds, and MiB of peak RSS for each.
TARGETS = {"list": 3.0, "stats": 5.0, "report": 8.0, "export": 5.0}
TARGET_MIB = 150
RESULTS = REPO / "bench" / "results"


def bodies(count: int) -> Iterator[tuple[datetime.datetime, bytes]]:
    """(received_at, body) pairs spread over the window, as a busy Alertmanager sends them."""
    step = (END - START) / count
    for index in range(count):
        received_at = START + step * index + datetime.timedelta(seconds=1)
        first = (index * 7) % ALERTS
        group = []
        for offset in range(1 + index % 3):
            number = (first + offset) % ALERTS
            labels = {
                "alertname": ALERTNAMES[number % len(ALERTNAMES)],
                "severity": SEVERITIES[number % len(SEVERITIES)],
                "instance": f"host-{number:04d}",
                "job": "node",
            }
            # Each alert fires once a day at its own minute for 1-5 hours, then resolves:
            # every notification in between carries the same startsAt, as Alertmanager's do.
            phase = datetime.timedelta(minutes=number % 1440)
            days = (received_at - START - phase) // datetime.timedelta(days=1)
            started = START + phase + datetime.timedelta(days=days)
            ends_at = started + datetime.timedelta(hours=1 + number % 5)
            resolved = received_at >= ends_at
            group.append(
                alert(
                    labels,
                    started,
                    ends_at=ends_at if resolved else None,
                    annotations={"summary": f"{labels['alertname']} on {labels['instance']}"},
                )
            )
        yield received_at, notification(group, receiver=RECEIVERS[first % len(RECEIVERS)])


def archive(count: int) -> pathlib.Path:
    """The cached archive of `count` notifications, built through the receiver on first use."""
    cache = pathlib.Path(
        os.environ.get("BENCH_CACHE", pathlib.Path(tempfile.gettempdir()) / "alertarchive-bench")
    )
    root = cache / f"cli-scale-{count}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    writer = ArchiveWriter(str(root))
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        mock.patch("os.fsync", lambda descriptor: None),
    ):
        for received_at, body in bodies(count):
            answer = writer.post(body, received_at)
            if answer["status_code"] != 201:
                raise RuntimeError(f"the receiver refused a benchmark body: {answer}")
    (root / ".complete").write_text(f"{count}\n")
    print(f"  built {count:,} notifications in {time.perf_counter() - started:.0f} s", flush=True)
    return root


def commands(root: pathlib.Path, scratch: pathlib.Path) -> dict[str, list[str]]:
    window = ["--since", START.isoformat(), "--until", END.isoformat()]
    base = [sys.executable, "-m", "alertarchive", "--archive", str(root), "--utc"]
    csv = scratch / "alerts.csv"
    return {
        "list": [*base, "list", *window],
        "stats": [*base, "stats", *window],
        "report": [*base, "report", *window, "-o", str(scratch / "report.html")],
        "export": [*base, "export", *window, "--alerts", "--format", "csv", "-o", str(csv)],
    }


# Linux keeps a process's peak RSS across exec, and a forked child starts from its parent's: a
# CLI started straight from this (large) process would report at least this process's RSS. A
# small launcher forks it instead and reports the child's own peak.
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {seconds}")
"""


def run_once(argv: list[str], cache_home: pathlib.Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole CLI process, output discarded."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    report = cache_home.parent / "launcher-report"
    subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(report), *argv],
        stdout=subprocess.DEVNULL,
        cwd=REPO,
        env=env,
        check=True,
    )
    code, peak_kib, seconds = report.read_text().split()
    if code != "0":
        raise RuntimeError(f"{' '.join(argv)} exited {code}")
    return float(seconds), int(peak_kib) / 1024


# A first run over the archive (empty cache: every object's metadata read, the listings
# kept), and the same command again (the listings reused).
RUN_KINDS = ("first", "again")


def measure(sizes: list[int], runs: int) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{command: {size: {first|again: {seconds, peak_mib, ms_per_1000}}}}, medians of runs."""
    figures: dict[str, dict[str, dict[str, dict[str, float]]]] = {name: {} for name in TARGETS}
    with tempfile.TemporaryDirectory(prefix="bench-cli-scale-") as scratch:
        for size in sizes:
            root = archive(size)
            for name, argv in commands(root, pathlib.Path(scratch)).items():
                samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in RUN_KINDS}
                for run in range(runs):
                    cache_home = pathlib.Path(scratch, f"cache-{size}-{name}-{run}")
                    for kind in RUN_KINDS:
                        samples[kind].append(run_once(argv, cache_home))
                    shutil.rmtree(cache_home, ignore_errors=True)
                figures[name][str(size)] = {
                    kind: _summary(samples[kind], size) for kind in RUN_KINDS
                }
                first, again = (figures[name][str(size)][kind] for kind in RUN_KINDS)
                print(
                    f"  {name:<7} {size:>7,}  first {first['seconds']:6.2f} s "
                    f"{first['peak_mib']:6.1f} MiB   again {again['seconds']:6.2f} s "
                    f"{again['peak_mib']:6.1f} MiB",
                    flush=True,
                )
    return figures


def _summary(samples: list[tuple[float, float]], size: int) -> dict[str, float]:
    seconds = statistics.median(sample[0] for sample in samples)
    return {
        "seconds": round(seconds, 2),
        "peak_mib": round(max(sample[1] for sample in samples), 1),
        "ms_per_1000": round(seconds * 1000 / (size / 1000), 1),
    }


def meets(row: dict[str, float], command: str) -> bool:
    return row["seconds"] <= TARGETS[command] and row["peak_mib"] <= TARGET_MIB


def table(figures: dict[str, dict[str, dict[str, dict[str, float]]]]) -> list[str]:
    """The Markdown table bench/results/latest.md shows: first runs, then runs again."""
    sizes = sorted({int(size) for rows in figures.values() for size in rows})
    header = " | ".join(f"{size:,} first / again" for size in sizes)
    lines = [
        f"| command | {header} | target at 100,000 | met (first / again) |",
        "|---|" + "---:|" * len(sizes) + "---|---|",
    ]
    for name, rows in figures.items():
        cells = [
            " / ".join(
                f"{rows[str(size)][kind]['seconds']:.2f} s {rows[str(size)][kind]['peak_mib']:.0f} "
                f"MiB"
                for kind in RUN_KINDS
            )
            for size in sizes
        ]
        at_100k = rows.get("100000")
        wanted = f"<= {TARGETS[name]:g} s, <= {TARGET_MIB} MiB"
        if at_100k is None:
            met = "not measured"
        else:
            met = " / ".join(
                "yes" if meets(at_100k[kind], name) else "**no**" for kind in RUN_KINDS
            )
        lines.append(f"| {name} | {' | '.join(cells)} | {wanted} | {met} |")
    per_1000 = " | ".join(f"{size:,}" for size in sizes)
    lines += [
        "",
        "Milliseconds per 1,000 notifications, first runs (flat: the cost is per notification):",
        "",
        f"| command | {per_1000} |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name, rows in figures.items():
        cells = [f"{rows[str(size)]['first']['ms_per_1000']:.0f}" for size in sizes]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="Also 300,000 notifications.")
    parser.add_argument("--sizes", type=int, nargs="+", help="Archive sizes to measure.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per cell (median).")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000, 300_000] if args.full else [10_000, 100_000])
    print(f"CLI over local archives of {', '.join(f'{s:,}' for s in sizes)} notifications")
    figures = measure(sizes, args.runs)
    print("\n".join(table(figures)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli_scale.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
