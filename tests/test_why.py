"""`why`: an alert's life in Alertmanager, read back from an archive the receiver wrote.

The archive is made by posting what Alertmanager 0.33.1 sent on the wire (webhook bodies to /,
event recorder events to /-/events, in arrival order; tests/data/alertmanager-0.33.1/) to the
real receiver. Its scenario: a silence on CPUThrottlingHigh{namespace="web"}, and an inhibition
of KubeJobFailed by KubeNodeNotReady on the same node.
"""

from __future__ import annotations

import datetime
import json
import pathlib

import pytest

from alertarchive.archive import events
from alertarchive.archive.storage import open_archive
from alertarchive.browse import timewindow, why
from tests.support.archives import ArchiveWriter, CountingArchive
from tests.support.cli import run

CAPTURE = (
    pathlib.Path(__file__).parent
    / "data"
    / "alertmanager-0.33.1"
    / "event-recorder-and-webhook.ndjson"
)
WINDOW = timewindow.Window(
    datetime.datetime(2026, 12, 1, 19, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 1, 23, 0, tzinfo=datetime.UTC),
)


class CaptureClock:
    """Receipt times that follow the capture: each request a moment after the last event."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 12, 1, 20, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now

    def follow(self, request: dict) -> None:
        if request["path"] == "/events":
            stamp = json.loads(request["body"])["@timestamp"][:26].rstrip("Z")
            moment = datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.UTC)
            self.now = max(self.now, moment)
        self.now += datetime.timedelta(milliseconds=1)


def _replay_capture(archive_dir, paths=("/events", "/notify")):
    """Post the capture to a real receiver whose clock follows it; the archive it wrote."""
    clock = CaptureClock()
    writer = ArchiveWriter(str(archive_dir))
    for request in map(json.loads, CAPTURE.read_text().splitlines()):
        clock.follow(request)
        if request["path"] not in paths:
            continue
        path = "-/events" if request["path"] == "/events" else ""
        answer = writer.post(
            request["body"].encode(),
            clock.now,
            source=path,
            user_agent=request["headers"]["User-Agent"],
        )
        assert answer["status_code"] in (200, 201), answer
    return open_archive(str(archive_dir))


@pytest.fixture
def archive(tmp_path):
    return _replay_capture(tmp_path / "archive")


def test_a_silenced_alert_is_explained_by_its_silence(archive):
    explanation = why.explain(archive, WINDOW, "CPUThrottlingHigh", {"namespace": "web"})

    assert explanation.verdict.startswith("not sent since ")
    assert "silence fe0a605f" in explanation.verdict
    assert 'oncall@example.com: "web rollout, throttling expected"' in explanation.verdict
    assert "from 2026-12-01 20:00Z to 2026-12-01 22:00Z" in explanation.verdict
    kinds = [step.what for step in explanation.steps]
    assert kinds.index("created") < kinds.index("silenced")


def test_an_inhibited_alert_is_explained_by_the_alert_that_inhibited_it(archive):
    explanation = why.explain(archive, WINDOW, "KubeJobFailed", {"namespace": "batch"})

    assert explanation.verdict.startswith("not sent: inhibited by KubeNodeNotReady (")
    assert '{alertname="KubeNodeNotReady"} mutes {alertname="KubeJobFailed"} with equal node' in (
        explanation.verdict
    )
    assert "notified" not in [step.what for step in explanation.steps]


def test_a_notified_alert_links_the_archived_notification(archive):
    explanation = why.explain(archive, WINDOW, "KubeJobFailed", {"namespace": "billing"})

    assert explanation.verdict.startswith("notified: ")
    archived = [step for step in explanation.steps if step.what == "archived"]
    assert archived and all(
        step.object_name.startswith("alerts/dt=2026-12-01/") for step in archived
    )
    assert "first notification" in archived[0].text
    assert "resolved" in [step.what for step in explanation.steps]


def test_an_alert_nobody_recorded_says_so(archive):
    explanation = why.explain(archive, WINDOW, "NoSuchAlert")

    assert explanation.steps == ()
    assert "recorded no such alert" in explanation.verdict
    assert explanation.has_events


def test_without_events_only_notifications_speak_and_the_answer_says_so(tmp_path):
    archive = _replay_capture(tmp_path / "archive", paths=("/notify",))

    quiet = why.explain(archive, WINDOW, "KubeJobFailed", {"namespace": "batch"})
    sent = why.explain(archive, WINDOW, "KubeNodeNotReady")

    assert not quiet.has_events
    assert "no event recorder events" in quiet.verdict
    assert sent.verdict.startswith("notified: ")


def test_the_why_command_prints_the_verdict_then_the_steps(tmp_path):
    _replay_capture(tmp_path / "archive")

    result = run(
        str(tmp_path / "archive"),
        "why",
        "KubeJobFailed",
        "--label",
        "namespace=batch",
        "--since",
        "2026-12-01T19:00Z",
        "--until",
        "2026-12-01T23:00Z",
    )

    assert result.exit_code == 0, result.output
    first, *steps = result.output.splitlines()
    assert first.startswith(
        "KubeJobFailed{namespace=batch}: not sent: inhibited by KubeNodeNotReady"
    )
    assert [line.split()[2] for line in steps] == ["created", "grouped", "inhibited"]


def test_the_why_command_without_events_says_how_to_enable_them(tmp_path):
    _replay_capture(tmp_path / "archive", paths=("/notify",))

    result = run(
        str(tmp_path / "archive"),
        "why",
        "KubeJobFailed",
        "--since",
        "2026-12-01T19:00Z",
        "--until",
        "2026-12-01T23:00Z",
    )

    assert result.exit_code == 0, result.output
    assert "--enable-feature=event-recorder" in result.output
    assert "webhook_outputs:" in result.output


def test_one_delivery_is_said_in_the_singular(archive):
    explanation = why.explain(archive, WINDOW, "KubeNodeNotReady")

    assert explanation.verdict.startswith("notified: 1 delivery recorded, the last at ")


def test_history_of_an_alert_inhibited_after_it_was_sent_names_what_inhibited_it(tmp_path):
    archive_dir = tmp_path / "archive"
    _replay_capture(archive_dir)
    # The capture's inhibited alert was never sent; say it had been, once, before the inhibition.
    requests = [json.loads(line) for line in CAPTURE.read_text().splitlines()]
    created = next(
        json.loads(r["body"])["data"]["alertCreated"]["alert"]
        for r in requests
        if r["path"] == "/events" and '"nightly-backup' in r["body"] and "alertCreated" in r["body"]
    )
    body = json.loads(next(r["body"] for r in requests if r["path"] == "/notify"))
    body["alerts"][0]["labels"] = events.label_map(created["labels"])
    body["alerts"][0]["fingerprint"] = events.hex_fingerprint(created["fingerprint"])
    body["groupKey"] = '{}:{alertname="KubeJobFailed", namespace="batch"}'
    at = datetime.datetime(2026, 12, 1, 20, 0, 1, tzinfo=datetime.UTC)
    ArchiveWriter(str(archive_dir)).post(json.dumps(body).encode(), at)

    result = run(
        str(archive_dir),
        "history",
        "KubeJobFailed",
        "--label",
        "namespace=batch",
        "--since",
        "2026-12-01T19:00Z",
        "--until",
        "2026-12-01T23:00Z",
    )

    assert result.exit_code == 0, result.output
    assert "inhibited by 678be0766e95d871" in result.output, result.output


def test_several_alerts_of_one_name_are_refused_with_their_fingerprints(archive, tmp_path):
    # One verdict for KubeJobFailed would mix billing (sent) with batch (inhibited).
    with pytest.raises(why.SeveralAlerts) as refused:
        why.explain(archive, WINDOW, "KubeJobFailed")

    assert len(refused.value.candidates) == 2
    assert {labels["namespace"] for labels in refused.value.candidates.values()} == {
        "batch",
        "billing",
    }


def test_the_why_command_lists_the_alerts_to_choose_from_and_takes_a_fingerprint(tmp_path):
    _replay_capture(tmp_path / "archive")
    archive = str(tmp_path / "archive")
    window = ("--since", "2026-12-01T19:00Z", "--until", "2026-12-01T23:00Z")

    refused = run(archive, "why", "KubeJobFailed", *window)
    batch = next(
        line.split()[0] for line in refused.output.splitlines()[1:] if "namespace=batch" in line
    )
    chosen = run(archive, "why", "KubeJobFailed", "--fingerprint", batch, *window)

    assert refused.exit_code == 1
    assert "2 alerts match KubeJobFailed: add --label or give --fingerprint" in refused.output
    assert chosen.exit_code == 0, chosen.output
    assert "not sent: inhibited by KubeNodeNotReady" in chosen.output.splitlines()[0]


def test_a_window_to_the_end_of_the_calendar_lists_only_the_days_present(tmp_path):
    # An open-ended window must not walk every day to 9999 (it took over a minute).
    archive_dir = tmp_path / "archive"
    _replay_capture(archive_dir)
    span = timewindow.Window(
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC),
    )
    counting = CountingArchive(open_archive(str(archive_dir)))

    explanation = why.explain(counting, span, "KubeJobFailed", {"namespace": "batch"})

    assert explanation.verdict.startswith("not sent: inhibited by KubeNodeNotReady")
    assert len(counting.listed) < 50, counting.listed[:5]
