"""`show` prints every time in the display time zone: the receipt and each alert's start and end."""

import datetime
import time

import pytest
from click.testing import CliRunner

from alertarchive.browse import cli as cli_module
from tests.support.archives import ArchiveWriter, alert, notification

RECEIVED = datetime.datetime(2026, 11, 27, 4, 16, 47, tzinfo=datetime.UTC)
STARTED = datetime.datetime(2026, 11, 27, 2, 54, 24, 892671, tzinfo=datetime.UTC)
ENDED = datetime.datetime(2026, 11, 27, 3, 58, 1, tzinfo=datetime.UTC)


@pytest.fixture
def new_york(monkeypatch):
    """Local time is America/New_York (UTC-5 in November) for the test."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def archived(tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    body = notification(
        [
            alert({"alertname": "Ended", "pod": "a"}, STARTED, ends_at=ENDED),
            alert({"alertname": "Ended", "pod": "b"}, STARTED),
        ]
    )
    answer = writer.post(body, RECEIVED)
    return str(tmp_path), answer["object"]


def _show(url: str, name: str, *zone: str) -> list[str]:
    result = CliRunner().invoke(
        cli_module.cli, ["--archive", url, *zone, "show", name], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_show_prints_alert_start_and_end_in_local_time_like_the_receipt(new_york, archived):
    lines = _show(*archived)

    assert "received   2026-11-26 23:16:47 EST" in lines
    ended = next(line for line in lines if "resolved" in line)
    firing = next(line for line in lines if line.startswith("  firing"))
    assert "2026-11-26 21:54:24 EST → 2026-11-26 22:58:01 EST" in ended
    assert "2026-11-26 21:54:24 EST" in firing
    assert "T02:54" not in "\n".join(lines)  # no time left in the body's own UTC spelling


def test_show_prints_alert_times_in_utc_with_utc(new_york, archived):
    lines = _show(*archived, "--utc")

    assert "received   2026-11-27 04:16:47 UTC" in lines
    ended = next(line for line in lines if "resolved" in line)
    assert "2026-11-27 02:54:24 UTC → 2026-11-27 03:58:01 UTC" in ended


def test_a_start_at_the_calendars_edge_is_shown_as_sent(new_york, tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    edge = alert({"alertname": "Edge"}, STARTED)
    edge["startsAt"] = "0001-01-01T00:00:01Z"
    name = writer.post(notification([edge]), RECEIVED)["object"]

    lines = _show(str(tmp_path), name)

    assert any("0001-01-01T00:00:01Z" in line for line in lines)
