"""CLI benchmark: `list` and `stats` on a 10,000-notification local archive, and how many bodies a
filtered `list` downloads from GCS (fake-gcs-server) compared with how many objects exist.

The archives are written by the real receiver (alertarchive.receiver.receive.Receiver through a
Flask test client, tests/support/archives.py), with its clock set so the notifications spread over
a week. The local archive is built once into a cache directory (BENCH_CACHE, default
$TMPDIR/alertarchive-bench) and reused.

    .venv/bin/python bench/bench_cli.py          # prints figures, writes bench/results/cli.json
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from alertarchive.browse.catalog import Catalog, Filters  # noqa: E402
from alertarchive.browse.timewindow import Window  # noqa: E402
from tests.support.archives import ArchiveWriter, alert, notification  # noqa: E402

NOTIFICATIONS = 10_000
GCS_NOTIFICATIONS = 2_000
RUNS = 5
END = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
START = END - datetime.timedelta(days=7)
RESULTS = REPO / "bench" / "results"
ALERTNAMES = [f"Alert{index:02d}" for index in range(40)]
RECEIVERS = ["team-a", "team-b", "team\\.db", "oncall"]
SEVERITIES = ["critical", "warning", "info"]


def _bodies(
    count: int,
    start: datetime.datetime = START,
    end: datetime.datetime = END,
    series: int = 200,
):
    """(received_at, body) pairs spread over the window: `series` alerts firing and resolving."""
    step = (end - start) / count
    for index in range(count):
        received_at = start + step * index + datetime.timedelta(seconds=1)
        fingerprint_index = index % series
        labels = {
            "alertname": ALERTNAMES[fingerprint_index % len(ALERTNAMES)],
            "severity": SEVERITIES[fingerprint_index % len(SEVERITIES)],
            "instance": f"host-{fingerprint_index:03d}",
            "job": "node",
        }
        started = received_at - datetime.timedelta(minutes=10 + index % 50)
        resolved = index % 4 == 3
        body = notification(
            [alert(labels, started, ends_at=received_at if resolved else None)],
            receiver=RECEIVERS[fingerprint_index % len(RECEIVERS)],
        )
        yield received_at, body


def _write(writer: ArchiveWriter, count: int) -> float:
    started = time.perf_counter()
    # The receiver logs a JSON line per request on stdout; the benchmark's output is figures.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for received_at, body in _bodies(count):
            answer = writer.post(body, received_at)
            if answer["status_code"] not in (200, 201):
                raise RuntimeError(f"receiver refused a benchmark body: {answer}")
    return time.perf_counter() - started


def local_archive() -> tuple[pathlib.Path, float | None]:
    """The cached 10k archive (built on first use); the build time when it was built now."""
    cache = pathlib.Path(
        os.environ.get("BENCH_CACHE", pathlib.Path(tempfile.gettempdir()) / "alertarchive-bench")
    )
    root = cache / f"cli-archive-{NOTIFICATIONS}"
    done = root / ".complete"
    if done.exists():
        return root, None
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    seconds = _write(ArchiveWriter(str(root)), NOTIFICATIONS)
    done.write_text(f"{NOTIFICATIONS}\n")
    return root, seconds


def _median_seconds(argv: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings), 3)


def time_cli(root: pathlib.Path) -> dict[str, float]:
    """Median wall time of whole CLI runs (process start included), as a user would see."""
    base = [sys.executable, "-m", "alertarchive", "--archive", str(root), "--utc"]
    window = ["--since", START.isoformat(), "--until", END.isoformat()]
    return {
        "list_10k_json_s": _median_seconds([*base, "list", *window, "--json"]),
        "list_10k_table_s": _median_seconds([*base, "list", *window]),
        "list_filtered_alertname_s": _median_seconds(
            [*base, "list", *window, "--alertname", "Alert07"]
        ),
        "list_filtered_label_s": _median_seconds(
            [*base, "list", *window, "--label", "instance=host-007"]
        ),
        "stats_10k_s": _median_seconds([*base, "stats", *window, "--json"]),
    }


class _CountingSession:
    """A requests.Session that counts list calls and body downloads (media GETs)."""

    def __new__(cls):
        import requests

        class Session(requests.Session):
            def __init__(self) -> None:
                super().__init__()
                self.downloads = 0
                self.listings = 0

            def request(self, method, url, *args, **kwargs):
                params = kwargs.get("params") or {}
                if "alt=media" in url or params.get("alt") == "media":
                    self.downloads += 1
                elif method == "GET" and url.split("?")[0].endswith("/o"):
                    self.listings += 1
                return super().request(method, url, *args, **kwargs)

        return Session()


def gcs_downloads() -> dict[str, object]:
    """Objects in a bucket vs bodies downloaded by filtered listings (fake-gcs-server)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from alertarchive.archive.storage.gcs import GcsArchive
    from tests.support.processes import FakeGcs

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-cli-gcs-"))
    server = FakeGcs(workdir).start()
    try:
        server.create_bucket("bench-cli")
        writer_client = server.client()
        writer = ArchiveWriter(archive=GcsArchive("bench-cli", client=writer_client))
        write_seconds = _write(writer, GCS_NOTIFICATIONS)
        session = _CountingSession()
        client = storage.Client(
            project="bench",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": server.url},
            _http=session,
        )
        span = Window(START, END)
        cases = {
            "status=resolved": Filters.build(statuses=["resolved"]),
            "alertname=Alert07": Filters.build(alertnames=["Alert07"]),
            "receiver=team.db,status=firing": Filters.build(
                receivers=["team.db"], statuses=["firing"]
            ),
            "alertname=Alert07,label instance=host-007": Filters.build(
                alertnames=["Alert07"], labels=["instance=host-007"]
            ),
            "label severity=critical (body needed for all)": Filters.build(
                labels=["severity=critical"]
            ),
        }
        results = {}
        for label, filters in cases.items():
            session.downloads = session.listings = 0
            catalog = Catalog(GcsArchive("bench-cli", client=client))
            started = time.perf_counter()
            matched = len(catalog.entries(span, filters))
            results[label] = {
                "objects": GCS_NOTIFICATIONS,
                "matched": matched,
                "bodies_downloaded": session.downloads,
                "list_requests": session.listings,
                "seconds": round(time.perf_counter() - started, 3),
            }
        return {
            "objects": GCS_NOTIFICATIONS,
            "write_s": round(write_seconds, 2),
            "filters": results,
        }
    finally:
        server.stop()


def main() -> dict[str, object]:
    """Run the CLI benchmark; print and return the figures (also in bench/results/cli.json)."""
    root, build_seconds = local_archive()
    figures: dict[str, object] = {
        "notifications": NOTIFICATIONS,
        "runs": RUNS,
        "archive": str(root),
        "build_s": None if build_seconds is None else round(build_seconds, 1),
        "cpus": os.cpu_count(),
    }
    figures.update(time_cli(root))
    figures["gcs"] = gcs_downloads()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(figures, indent=2) + "\n")
    _print(figures)
    return figures


def _print(figures: dict[str, object]) -> None:
    print(
        f"CLI on a local archive of {figures['notifications']:,} notifications "
        f"(median of {figures['runs']} runs, process start included):"
    )
    for key in (
        "list_10k_json_s",
        "list_10k_table_s",
        "list_filtered_alertname_s",
        "list_filtered_label_s",
        "stats_10k_s",
    ):
        print(f"  {key:<28} {figures[key]:>7.3f} s")
    gcs = figures["gcs"]
    print(f"GCS (fake-gcs-server), {gcs['objects']:,} objects: bodies downloaded by list")
    for label, row in gcs["filters"].items():
        print(
            f"  {label:<46} matched {row['matched']:>5}  downloaded {row['bodies_downloaded']:>5}"
            f"  list requests {row['list_requests']:>3}  {row['seconds']:.2f} s"
        )


if __name__ == "__main__":
    main()
