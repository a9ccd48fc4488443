"""Receipt metadata: complete, bounded, and described by its own schema."""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib

import jsonschema
import pytest

from alertarchive.archive import record
from alertarchive.archive.notification import Summary

SCHEMA = json.loads(
    (
        pathlib.Path(__file__).parents[1] / "schema" / "archived-object-metadata.schema.json"
    ).read_text()
)
RECEIVED = datetime.datetime(2026, 11, 27, 4, 5, 6, 7, tzinfo=datetime.UTC)
SUMMARY = Summary(
    status="firing",
    receiver="team\\.x",
    alertnames=("A", "B"),
    alert_count=2,
    truncated_alerts=1,
    group_key='{}:{alertname="A"}',
)


def metadata(**overrides):
    arguments = dict(
        received_at=RECEIVED,
        body_sha256="0" * 64,
        body_size=10,
        user_agent="Alertmanager/0.25.0",
        source="default",
        summary=SUMMARY,
    )
    return record.metadata(**{**arguments, **overrides})


def test_metadata_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("problems", [[], ["$.version: wrong (const)"]])
def test_metadata_matches_its_schema(problems):
    jsonschema.validate(metadata(problems=problems), SCHEMA)


def test_metadata_records_receipt_and_summary():
    assert metadata() == {
        "received_at": "2026-11-27T04:05:06.000007Z",
        "body_sha256": "0" * 64,
        "body_size": "10",
        "user_agent": "Alertmanager/0.25.0",
        "source": "default",
        "status": "firing",
        "receiver": "team\\.x",
        "alertnames": "A,B",
        "alert_count": "2",
        "truncated_alerts": "1",
        "group_key": '{}:{alertname="A"}',
        "notification_reason": "",
        "validation": "valid",
    }


def test_received_at_is_utc_whatever_the_clock_zone():
    tokyo = RECEIVED.astimezone(datetime.timezone(datetime.timedelta(hours=9)))

    assert metadata(received_at=tokyo)["received_at"] == "2026-11-27T04:05:06.000007Z"


def test_long_values_are_cut_on_a_character_boundary_within_gcs_limits():
    long = Summary("firing", "r", tuple(f"ディスク{i}" for i in range(2000)), 2000, 0, "k" * 9000)

    values = metadata(summary=long, user_agent="é" * 5000)

    assert all(len(v.encode()) <= record.MAX_VALUE_BYTES for v in values.values())
    assert values["alertnames"].endswith("…")
    assert sum(len(k) + len(v.encode()) for k, v in values.items()) < 8 * 1024


def test_metadata_records_why_alertmanager_sent_it():
    summary = dataclasses.replace(SUMMARY, notification_reason="repeat interval elapsed")

    assert metadata(summary=summary)["notification_reason"] == "repeat interval elapsed"
