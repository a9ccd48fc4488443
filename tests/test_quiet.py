"""stats, report and why learn the event recorder's events: who muted what, for how long, and
which deliveries have no notification event (the recorder drops events after max_retries).

Built from Alertmanager 0.33.1's captured traffic through the real receiver (tests/test_why.py).
"""

from __future__ import annotations

import datetime
import json

from alertarchive.browse import quiet
from alertarchive.browse.catalog import Catalog
from tests.support.archives import ArchiveWriter, alert, notification
from tests.support.cli import run
from tests.test_why import WINDOW, _replay_capture

SPAN = ("--since", "2026-12-01T19:00Z", "--until", "2026-12-01T23:00Z")


def _drop_one_notification_event(archive_dir) -> str:
    """Delete the notification event of KubeNodeNotReady's delivery, as a dropped event."""
    (found,) = (archive_dir / "events").rglob("notification-KubeNodeNotReady-*.json")
    found.unlink()
    return found.name


def test_stats_json_names_who_muted_each_alert_and_for_how_many_hours(tmp_path):
    _replay_capture(tmp_path / "archive")

    result = run(str(tmp_path / "archive"), "stats", *SPAN, "--json")

    figures = json.loads(result.output)
    by_name = {q["alertname"]: q for q in figures["quiet"]}
    silenced, inhibited = by_name["CPUThrottlingHigh"], by_name["KubeJobFailed"]
    assert silenced["how"] == "silenced" and silenced["muted_hours"] == 1
    assert silenced["silence"]["created_by"] == "oncall@example.com"
    assert silenced["silence"]["comment"] == "web rollout, throttling expected"
    assert inhibited["how"] == "inhibited" and inhibited["labels"]["namespace"] == "batch"
    assert inhibited["inhibiting_alerts"][0].startswith("KubeNodeNotReady (")
    assert "with equal node" in inhibited["rule"]
    assert [s["id"][:8] for s in figures["silences"]] == ["fe0a605f"]
    assert figures["unrecorded_deliveries"] == 0


def test_stats_prints_the_muted_section(tmp_path):
    _replay_capture(tmp_path / "archive")

    result = run(str(tmp_path / "archive"), "stats", *SPAN)

    section = result.output.split("MUTED (", 1)[1]
    assert 'oncall@example.com: "web rollout, throttling expected"' in section
    assert "inhibited: KubeNodeNotReady (" in section
    assert "no notification event" not in result.output


def test_without_events_stats_prints_no_muted_section(tmp_path):
    _replay_capture(tmp_path / "archive", paths=("/notify",))

    result = run(str(tmp_path / "archive"), "stats", *SPAN)

    assert "MUTED" not in result.output
    assert (
        json.loads(run(str(tmp_path / "archive"), "stats", *SPAN, "--json").output)[
            "unrecorded_deliveries"
        ]
        == 0
    )


def test_a_delivery_whose_notification_event_was_dropped_is_counted(tmp_path):
    archive = _replay_capture(tmp_path / "archive")
    entries = Catalog(archive).entries(WINDOW)
    assert quiet.read(archive, WINDOW, entries).unrecorded_deliveries == 0

    _drop_one_notification_event(tmp_path / "archive")

    assert quiet.read(archive, WINDOW, entries).unrecorded_deliveries == 1
    stats = run(str(tmp_path / "archive"), "stats", *SPAN)
    assert "1 delivery has no notification event" in stats.output
    assert "raise max_retries" in stats.output
    assert (
        json.loads(run(str(tmp_path / "archive"), "stats", *SPAN, "--json").output)[
            "unrecorded_deliveries"
        ]
        == 1
    )


def test_why_says_under_the_verdict_that_a_delivery_has_no_event(tmp_path):
    _replay_capture(tmp_path / "archive")
    _drop_one_notification_event(tmp_path / "archive")

    dropped = run(str(tmp_path / "archive"), "why", "KubeNodeNotReady", *SPAN)
    other = run(str(tmp_path / "archive"), "why", "CPUThrottlingHigh", *SPAN)

    lines = dropped.output.splitlines()
    assert lines[1] == (
        "  note: 1 delivery has no notification event "
        "(the recorder may have dropped events: raise max_retries)"
    )
    assert "no notification event" not in other.output


def test_the_report_shows_muted_hours_silences_and_why_a_card_was_quiet(tmp_path):
    _replay_capture(tmp_path / "archive")
    page = tmp_path / "report.html"

    run(str(tmp_path / "archive"), "report", *SPAN, "-o", str(page))

    html = page.read_text()
    row = html.split('data-alertname="CPUThrottlingHigh"', 1)[1].split("</g>\n</g>", 1)[0]
    assert 'class="muted-band"' in row and "oncall@example.com" in row
    silences = html.split('<table class="silences">', 1)[1].split("</table>", 1)[0]
    for text in (
        "fe0a605f",
        "alertname=&#34;CPUThrottlingHigh&#34;",
        "oncall@example.com",
        "web rollout, throttling expected",
        "2026-12-01 22:00:02",
    ):
        assert text in silences
    card = html.split('id="alert-4a74e0661124ed5d"', 1)[1].split('<table class="episodes">', 1)[0]
    assert '<p class="quiet">silenced for 1 hour: silence fe0a605f' in card
    assert "url(" not in html


def _with_a_csv_notification(archive_dir) -> None:
    """The capture, plus one notification (no events) under source=csv in the same hours."""
    _replay_capture(archive_dir)
    at = datetime.datetime(2026, 12, 1, 20, 30, tzinfo=datetime.UTC)
    body = notification([alert({"alertname": "PayloadMulti", "job": "csv"}, at)], "team-csv")
    assert ArchiveWriter(str(archive_dir)).post(body, at, source="csv")["status_code"] == 201


def _muted(archive_dir, *options: str) -> dict:
    return json.loads(run(str(archive_dir), "stats", *SPAN, "--json", *options).output)


def test_the_muted_section_follows_the_filters(tmp_path):
    _with_a_csv_notification(tmp_path / "archive")
    archive = tmp_path / "archive"

    def names(*options: str) -> list[str]:
        return sorted(q["alertname"] for q in _muted(archive, *options)["quiet"])

    assert names() == ["CPUThrottlingHigh", "KubeJobFailed"]
    assert names("--source", "csv") == []
    assert _muted(archive, "--source", "csv")["silences"] == []
    assert names("--source", "default") == ["CPUThrottlingHigh", "KubeJobFailed"]
    assert names("--alertname", "PayloadMulti") == []
    assert names("--alertname", "KubeJobFailed") == ["KubeJobFailed"]
    # Only the silence that muted a kept alert is listed.
    assert _muted(archive, "--alertname", "KubeJobFailed")["silences"] == []
    assert [
        s["id"][:8] for s in _muted(archive, "--alertname", "CPUThrottlingHigh")["silences"]
    ] == ["fe0a605f"]
    assert names("--label", "namespace=web") == ["CPUThrottlingHigh"]
    assert names("--label", "namespace=nowhere") == []
    # Muting is of firing alerts; a mute event names no receiver.
    assert names("--status", "firing") == ["CPUThrottlingHigh", "KubeJobFailed"]
    assert names("--status", "resolved") == []
    assert names("--receiver", "archive") == []

    text = run(str(archive), "stats", *SPAN, "--source", "csv").output
    assert "CPUThrottlingHigh" not in text and "KubeJobFailed" not in text
    receiver = run(str(archive), "stats", *SPAN, "--receiver", "archive").output
    assert "mute events name no receiver" in receiver


def test_the_reports_muted_section_follows_the_filters(tmp_path):
    _with_a_csv_notification(tmp_path / "archive")
    page = tmp_path / "report.html"

    run(str(tmp_path / "archive"), "report", *SPAN, "--source", "csv", "-o", str(page))

    html = page.read_text()
    assert "oncall@example.com" not in html and "KubeNodeNotReady" not in html
