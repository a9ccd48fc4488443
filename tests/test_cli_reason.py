"""Why Alertmanager sent a notification (notification_reason, 0.32+) reaches list, show, export."""

from __future__ import annotations

import csv
import datetime
import io
import json
import pathlib

from tests.support.archives import ArchiveWriter
from tests.support.cli import ndjson, run

CAPTURE = (
    pathlib.Path(__file__).parent
    / "data"
    / "alertmanager-0.33.1"
    / "event-recorder-and-webhook.ndjson"
)
AT = datetime.datetime(2026, 12, 1, 20, 0, 3, tzinfo=datetime.UTC)


def _archive_with_a_0_33_notification(tmp_path) -> str:
    body = next(
        request["body"]
        for request in map(json.loads, CAPTURE.read_text().splitlines())
        if request["path"] == "/notify"
    )
    archive = str(tmp_path / "archive")
    ArchiveWriter(archive).post(body.encode(), AT, user_agent="Alertmanager/0.33.1")
    return archive


WINDOW = ("--since", "2026-12-01T19:00Z", "--until", "2026-12-01T21:00Z")


def test_list_json_and_export_carry_the_reason(tmp_path):
    archive = _archive_with_a_0_33_notification(tmp_path)

    (listed,) = ndjson(run(archive, "list", "--json", *WINDOW))
    (exported,) = ndjson(run(archive, "export", *WINDOW))

    assert listed["notification_reason"] == "first notification"
    assert exported == listed


def test_show_prints_the_reason(tmp_path):
    archive = _archive_with_a_0_33_notification(tmp_path)
    (listed,) = ndjson(run(archive, "list", "--json", *WINDOW))

    shown = run(archive, "show", listed["name"]).output

    assert any(
        line.split(None, 1) == ["reason", "first notification"] for line in shown.splitlines()
    ), shown


def test_csv_export_has_a_reason_column(tmp_path):
    archive = _archive_with_a_0_33_notification(tmp_path)

    (row,) = csv.DictReader(io.StringIO(run(archive, "export", "--format", "csv", *WINDOW).output))

    assert row["notification_reason"] == "first notification"


def test_show_of_a_quarantined_body_prints_no_reason_line(tmp_path):
    archive = str(tmp_path / "archive")
    ArchiveWriter(archive).post(b'{"status": "firing"}', AT)
    (quarantined,) = ndjson(run(archive, "list", "--quarantined", "--json", *WINDOW))

    shown = run(archive, "show", quarantined["name"]).output

    assert not [line for line in shown.splitlines() if line.startswith("reason")], shown
