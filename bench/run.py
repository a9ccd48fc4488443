"""`make bench`: the receiver beside a hello-world function, measured in one run.

    .venv/bin/python bench/run.py [--quick] [--seconds N] [--out bench/results]

Prints a Markdown report and writes it, with the raw figures, to bench/results/latest.md and
bench/results/latest.json. See bench/README.md for what each section measures and how.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

REPO = pathlib.Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))

from bench import load, payloads, report, servers, stages  # noqa: E402

CONNECTIONS = (1, 16, 64)
SIZES = (10, 100, 1000)
# The memory phase's traffic: mostly small notifications, one in 20 of 100 alerts and one in
# 20 of 1,000 (the largest bodies set the peak).
MEMORY_MIX = (10,) * 9 + (100,) + (10,) * 9 + (1000,)
MEMORY_CHECKPOINTS = (1_000, 10_000)
# fake-gcs-server takes ~100 uploads/s from the real client: 10,000 would take minutes.
GCS_MEMORY_CHECKPOINTS = (1_000, 3_000)
BUCKET = "bench"
SECTIONS = (
    "throughput",
    "breakdown",
    "cold_start",
    "stages",
    "schema_cost",
    "gcs_transport",
    "memory",
    "cli",
    "cli_scale",
    "gcs_scale",
)
# Catalog worker counts the gs:// scale section compares (bench/gcs_scale.py measures more).
GCS_SCALE_WORKERS = "1,4,16,64"
# Invalid bodies of this size, each against a valid body of the same size.
SCHEMA_COST_BYTES = 1024 * 1024
# The breakdown's cells, and how many times each server runs in each (median of the ratios).
BREAKDOWN_CELLS = ((10, 16), (100, 16))
BREAKDOWN_ROUNDS = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 s per load cell and fewer repetitions (~4 minutes)"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="the CLI at 300,000 local and 100,000 gs:// notifications (~45 more minutes)",
    )
    parser.add_argument("--seconds", type=float, help="duration of each load cell")
    parser.add_argument("--cold-runs", type=int, help="cold starts per server (median)")
    parser.add_argument(
        "--threads",
        type=int,
        default=(os.cpu_count() or 1) * 4,
        help="THREADS for both servers (functions-framework's default)",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the scheduler place servers and wrk (default: one core each)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    servers.PINNING["enabled"] = not args.no_pin
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    cold_runs = args.cold_runs or (5 if args.quick else 7)

    workdir = _workdir()
    results: dict = {"meta": _meta(args, seconds, cold_runs, workdir)}
    fake = servers.fake_gcs(workdir)
    try:
        emulator_client = fake.client()
        emulator_client.create_bucket(BUCKET)
        templates = _templates(workdir)
        sections = {
            "throughput": lambda: throughput(workdir, templates, fake.url, args.threads, seconds),
            "breakdown": lambda: breakdown(
                workdir, templates, args.threads, seconds, 1 if args.quick else BREAKDOWN_ROUNDS
            ),
            "cold_start": lambda: cold_start(workdir, fake.url, args.threads, cold_runs),
            "stages": lambda: _on_server_core(
                lambda: stages.measure(workdir, emulator_client, BUCKET, args.quick)
            ),
            "schema_cost": lambda: schema_cost(1 if args.quick else 3),
            "gcs_transport": lambda: _on_server_core(lambda: gcs_transport(workdir, args.quick)),
            "memory": lambda: memory(workdir, templates, fake.url, args.threads),
            "cli": cli,
            "cli_scale": lambda: cli_scale(args.full, 1 if args.quick else 3),
            "gcs_scale": lambda: gcs_scale(args.quick, args.full),
        }
        for section in SECTIONS:
            if section in only:
                _progress(section)
                results[section] = sections[section]()
    finally:
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    results["targets"] = report.targets(results)
    markdown = report.markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown)
    print(markdown)
    return 0


def _workdir() -> pathlib.Path:
    """A fresh directory on the repository's disk (git-ignored), removed at the end.

    ext4 without a journal (this VM's disk) skips inodes freed in the last 1-6 minutes when
    it allocates one, scanning past each: right after a previous run's archive was deleted,
    every file created in that block group costs ~0.5 ms instead of ~0.01 ms. The TOPDIR flag
    makes ext4 place each run's directory in a fresh block group, so the figures are those of
    an archive that only grows, as a real one does.
    """
    parent = RESULTS / "work.tmp"
    parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["chattr", "+T", str(parent)], capture_output=True, check=False)
    return pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=parent))


def _file_create_us(workdir: pathlib.Path, files: int = 300) -> float:
    """Median cost of creating one empty file where the archives will be (µs)."""
    probe = workdir / "create-probe"
    probe.mkdir()
    timings = []
    for index in range(files):
        started = time.perf_counter()
        os.close(os.open(probe / str(index), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1e6, 1)


def _templates(workdir: pathlib.Path) -> dict[int, pathlib.Path]:
    templates = {}
    for alerts in SIZES:
        path = workdir / f"notification-{alerts}.json"
        path.write_bytes(payloads.notification(alerts))
        templates[alerts] = path
    return templates


def _servers(workdir: pathlib.Path, emulator: str, threads: int) -> list[servers.FunctionServer]:
    return [
        servers.hello(workdir, threads),
        servers.receiver("local", workdir, threads, str(workdir / "archive-local")),
        servers.receiver("gcs", workdir, threads, f"gs://{BUCKET}/load", emulator=emulator),
    ]


@contextlib.contextmanager
def _serving(
    to_start: list[servers.FunctionServer], templates: dict[int, pathlib.Path]
) -> Iterator[list[servers.FunctionServer]]:
    """Start the servers, warm each up (first answer, then 1 s of load), stop them after."""
    running = [server.start() for server in to_start]
    try:
        warm_up = payloads.notification(10, "warm-up")
        for server in running:
            server.first_answer(warm_up, (200, 201))
            load.run(server.url, [templates[10]], 16, 1, f"warm-{server.label}")
        yield running
    finally:
        for server in running:
            server.stop()


def throughput(
    workdir: pathlib.Path,
    templates: dict[int, pathlib.Path],
    emulator: str,
    threads: int,
    seconds: float,
) -> list[dict]:
    """Every (size, connections) cell on each server back to back, so drift hits all alike."""
    rows = []
    with _serving(_servers(workdir, emulator, threads), templates) as running:
        for alerts in SIZES:
            for connections in CONNECTIONS:
                cell = {}
                for server in running:
                    run_id = f"{server.label}-{alerts}-{connections}"
                    cell[server.label] = load.run(
                        server.url, [templates[alerts]], connections, seconds, run_id
                    )
                for label, result in cell.items():
                    rows.append(
                        {
                            "server": label,
                            "alerts": alerts,
                            "connections": connections,
                            "rps": result["rps"],
                            "ratio": round(result["rps"] / cell["hello"]["rps"], 3),
                            "p50_ms": result["p50_ms"],
                            "p99_ms": result["p99_ms"],
                            "requests": result["requests"],
                            "statuses": result["statuses"],
                            "errors": result["errors"],
                        }
                    )
                _progress(
                    f"  {alerts:>4} alerts x {connections:>2} connections: "
                    + ", ".join(f"{label} {result['rps']:.0f}/s" for label, result in cell.items())
                )
    return rows


def breakdown(
    workdir: pathlib.Path,
    templates: dict[int, pathlib.Path],
    threads: int,
    seconds: float,
    rounds: int,
) -> list[dict]:
    """Where the local receiver's time goes: as shipped, without fsync, without any write.

    Each round runs hello and the three receivers back to back in each cell; a server's
    figure is the median over rounds of its ratio to that round's hello.
    """
    compared = [
        servers.hello(workdir, threads),
        servers.receiver("local", workdir, threads, str(workdir / "breakdown-local")),
        *(
            servers.receiver_without(
                without, workdir, threads, str(workdir / f"breakdown-{without}")
            )
            for without in ("fsync", "storage")
        ),
    ]
    ratios: dict[tuple[str, int], list[float]] = {}
    rates: dict[tuple[str, int], list[float]] = {}
    with _serving(compared, templates) as running:
        for round_index in range(rounds):
            for alerts, connections in BREAKDOWN_CELLS:
                cell = {
                    server.label: load.run(
                        server.url,
                        [templates[alerts]],
                        connections,
                        seconds,
                        f"breakdown-{server.label}-{alerts}-{round_index}",
                    )["rps"]
                    for server in running
                }
                for label, rps in cell.items():
                    rates.setdefault((label, alerts), []).append(rps)
                    ratios.setdefault((label, alerts), []).append(rps / cell["hello"])
                _progress(
                    f"  round {round_index + 1}, {alerts:>4} alerts: "
                    + ", ".join(f"{label} {rps:.0f}/s" for label, rps in cell.items())
                )
    return [
        {
            "server": label,
            "alerts": alerts,
            "connections": dict(BREAKDOWN_CELLS)[alerts],
            "rps": round(statistics.median(rates[label, alerts]), 1),
            "ratio": round(statistics.median(ratios[label, alerts]), 3),
            "ratios": [round(ratio, 3) for ratio in ratios[label, alerts]],
        }
        for label, alerts in ratios
    ]


def cold_start(workdir: pathlib.Path, emulator: str, threads: int, runs: int) -> dict:
    """Popen to first 200 (hello) or first 201 archived (ours), median of `runs` each.

    Kinds alternate run by run; one unmeasured round first fills the .pyc caches, as the
    buildpack's compileall does for a deployed function.
    """
    # The buildpack compiles the function's code at build time; do the same, or every start
    # would compile it (PYTHONDONTWRITEBYTECODE may be set).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "main.py", "alertarchive", "bench/hello"],
        cwd=REPO,
        check=True,
    )
    timings: dict[str, list[float]] = {"hello": [], "local": [], "gcs": []}
    for round_index in range(runs + 1):
        for index, server in enumerate(_servers(workdir, emulator, threads)):
            if server.label == "local":
                server = servers.receiver(
                    "local", workdir, threads, str(workdir / f"cold-{round_index}")
                )
            accept = (200,) if index == 0 else (201,)
            body = payloads.notification(3, f"cold-{round_index}")
            server.start()
            try:
                elapsed = server.first_answer(body, accept)
            finally:
                server.stop()
            if round_index:
                timings[server.label].append(round(elapsed * 1000, 1))
    summary = {
        label: {"median_ms": statistics.median(values), "runs_ms": values}
        for label, values in timings.items()
    }
    for label in ("local", "gcs"):
        summary[label]["ratio"] = round(
            summary[label]["median_ms"] / summary["hello"]["median_ms"], 3
        )
    return summary


def memory(
    workdir: pathlib.Path, templates: dict[int, pathlib.Path], emulator: str, threads: int
) -> dict:
    """PSS/RSS of fresh servers after 1,000 and after 10,000 mixed requests."""
    mix = [templates[alerts] for alerts in MEMORY_MIX]
    figures = {}
    for server in _servers(workdir, emulator, threads):
        server.start()
        try:
            server.first_answer(payloads.notification(10, "memory-start"), (200, 201))
            checkpoints, done = [], 0
            plan = GCS_MEMORY_CHECKPOINTS if server.label == "gcs" else MEMORY_CHECKPOINTS
            for checkpoint in plan:
                result = load.run(
                    server.url,
                    mix,
                    16,
                    600,
                    f"mem-{server.label}-{checkpoint}",
                    limit=checkpoint - done,
                )
                done += result["successes"]
                checkpoints.append(
                    {"requests": done, "statuses": result["statuses"], **server.memory()}
                )
            figures[server.label] = checkpoints
        finally:
            server.stop()
    return figures


def cli() -> dict | None:
    """bench/bench_cli.py's figures (`list` and `stats` over a 10,000-notification archive)."""
    path = REPO / "bench" / "bench_cli.py"
    if not path.exists():
        print("CLI bench not available", file=sys.stderr)
        return None
    spec = importlib.util.spec_from_file_location("bench_cli", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main()


def schema_cost(runs: int) -> dict:
    """Validation cost of each hostile body shape against a valid body of the same size."""
    from bench import schema_cost as cost

    valid = cost.median_of(cost.body("valid", SCHEMA_COST_BYTES), runs)
    figures = {"bytes": SCHEMA_COST_BYTES, "runs": runs, "shapes": {"valid": valid}}
    for shape in cost.SHAPES[1:]:
        row = cost.median_of(cost.body(shape, SCHEMA_COST_BYTES), runs)
        figures["shapes"][shape] = {**row, "x_valid": row["seconds"] / max(valid["seconds"], 1e-6)}
    return figures


def gcs_transport(workdir: pathlib.Path, quick: bool) -> dict:
    """CPU per upload: the archive's GCS path vs a bare AuthorizedSession upload, one run."""
    from bench import gcs_transport as transport

    uploads, rounds = (100, 3) if quick else (300, 7)
    (workdir / "gcs-transport").mkdir()
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    try:
        cells = transport.measure(uploads, rounds, workdir / "gcs-transport")
    finally:
        # measure() points this process's clients at its own emulator, now stopped.
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
        if emulator is not None:
            os.environ["STORAGE_EMULATOR_HOST"] = emulator
    return {"uploads": uploads, "rounds": rounds, "us_per_upload": cells}


def cli_scale(full: bool, runs: int) -> dict:
    """bench/cli_scale.py: list, stats, report and export over 10k and 100k (300k: --full)."""
    from bench import cli_scale as scale

    sizes = [10_000, 100_000, 300_000] if full else [10_000, 100_000]
    return {"runs": runs, "commands": scale.measure(sizes, runs)}


def gcs_scale(quick: bool, full: bool) -> dict:
    """bench/gcs_scale.py: the CLI over a gs:// bucket of 10,000 (100,000: --full; 2,000: --quick).

    At 100,000 one `stats` with an empty cache downloads for minutes from the emulator: the
    100,000-object figures come from `bench/gcs_scale.py` alone (bench/results/gcs_scale-*.json).
    """
    from bench import gcs_scale as scale

    objects = 100_000 if full else 2_000 if quick else 10_000
    return scale.main(["--objects", str(objects), "--runs", "1", "--workers", GCS_SCALE_WORKERS])


def _on_server_core(action):
    """Run in-process measurements on the server's core, as the receiver would."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(servers.SERVER_CPU)})
    try:
        return action()
    finally:
        os.sched_setaffinity(0, previous)


def _meta(args: argparse.Namespace, seconds: float, cold_runs: int, workdir: pathlib.Path) -> dict:
    def command(*argv: str) -> str:
        result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
        return result.stdout.strip()

    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": command("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(command("git", "status", "--porcelain", "--", "alertarchive", "main.py")),
        "python": platform.python_version(),
        "cpu": f"{os.cpu_count()} x {cpu_model}",
        "wrk": load.wrk_version(),
        "threads": args.threads,
        "pinning": (
            f"servers on CPU {servers.SERVER_CPU}; wrk (-t1) and fake-gcs-server on "
            f"CPU {servers.CLIENT_CPU}"
        )
        if not args.no_pin
        else "not pinned; wrk -t1",
        "seconds_per_cell": seconds,
        "cold_runs": cold_runs,
        "quick": args.quick,
        # Other work on the machine skews every figure; a load average well above the core
        # count means the run measured contention as much as the receiver.
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "file_create_us": _file_create_us(workdir),
        "archive_filesystem": command("df", "--output=source,fstype", str(workdir)).splitlines()[
            -1
        ],
    }


def _progress(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
