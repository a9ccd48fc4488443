"""Storage outages against fake-gcs-server, through the real client, on a served function.

Promises: while storage is down, frozen or erroring, every request answers 503 within the
configured bound or 2xx with the object stored; once storage is back, resending every 503'd
body stores each exactly once; no object is ever partial. A resent body is a 200 duplicate
whether GCS refuses its create-only upload with 412 or, to a caller without
storage.objects.delete, with 403.
"""

from __future__ import annotations

import hashlib
import signal

import pytest

from tests.guarantees.conftest import STORAGE_BOUND_SECONDS
from tests.guarantees.helpers import (
    Answer,
    Client,
    assert_complete,
    delivered_once,
    gcs_objects,
    notification,
)
from tests.support.faulty_proxy import FAULTS, FaultyProxy
from tests.support.processes import FakeGcs

# Logging and the HTTP round trip on a busy 2-core machine.
SLACK_SECONDS = 1.5
BUCKET = "faults"


@pytest.fixture
def gcs(tmp_path):
    """A fake-gcs-server of this test's own, on disk, so its objects survive a restart."""
    server = FakeGcs(tmp_path, root=tmp_path / "gcs-data").start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def assert_each_stored_exactly_once(gcs: FakeGcs, bodies: list[bytes]) -> None:
    objects = gcs_objects(gcs.client(), BUCKET)
    assert_complete(objects)
    assert sorted(o.metadata["body_sha256"] for o in objects) == sorted(sha(b) for b in bodies)


def assert_delivered(deliveries: list[list[Answer]]) -> None:
    """Each body ended stored by the retry contract (503s allowed on a busy machine)."""
    broken = [[a.status for a in answers] for answers in deliveries if not delivered_once(answers)]
    assert not broken, f"deliveries that did not end in a 201 or a 200 duplicate: {broken}"


def assert_unavailable_within_bound(answers: list[Answer]) -> None:
    if answers:
        print(f"503 latency: max {max(a.seconds for a in answers):.2f} s over {len(answers)}")
    for answer in answers:
        assert answer.status == 503, answer
        assert answer.seconds <= STORAGE_BOUND_SECONDS + SLACK_SECONDS, answer.seconds


def test_storage_down_answers_503_within_bound_and_resent_bodies_are_stored_once(
    tmp_path, gcs, serve
):
    client = Client(serve(ARCHIVE_URL=f"gs://{BUCKET}", STORAGE_EMULATOR_HOST=gcs.url).url)
    before = [notification(i) for i in range(4)]
    assert_delivered(client.deliver_all(before, concurrency=4))

    gcs.stop()
    during = [notification(100 + i) for i in range(16)]
    assert_unavailable_within_bound(client.post_all(during, concurrency=8))

    restarted = FakeGcs(tmp_path, root=tmp_path / "gcs-data", port=gcs.port).start()
    try:
        assert_delivered(client.deliver_all(during, concurrency=8))
        assert_each_stored_exactly_once(restarted, before + during)
    finally:
        restarted.stop()


def test_frozen_storage_answers_503_within_bound_and_late_writes_are_not_duplicated(gcs, serve):
    client = Client(serve(ARCHIVE_URL=f"gs://{BUCKET}", STORAGE_EMULATOR_HOST=gcs.url).url)
    bodies = [notification(i) for i in range(16)]

    # SIGSTOP: the kernel still accepts connections and buffers requests; nothing answers.
    gcs.process.signal(signal.SIGSTOP)
    try:
        assert_unavailable_within_bound(client.post_all(bodies, concurrency=8))
    finally:
        gcs.process.signal(signal.SIGCONT)

    # The abandoned attempts may land once the server wakes up: then the resend is a
    # duplicate (200), never a second object.
    resent = client.deliver_all(bodies, concurrency=8)
    print("resent after SIGCONT:", sorted(a.status for answers in resent for a in answers))
    assert_delivered(resent)
    assert_each_stored_exactly_once(gcs, bodies)


def test_hanging_storage_answers_503_within_bound_and_resent_bodies_are_stored_once(gcs, serve):
    """Storage that takes each request and never answers: the client's own clock, no thread."""
    proxy = FaultyProxy(gcs.url).start()
    try:
        client = Client(serve(ARCHIVE_URL=f"gs://{BUCKET}", STORAGE_EMULATOR_HOST=proxy.url).url)
        before = [notification(i) for i in range(4)]
        assert_delivered(client.deliver_all(before, concurrency=4))

        proxy.hanging = True
        during = [notification(100 + i) for i in range(16)]
        assert_unavailable_within_bound(client.post_all(during, concurrency=8))

        proxy.hanging = False
        assert_delivered(client.deliver_all(during, concurrency=8))
        assert_each_stored_exactly_once(gcs, before + during)
    finally:
        proxy.stop()


def test_erroring_storage_answers_503_within_bound_or_2xx_stored_and_resends_store_once(gcs, serve):
    proxy = FaultyProxy(gcs.url, fault_rate=0.3, seed=20261127).start()
    try:
        client = Client(serve(ARCHIVE_URL=f"gs://{BUCKET}", STORAGE_EMULATOR_HOST=proxy.url).url)
        flaky = [notification(i) for i in range(40)]
        flaky_answers = client.post_all(flaky, concurrency=8)
        proxy.fault_rate = 1.0
        failing = [notification(1000 + i) for i in range(8)]
        failing_answers = client.post_all(failing, concurrency=8)
        assert set(proxy.counts) == {"forward", *FAULTS}, proxy.counts

        stored = {o.metadata["body_sha256"] for o in gcs_objects(gcs.client(), BUCKET)}
        for body, answer in zip(flaky, flaky_answers, strict=True):
            if answer.status in (200, 201):
                assert sha(body) in stored
                assert answer.json()["object"].endswith(f"-{sha(body)}.json")
            else:
                assert_unavailable_within_bound([answer])
        assert any(a.status == 201 for a in flaky_answers)
        assert_unavailable_within_bound(failing_answers)

        proxy.fault_rate = 0.0
        unavailable = [
            body
            for body, answer in zip(flaky + failing, flaky_answers + failing_answers, strict=True)
            if answer.status == 503
        ]
        assert_delivered(client.deliver_all(unavailable, concurrency=8))
        assert_each_stored_exactly_once(gcs, flaky + failing)
    finally:
        proxy.stop()


@pytest.mark.parametrize(
    "missing_permissions",
    [set(), {"storage.objects.delete"}],
    ids=["gcs-answers-412", "gcs-answers-403"],
)
def test_resent_bodies_are_200_duplicates_whether_gcs_answers_412_or_403_even_while_erroring(
    gcs, serve, missing_permissions
):
    proxy = FaultyProxy(gcs.url, seed=20261128).start()
    try:
        client = Client(serve(ARCHIVE_URL=f"gs://{BUCKET}", STORAGE_EMULATOR_HOST=proxy.url).url)
        bodies = [notification(i) for i in range(16)]
        assert_delivered(client.deliver_all(bodies, concurrency=8))

        proxy.missing_permissions = set(missing_permissions)
        proxy.fault_rate = 0.3
        resent = client.post_all(bodies, concurrency=8)
        assert {a.status for a in resent} <= {200, 503}
        assert_unavailable_within_bound([a for a in resent if a.status == 503])

        proxy.fault_rate = 0.0
        unavailable = [b for b, a in zip(bodies, resent, strict=True) if a.status == 503]
        finals = [answers[-1] for answers in client.deliver_all(unavailable, concurrency=8)]
        assert {(a.status, a.json()["duplicate"]) for a in finals} <= {(200, True)}
        assert_each_stored_exactly_once(gcs, bodies)
        refused = proxy.refusals["storage.objects.delete"]
        assert refused >= len(bodies) if missing_permissions else refused == 0
    finally:
        proxy.stop()
