"""Soak: a served function under a long mixed load, its worker's memory sampled as it goes.

    .venv/bin/python -m bench.soak --requests 200000 --connections 16 [--gcs]

The mix is what a busy receiver sees: retries of recent notifications (duplicates), new
ones, invalid bodies (quarantined) and strangers (401). It prints throughput and the worker's
RSS every tenth of the run, and exits 1 if RSS grew by more than --max-growth-mib after the
first tenth. The `make test` variant is tests/guarantees/test_load.py (20,000 requests).
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import tempfile
import time

from tests.guarantees.helpers import AUTH, TOKEN, Client, notification, rss_bytes, worker_pid
from tests.support.processes import FakeGcs, ServedFunction


def body_for(index: int) -> tuple[bytes, dict[str, str]]:
    """The index-th request of the mix: 70% retries, 20% new, 5% invalid, 5% strangers."""
    kind = index % 20
    if kind < 14:
        return notification(index % 50), AUTH
    if kind < 18:
        return notification(1_000_000 + index), AUTH
    if kind < 19:
        return b'{"status": "firing", "n": %d}' % index, AUTH
    return notification(index), {**AUTH, "Authorization": f"Bearer not-{TOKEN}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--gcs", action="store_true", help="archive to fake-gcs-server")
    parser.add_argument("--max-growth-mib", type=float, default=10.0)
    options = parser.parse_args()

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="alertarchive-soak-"))
    env = {"WEBHOOK_TOKENS": TOKEN, "ARCHIVE_URL": str(workdir / "archive")}
    gcs = None
    if options.gcs:
        gcs = FakeGcs(workdir).start()
        gcs.create_bucket("soak")
        env.update(ARCHIVE_URL="gs://soak", STORAGE_EMULATOR_HOST=gcs.url)
    served = ServedFunction(workdir, env).start()
    try:
        worker = worker_pid(served.process.pid)
        client = Client(served.url)
        step = max(options.requests // 10, 1)
        statuses: collections.Counter[int] = collections.Counter()
        baseline = None
        started = time.monotonic()
        for first in range(0, options.requests, step):
            batch = [body_for(i) for i in range(first, min(first + step, options.requests))]
            answers = client.post_all_with_headers(batch, options.connections)
            statuses.update(a.status for a in answers)
            rss = rss_bytes(worker) / 2**20
            baseline = rss if baseline is None else baseline
            done = first + len(batch)
            rate = done / (time.monotonic() - started)
            print(f"{done:>8} requests  {rate:6.0f} req/s  worker RSS {rss:6.1f} MiB", flush=True)
        print("statuses:", dict(sorted(statuses.items())))
        growth = rss - baseline
        print(f"RSS growth after the first tenth: {growth:.1f} MiB")
        return 0 if growth <= options.max_growth_mib and 500 not in statuses else 1
    finally:
        served.stop()
        if gcs:
            gcs.stop()


if __name__ == "__main__":
    sys.exit(main())
