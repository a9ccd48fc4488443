"""The event recorder's endpoint, POST /-/events[/SOURCE], through the real HTTP stack.

The bodies are what Alertmanager 0.33.1's event recorder sent on the wire, in order
(tests/data/alertmanager-0.33.1/).
"""

from __future__ import annotations

import collections
import json
import pathlib

import pytest
from werkzeug.test import EnvironBuilder

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.receiver.auth import TokenSet
from alertarchive.receiver.receive import Receiver
from tests.support.local_metadata import stored_metadata
from tests.support.receiver import client_for

TOKEN = "test-token-3f9a"
RECORDER = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
    "User-Agent": "Go-http-client/1.1",
}
CAPTURE = (
    pathlib.Path(__file__).parent
    / "data"
    / "alertmanager-0.33.1"
    / "event-recorder-and-webhook.ndjson"
)
EVENTS = [
    request["body"].encode()
    for request in map(json.loads, CAPTURE.read_text().splitlines())
    if request["path"] == "/events"
]


@pytest.fixture
def archive_dir(tmp_path) -> pathlib.Path:
    return tmp_path / "archive"


@pytest.fixture
def client(monkeypatch, archive_dir):
    return client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN)


def _kept(archive_dir: pathlib.Path, kind: str = "events") -> list[pathlib.Path]:
    return sorted(p for p in (archive_dir / kind).rglob("*.json") if p.is_file())


def test_each_recorded_fact_is_kept_once_with_the_first_copys_bytes(client, archive_dir):
    answers = [client.post("/-/events", data=body, headers=RECORDER) for body in EVENTS]

    statuses = collections.Counter(answer.status_code for answer in answers)
    assert set(statuses) == {200, 201}
    kept = _kept(archive_dir)
    assert len(kept) == statuses[201]
    first_copies = {}
    for body, answer in zip(EVENTS, answers, strict=True):
        first_copies.setdefault(answer.get_json()["objects"][0], body)
    for name, body in first_copies.items():
        assert (archive_dir / name).read_bytes() == body


def test_repeated_mutes_are_answered_200_duplicate(client):
    mutes = [body for body in EVENTS if b'"silenceMutedAlert"' in body]

    answers = [client.post("/-/events", data=body, headers=RECORDER) for body in mutes]

    assert [a.status_code for a in answers] == [201] + [200] * (len(mutes) - 1)
    assert answers[-1].get_json()["duplicates"] == 1


def test_events_are_kept_beside_alerts_never_as_notifications(client, archive_dir):
    client.post("/-/events/eu-west", data=EVENTS[0], headers=RECORDER)

    (kept,) = _kept(archive_dir)
    assert kept.relative_to(archive_dir).parts[0] == "events"
    assert "source=eu-west" in kept.parts
    assert not (archive_dir / "alerts").exists()


def test_event_metadata_says_what_the_event_is_about(client, archive_dir):
    inhibition = next(body for body in EVENTS if b'"inhibitionMutedAlert"' in body)

    name = client.post("/-/events", data=inhibition, headers=RECORDER).get_json()["objects"][0]

    metadata = stored_metadata(archive_dir / name)
    assert metadata["event_kind"] == "inhibitionMutedAlert"
    assert metadata["alertnames"] == "KubeJobFailed"
    assert len(metadata["fingerprints"]) == 16
    assert metadata["user_agent"] == "Go-http-client/1.1"


def test_a_batch_keeps_each_event(client, archive_dir):
    batch = b"[" + b",".join(EVENTS[:3]) + b"]"

    answer = client.post("/-/events", data=batch, headers=RECORDER)

    assert answer.status_code == 201
    assert answer.get_json()["events"] == 3
    assert len(_kept(archive_dir)) == 3


def test_an_event_without_a_token_is_refused_401(client, archive_dir):
    answer = client.post("/-/events", data=EVENTS[0], headers={"Content-Type": "application/json"})

    assert answer.status_code == 401
    assert not archive_dir.exists() or not _kept(archive_dir)


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b'{"@timestamp": "2026-12-01T20:00:00Z"}', 422), (b"[]", 400)],
)
def test_a_body_that_is_not_an_event_is_quarantined(client, archive_dir, body, status):
    answer = client.post("/-/events", data=body, headers=RECORDER)

    assert answer.status_code == status
    (quarantined,) = _kept(archive_dir, "quarantine") or sorted(
        (archive_dir / "quarantine").rglob("*.bin")
    )
    assert quarantined.read_bytes() == body


def test_an_event_holding_an_integer_beyond_int_digits_is_json(client, archive_dir):
    event = json.loads(EVENTS[0])
    body = json.dumps(event).encode()[:-1] + b', "big": ' + b"7" * 5_000 + b"}"

    answer = client.post("/-/events", data=body, headers=RECORDER)

    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert [path.read_bytes() for path in _kept(archive_dir)] == [body]


def test_get_on_the_events_path_is_405(client):
    assert client.get("/-/events").status_code == 405


def test_a_notification_posted_to_the_events_path_is_quarantined_not_archived(client, archive_dir):
    notification = (pathlib.Path(__file__).parent / "data" / "firing-group-of-3.json").read_bytes()

    answer = client.post("/-/events", data=notification, headers=RECORDER)

    assert answer.status_code == 422
    assert not (archive_dir / "alerts").exists()
    # The sender is told which endpoint it reached and where notifications go.
    assert answer.get_data(as_text=True).startswith(
        "not an event recorder event (notifications go to /, events to /-/events): "
    )


class _FailingArchive:
    url = "broken://"

    def create(self, name, body, metadata, content_type):
        raise StorageUnavailable("disk on fire")


def test_storage_failure_gets_503_so_the_recorder_retries():
    receiver = Receiver(_FailingArchive(), TokenSet((TOKEN,)), 10_000_000)
    request = EnvironBuilder(
        method="POST", path="/-/events", data=EVENTS[0], headers=RECORDER
    ).get_request()

    body, status, _ = receiver.handle(request)

    assert status == 503
    assert b"not stored" in body
