"""Recorded events: what each is about, and names that keep a fact once per hour.

The captured events are what Alertmanager 0.33.1's event recorder sent on the wire
(tests/data/alertmanager-0.33.1/, see its README for the scenario).
"""

from __future__ import annotations

import copy
import datetime
import json
import pathlib

import jsonschema
import pytest

from alertarchive.archive import events

CAPTURE = (
    pathlib.Path(__file__).parent
    / "data"
    / "alertmanager-0.33.1"
    / "event-recorder-and-webhook.ndjson"
)
SCHEMA = (
    pathlib.Path(__file__).parents[1]
    / "alertarchive"
    / "schemas"
    / "alertmanager-events.schema.json"
)
RECEIVED = datetime.datetime(2026, 12, 1, 20, 0, 30, tzinfo=datetime.UTC)


def _requests(path: str) -> list[dict]:
    return [
        json.loads(request["body"])
        for request in map(json.loads, CAPTURE.read_text().splitlines())
        if request["path"] == path
    ]


def _recorded(kind: str) -> list[dict]:
    return [event for event in _requests("/events") if kind in event["data"]]


def _name(document: dict, received: datetime.datetime = RECEIVED) -> str:
    return events.object_name(events.read(document), received, "default")


def test_every_captured_event_matches_the_schema():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))

    for event in _requests("/events"):
        assert not list(validator.iter_errors(event)), event


def test_a_batch_of_events_matches_the_schema_too():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))

    assert validator.is_valid(_requests("/events")[:3])
    assert not validator.is_valid([])


@pytest.mark.parametrize(
    "document",
    [{"@timestamp": "2026-12-01T20:00:00Z"}, {"@timestamp": "x", "data": {"a": {}, "b": {}}}, [1]],
)
def test_the_schema_refuses_what_is_not_an_event(document):
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))

    assert not validator.is_valid(document)


def test_an_unknown_event_type_is_kept_as_its_own_kind():
    document = {
        "@timestamp": "2026-12-01T20:00:00Z",
        "instance": "am-0",
        "data": {"futureThing": {}},
    }

    event = events.read(document)

    assert event.kind == "futureThing"
    assert "futureThing" in _name(document)


def test_event_fingerprints_join_the_webhook_bodies_hex_fingerprints():
    webhook = {
        alert["labels"]["alertname"]: alert["fingerprint"]
        for body in _requests("/notify")
        for alert in body["alerts"]
    }
    created = {
        event["data"]["alertCreated"]["alert"]["name"]: events.read(event).fingerprints
        for event in _recorded("alertCreated")
    }

    assert created["CPUThrottlingHigh"] == (webhook["CPUThrottlingHigh"],)
    assert created["KubeNodeNotReady"] == (webhook["KubeNodeNotReady"],)


def test_a_mute_repeated_every_group_interval_is_one_object_per_hour():
    mutes = _recorded("silenceMutedAlert")

    assert len(mutes) >= 3
    assert len({_name(mute) for mute in mutes}) == 1
    next_hour = RECEIVED + datetime.timedelta(hours=1)
    assert _name(mutes[0], next_hour) != _name(mutes[0])


def test_an_inhibition_repeated_every_group_interval_is_one_object_per_hour():
    inhibitions = _recorded("inhibitionMutedAlert")

    assert len(inhibitions) >= 3
    assert len({_name(event) for event in inhibitions}) == 1
    assert events.read(inhibitions[0]).alertname == "KubeJobFailed"


def test_an_ha_peers_copy_of_a_fact_lands_on_the_same_name():
    mine = _recorded("silenceCreated")[0]
    peers = copy.deepcopy(mine)
    peers["instance"] = "alertmanager-1"
    peers["@timestamp"] = "2026-12-01T20:00:03.101Z"
    peers["clusterPosition"] = 1

    assert _name(peers) == _name(mine)


def test_a_silence_updated_is_a_new_fact():
    created = _recorded("silenceCreated")[0]
    updated = copy.deepcopy(created)
    updated["data"] = {"silenceUpdated": updated["data"]["silenceCreated"]}
    updated["data"]["silenceUpdated"]["silence"]["updatedAt"] = "2026-12-01T20:30:00Z"

    assert _name(updated) != _name(created)


def test_each_notification_event_is_kept():
    notifications = _recorded("notification")

    assert len({_name(event) for event in notifications}) == len(notifications)


def test_an_event_name_lives_beside_alerts_in_the_hour_it_was_received():
    name = _name(_recorded("silenceMutedAlert")[0])

    assert name.startswith("events/dt=2026-12-01/hour=20/source=default/silenceMutedAlert-")
    assert name.endswith(".json")


@pytest.mark.parametrize(
    "document", [[], {"data": "x"}, {"data": {}}, {"data": {"a": {}, "b": {}}}]
)
def test_a_document_without_the_envelope_is_not_an_event(document):
    with pytest.raises(events.NotAnEvent):
        events.read(document)


def test_hex_fingerprint_is_16_digits():
    assert events.hex_fingerprint("5365159785084022109") == "4a74e0661124ed5d"
    assert events.hex_fingerprint(1) == "0000000000000001"


def test_a_fingerprint_past_uint64_is_kept_not_dropped():
    document = {
        "@timestamp": "2026-12-01T20:00:00Z",
        "data": {"alertCreated": {"alert": {"fingerprint": "18446744073709551616", "name": "X"}}},
    }

    assert events.read(document).fingerprints == ("10000000000000000",)
