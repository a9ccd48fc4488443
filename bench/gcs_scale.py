"""The CLI over a large gs:// archive (fake-gcs-server): catalog worker counts, cold and warm cache.

What it measures, per catalog worker count (alertarchive.browse.catalog.Catalog's `workers`):

- `list --since/--until (30 days) --json`: the listing alone (metadata answers; no bodies);
- `stats` over the same window with an empty body cache ($XDG_CACHE_HOME a fresh folder: every
  body downloaded), and again with that cache warm (only the listing goes to the bucket).

Each figure is a whole CLI process (start included), run as a user runs it, except that the
catalog's worker count is set first: the CLI has no option or variable for it, so the child runs
`python bench/gcs_scale.py --cli-workers N -- ARGS…`, which sets Catalog's default `workers`
(and raises the CLI's storage timeout, see run_cli_with_workers) and calls
alertarchive.browse.cli.main(ARGS). Rounds are interleaved across worker counts (drift
hits them alike); the table shows medians.

How the bucket is filled (fast, and said here because it is not the receiver's upload path):
the notifications go through the real Receiver (tests/support/archives.py ArchiveWriter) into
an archive that only records what create() was given — name, body, metadata, content type —
and those objects are then written straight into fake-gcs-server's filesystem backend: the
body as the file, the object attributes (custom metadata, MD5, CRC32C, content type,
generation) as the `user.metadata` xattr in the format fake-gcs-server itself writes. Uploading
through the JSON API is linear on that backend but costs ~3.6 ms an object on a 2-CPU machine
(6 minutes for 100,000), and fake-gcs's in-memory backend slows with every object in the
bucket (30 s for the first 5,000, 160 s for the next 10,000). One object per fill is uploaded
through GcsArchive.create() as the receiver does, and the script checks that fake-gcs serves
a directly written object with the same attributes as that one (and that its body passes the
client's checksum). The filled root is cached (BENCH_CACHE, default $TMPDIR/alertarchive-bench)
and reused by later runs of the same --objects.

    .venv/bin/python bench/gcs_scale.py [--objects 100000] [--runs 3] [--workers 1,4,8,16,32,64]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import contextlib
import datetime
import hashlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BUCKET = "bench-scale"
DAYS = 30
END = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
START = END - datetime.timedelta(days=DAYS)
WORKERS = (1, 4, 8, 16, 32, 64)
RESULTS = REPO / "bench" / "results"
STORAGE_TIMEOUT_SECONDS = 600.0


def bodies(count: int) -> Iterator[tuple[datetime.datetime, bytes]]:
    """(received_at, body): 400 alerts firing and resolving, spread evenly over the 30 days."""
    from bench.bench_cli import _bodies

    return _bodies(count, START, END, series=400)


class RecordingArchive:
    """An Archive that keeps what the receiver asked it to create (name, body, metadata, type)."""

    url = "recording://"

    def __init__(self) -> None:
        self.created: dict[str, tuple[bytes, dict[str, str], str]] = {}

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        if name in self.created:
            return False
        self.created[name] = (body, dict(metadata), content_type)
        return True


def _attributes(
    body: bytes, metadata: Mapping[str, str], content_type: str, generation: int
) -> bytes:
    """fake-gcs-server's `user.metadata` xattr for one object (the shape it writes itself)."""
    import google_crc32c

    md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    crc = base64.b64encode(google_crc32c.value(body).to_bytes(4, "big")).decode()
    moment = datetime.datetime.fromtimestamp(generation / 1e6, datetime.UTC)
    created = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        {
            "StorageClass": "STANDARD",
            "ContentType": content_type,
            "ContentEncoding": "",
            "ContentDisposition": "",
            "ContentLanguage": "",
            "CacheControl": "",
            "Crc32c": crc,
            "Md5Hash": md5,
            "Etag": md5,
            "ACL": [
                {
                    "Entity": "projectOwner-test-project",
                    "EntityID": "",
                    "Role": "OWNER",
                    "Domain": "",
                    "Email": "",
                    "ProjectTeam": None,
                }
            ],
            "Metadata": dict(metadata),
            "Created": created,
            "Deleted": "0001-01-01T00:00:00Z",
            "Updated": created,
            "CustomTime": "0001-01-01T00:00:00Z",
            "Generation": generation,
            "RetentionMode": "",
            "RetentionRetainUntil": "",
        },
        separators=(",", ":"),
    ).encode()


def _write_object(
    root: pathlib.Path, name: str, stored: tuple[bytes, dict[str, str], str], generation: int
) -> None:
    body, metadata, content_type = stored
    path = root / BUCKET / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    os.setxattr(path, "user.metadata", _attributes(body, metadata, content_type, generation))


def filled_root(count: int) -> tuple[pathlib.Path, dict[str, float]]:
    """A fake-gcs-server filesystem root whose bucket holds `count` archived notifications."""
    from tests.support.archives import ArchiveWriter

    cache = pathlib.Path(
        os.environ.get("BENCH_CACHE", pathlib.Path(tempfile.gettempdir()) / "alertarchive-bench")
    )
    root = cache / f"gcs-scale-{count}"
    done = root / ".complete"
    if done.exists():
        return root, json.loads(done.read_text())
    shutil.rmtree(root, ignore_errors=True)
    (root / BUCKET).mkdir(parents=True)
    (root / f"{BUCKET}.bucketMetadata").write_text(
        '{"DefaultEventBasedHold":false,"VersioningEnabled":false}'
    )
    recorder = RecordingArchive()
    writer = ArchiveWriter(archive=recorder)  # type: ignore[arg-type]
    started = time.perf_counter()
    # The receiver logs a JSON line per request on stdout; the benchmark's output is figures.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for received_at, body in bodies(count):
            answer = writer.post(body, received_at)
            if answer["status_code"] != 201:
                raise RuntimeError(f"receiver refused a benchmark body: {answer}")
    receive_s = time.perf_counter() - started
    started = time.perf_counter()
    base = time.time_ns() // 1000
    items = list(recorder.created.items())
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda pair: _write_object(root, pair[1][0], pair[1][1], base + pair[0]),
                enumerate(items),
            )
        )
    timings = {"receive_s": round(receive_s, 1), "write_s": round(time.perf_counter() - started, 1)}
    done.write_text(json.dumps(timings))
    return root, timings


def check_direct_objects_match_uploaded(server, root: pathlib.Path) -> None:
    """A directly written object reads back like one the receiver's GcsArchive uploaded."""
    from alertarchive.archive.storage.gcs import GcsArchive
    from tests.support.archives import ArchiveWriter

    client = server.client()
    uploaded = RecordingArchive()
    moment = START - datetime.timedelta(days=1)  # outside the measured window
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        ArchiveWriter(archive=uploaded).post(next(bodies(1))[1], moment)  # type: ignore[arg-type]
    ((name, (body, metadata, _)),) = uploaded.created.items()
    archive = GcsArchive(BUCKET, client=client)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        ArchiveWriter(archive=archive).post(body, moment)
    direct = next(path for path in (root / BUCKET / "alerts").rglob("*.json"))
    direct_name = str(direct.relative_to(root / BUCKET))
    real, written = (
        client.bucket(BUCKET).get_blob(name),
        client.bucket(BUCKET).get_blob(direct_name),
    )
    fields = ("content_type", "storage_class")
    if [getattr(real, f) for f in fields] != [getattr(written, f) for f in fields]:
        raise RuntimeError(f"direct object differs from an uploaded one: {real} vs {written}")
    if sorted(real.metadata) != sorted(written.metadata) or real.metadata != metadata:
        raise RuntimeError(f"metadata keys differ: {real.metadata} vs {written.metadata}")
    if written.download_as_bytes(checksum="crc32c") != direct.read_bytes():
        raise RuntimeError("direct object body differs")
    # Leave the bucket as filled: the uploaded one sits outside the window, but remove it anyway.
    client.bucket(BUCKET).blob(name).delete()


def _cli(workers: int, args: Sequence[str], env: Mapping[str, str]) -> tuple[float, bytes]:
    argv = [sys.executable, str(pathlib.Path(__file__).resolve()), "--cli-workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, "--", *args], env=dict(env), capture_output=True, cwd=REPO, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds, done.stdout


def measure(
    url: str, emulator: str, count: int, workers: Sequence[int], runs: int, workdir: pathlib.Path
) -> dict[str, dict[int, list[float]]]:
    """Seconds per cell and worker count, rounds interleaved; each CLI answer is checked."""
    window = ["--since", START.isoformat(), "--until", END.isoformat()]
    base = ["--archive", url, "--utc"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTARCHIVE", "GOOGLE"))}
    env["STORAGE_EMULATOR_HOST"] = emulator
    timings: dict[str, dict[int, list[float]]] = {
        "list": {n: [] for n in workers},
        "stats_cold": {n: [] for n in workers},
        "stats_warm": {n: [] for n in workers},
    }
    for round_index in range(runs):
        for n in workers:
            env["XDG_CACHE_HOME"] = str(workdir / f"cache-{n}-{round_index}")
            seconds, out = _cli(n, [*base, "list", *window, "--json"], env)
            if (lines := out.count(b"\n")) != count:
                raise RuntimeError(f"list printed {lines} lines, not {count}")
            timings["list"][n].append(seconds)
            for cell in ("stats_cold", "stats_warm"):
                seconds, out = _cli(n, [*base, "stats", *window, "--json"], env)
                total = json.loads(out)
                if total.get("notifications") != count:
                    raise RuntimeError(f"stats counted {total.get('notifications')}, not {count}")
                timings[cell][n].append(seconds)
            shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
            print(
                f"  round {round_index + 1}/{runs} workers {n:>2}: "
                + ", ".join(f"{cell} {timings[cell][n][-1]:.2f}s" for cell in timings),
                file=sys.stderr,
                flush=True,
            )
    return timings


def _table(count: int, timings: dict[str, dict[int, list[float]]], runs: int) -> str:
    medians = {
        cell: {n: statistics.median(v) for n, v in row.items()} for cell, row in timings.items()
    }
    lines = [
        f"CLI over gs:// (fake-gcs-server, filesystem backend), {count:,} notifications over "
        f"{DAYS} days, {os.cpu_count()} CPUs; median of {runs} runs, seconds, process start "
        "included",
        "",
        "| workers | list --json | stats, empty cache | stats, warm cache |",
        "|---:|---:|---:|---:|",
    ]
    for n in medians["list"]:
        lines.append(
            f"| {n} | {medians['list'][n]:.2f} | {medians['stats_cold'][n]:.2f} | "
            f"{medians['stats_warm'][n]:.2f} |"
        )
    lines.append("")
    for cell, row in medians.items():
        best = min(row, key=row.__getitem__)
        lines.append(f"best for {cell}: {best} workers ({row[best]:.2f} s)")
    return "\n".join(lines)


def run_cli_with_workers(workers: int, args: Sequence[str]) -> None:
    """The CLI as installed, with Catalog's default worker count set to `workers`."""
    from alertarchive.browse import catalog, cli

    defaults = catalog.Catalog.__init__.__defaults__
    assert defaults is not None and defaults[0] == catalog.DEFAULT_WORKERS, defaults
    catalog.Catalog.__init__.__defaults__ = (workers, *defaults[1:])
    # fake-gcs-server's filesystem backend walks the whole bucket on every list call (0.7-1.3 s
    # at 100,000 objects, 9 s with a delimiter), so concurrent listings outlast the CLI's 10 s
    # per request; the emulator's slowness is not what is measured here.
    cli.STORAGE_TIMEOUT_SECONDS = STORAGE_TIMEOUT_SECONDS
    cli.main(args)


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    """Fill (or reuse) the bucket, measure, print the table; figures in bench/results/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--cli-workers", type=int, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.cli_workers is not None:
        run_cli_with_workers(args.cli_workers, [a for a in rest if a != "--"])
        return {}
    from tests.support.processes import FakeGcs

    workers = [int(n) for n in args.workers.split(",")]
    root, fill = filled_root(args.objects)
    print(f"bucket of {args.objects:,}: {fill}", file=sys.stderr, flush=True)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-gcs-scale-"))
    # The filesystem backend keeps the objects in `root`; fake-gcs's log goes to a file.
    server = FakeGcs(workdir, root=root).start()
    try:
        check_direct_objects_match_uploaded(server, root)
        timings = measure(f"gs://{BUCKET}", server.url, args.objects, workers, args.runs, workdir)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    table = _table(args.objects, timings, args.runs)
    print(table)
    figures: dict[str, object] = {
        "objects": args.objects,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "fill": fill,
        "seconds": {cell: {str(n): v for n, v in row.items()} for cell, row in timings.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"gcs_scale-{args.objects}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
