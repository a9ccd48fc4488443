"""Load on a served function (functions-framework's gunicorn, default threads).

Promises: every distinct notification sent concurrently is stored, each exactly once;
identical notifications racing each other leave one object; memory does not grow with
the number of requests served.

Bodies are delivered as Alertmanager delivers them, again after a 503: on a loaded machine a
write can miss the storage bound, and a 503 followed by a stored retry is the contract holding.
Broken promises are a 2xx for a body not stored, a second object, or retries that never end.
"""

from __future__ import annotations

import collections
import threading
import time

import pytest

from tests.guarantees.helpers import (
    Answer,
    Client,
    assert_complete,
    delivered_once,
    gcs_objects,
    local_objects,
    notification,
    rss_bytes,
    worker_pid,
)

DISTINCT = 2_000
CONNECTIONS = 32
IDENTICAL = 100
MEMORY_WARMUP = 2_000
MEMORY_REQUESTS = 20_000
MEMORY_GROWTH_BOUND = 10 * 1024 * 1024


@pytest.fixture(params=["local", "gcs"])
def backend(request, tmp_path, serve):
    """A served function and a way to read back what it archived, for each backend."""
    if request.param == "local":
        root = tmp_path / "archive"
        return serve(ARCHIVE_URL=str(root)), lambda: local_objects(root)
    fake_gcs = request.getfixturevalue("fake_gcs")
    bucket = request.getfixturevalue("gcs_bucket")
    served = serve(ARCHIVE_URL=f"gs://{bucket}", STORAGE_EMULATOR_HOST=fake_gcs.url)
    return served, lambda: gcs_objects(fake_gcs.client(), bucket)


def test_2000_distinct_notifications_at_32_connections_are_all_stored_once(backend):
    served, archived = backend
    bodies = [notification(i) for i in range(DISTINCT)]

    started = time.monotonic()
    deliveries = Client(served.url).deliver_all(bodies, concurrency=CONNECTIONS)
    elapsed = time.monotonic() - started

    print(f"{DISTINCT} distinct in {elapsed:.1f} s: {_summary(deliveries)}")
    broken = [_statuses(answers) for answers in deliveries if not delivered_once(answers)]
    assert not broken, f"deliveries that broke the retry contract: {collections.Counter(broken)}"
    objects = archived()
    assert_complete(objects)
    assert sorted(o.body for o in objects) == sorted(bodies)


def test_100_identical_notifications_at_once_store_one_object(backend):
    served, archived = backend
    body = notification(7)
    client = Client(served.url)
    start_together = threading.Barrier(IDENTICAL)

    def send(_: int):
        start_together.wait()
        return client.deliver(body)

    threads_answers: list = []
    threads = [
        threading.Thread(target=lambda i=i: threads_answers.append(send(i)))
        for i in range(IDENTICAL)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(f"{IDENTICAL} identical: {_summary(threads_answers)}")
    retried = [answer for answers in threads_answers for answer in answers[:-1]]
    finals = [answers[-1] for answers in threads_answers]
    assert {answer.status for answer in retried} <= {503}
    # One 201; none only if the write that stored it missed its bound and answered 503.
    created = sum(answer.status == 201 for answer in finals)
    assert created == 1 or (created == 0 and retried), _summary(threads_answers)
    assert all(answer.status in (200, 201) for answer in finals), _summary(threads_answers)
    assert all(answer.json()["duplicate"] for answer in finals if answer.status == 200)
    assert len({answer.json()["object"] for answer in finals}) == 1
    assert [o.body for o in archived()] == [body]


def test_memory_stays_flat_over_20000_requests(tmp_path, serve):
    served = serve(ARCHIVE_URL=str(tmp_path / "archive"))
    worker = worker_pid(served.process.pid)
    client = Client(served.url)
    # Mostly retries of a few bodies (the duplicate path: parse, validate, name, exists),
    # with a fresh body every tenth request so the write path runs too.
    bodies = [notification(i % 10 if i % 10 else 100 + i) for i in range(MEMORY_REQUESTS)]

    warm = client.deliver_all(bodies[:MEMORY_WARMUP], concurrency=16)
    after_warmup = rss_bytes(worker)
    started = time.monotonic()
    rest = client.deliver_all(bodies[MEMORY_WARMUP:], concurrency=16)
    elapsed = time.monotonic() - started
    after_all = rss_bytes(worker)

    print(
        f"RSS {after_warmup / 2**20:.1f} MiB after {MEMORY_WARMUP}, "
        f"{after_all / 2**20:.1f} MiB after {MEMORY_REQUESTS} "
        f"({len(rest) / elapsed:.0f} req/s)"
    )
    assert all(
        {a.status for a in answers[:-1]} <= {503} and answers[-1].status in (200, 201)
        for answers in warm + rest
    ), _summary(warm + rest)
    assert worker_pid(served.process.pid) == worker, "the worker must not have been replaced"
    assert after_all - after_warmup < MEMORY_GROWTH_BOUND


def _statuses(answers: list[Answer]) -> str:
    """One delivery as its answers, e.g. "503 503 201", "200 (sent again)"."""
    resent = " (sent again)" if answers[-1].sends > 1 else ""
    return " ".join(str(answer.status) for answer in answers) + resent


def _summary(deliveries: list[list[Answer]]) -> str:
    return str(collections.Counter(_statuses(answers) for answers in deliveries))
