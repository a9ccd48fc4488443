"""The notification schema: valid itself, tolerant of real senders, strict about what is not v4."""

from __future__ import annotations

import copy
import json
import pathlib

import jsonschema
import pytest

from alertarchive.receiver.schema import NotificationValidator, explain, json_path, load_schema

DATA = pathlib.Path(__file__).parent / "data"
REAL_BODIES = sorted(DATA.glob("*.json")) + sorted((DATA / "generated").glob("*.json"))
REAL_BODIES = [p for p in REAL_BODIES if not p.name.endswith(".request.json")]
FIRING = json.loads((DATA / "firing-group-of-3.json").read_text())


@pytest.fixture(scope="module")
def validator() -> NotificationValidator:
    return NotificationValidator()


def mutated(change) -> dict:
    document = copy.deepcopy(FIRING)
    change(document)
    return document


def test_schema_is_valid_draft_2020_12():
    schema = load_schema()

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _properties(node, where="$"):
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{where}.{name}", child
        for key, child in node.items():
            if key != "properties":
                yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for child in node:
            yield from _properties(child, where)


def test_every_property_and_definition_has_a_description():
    schema = load_schema()
    undescribed = [where for where, prop in _properties(schema) if "description" not in prop]
    undescribed += [f"$defs.{n}" for n, d in schema["$defs"].items() if "description" not in d]

    assert undescribed == []


def test_schema_file_is_read_once_per_process():
    assert load_schema() is load_schema()


@pytest.mark.parametrize("path", REAL_BODIES, ids=lambda p: p.name)
def test_captured_and_generated_notifications_are_valid(validator, path):
    assert validator.problems(json.loads(path.read_bytes())) == []


TOLERATED = {
    "unknown top-level field": lambda d: d.update(somethingNew={"x": 1}),
    "notification_reason (0.32+)": lambda d: d.update(notification_reason="first notification"),
    "routeLabels (0.34+)": lambda d: d.update(routeLabels={"team": "a"}),
    "no truncatedAlerts (before 0.21)": lambda d: d.pop("truncatedAlerts"),
    "unknown per-alert field": lambda d: d["alerts"][0].update(silencedBy=[]),
    "UTF-8 label name (0.27+)": lambda d: d["alerts"][0]["labels"].update({"サービス 名": "x"}),
    "5 KB label value": lambda d: d["alerts"][0]["labels"].update(big="v" * 5000),
    "empty generatorURL": lambda d: d["alerts"][0].update(generatorURL=""),
    "relative generatorURL": lambda d: d["alerts"][0].update(generatorURL="/graph?x"),
    "no fractional seconds": lambda d: d["alerts"][0].update(startsAt="2026-11-27T02:54:24Z"),
    "9 fractional digits and an offset": lambda d: d["alerts"][0].update(
        startsAt="2024-05-01T12:34:56.123456789+09:00"
    ),
    "negative offset": lambda d: d["alerts"][0].update(startsAt="2024-05-01T12:34:56-07:30"),
    "firing endsAt is Go's zero time": lambda d: d["alerts"][0].update(
        endsAt="0001-01-01T00:00:00Z"
    ),
    "no alertname label": lambda d: d["alerts"][0].update(labels={"job": "x"}),
    "empty annotations": lambda d: d["alerts"][0].update(annotations={}),
    "regex-escaped receiver": lambda d: d.update(receiver="team\\.x\\+y"),
    "empty common maps": lambda d: d.update(commonLabels={}, commonAnnotations={}, groupLabels={}),
    "truncated alerts": lambda d: d.update(truncatedAlerts=3),
    "resolved alert inside a firing group": lambda d: d["alerts"][0].update(
        status="resolved", endsAt="2026-11-27T03:00:00.5Z"
    ),
}


@pytest.mark.parametrize("change", TOLERATED.values(), ids=TOLERATED.keys())
def test_what_real_senders_do_is_tolerated(validator, change):
    assert validator.problems(mutated(change)) == []


REJECTED = {
    "wrong version": (lambda d: d.update(version="3"), "$.version", "const"),
    "version as a number": (lambda d: d.update(version=4), "$.version", "const"),
    "status outside firing/resolved": (lambda d: d.update(status="pending"), "$.status", "enum"),
    "alert status outside firing/resolved": (
        lambda d: d["alerts"][2].update(status="ok"),
        "$.alerts[2].status",
        "enum",
    ),
    "alerts missing": (lambda d: d.pop("alerts"), "$", "required"),
    "alerts empty": (lambda d: d.update(alerts=[]), "$.alerts", "minItems"),
    "alerts not a list": (lambda d: d.update(alerts={"0": {}}), "$.alerts", "type"),
    "alert not an object": (lambda d: d["alerts"].append("x"), "$.alerts[3]", "type"),
    "alert without labels": (lambda d: d["alerts"][0].pop("labels"), "$.alerts[0]", "required"),
    "alert with no labels at all": (
        lambda d: d["alerts"][0].update(labels={}),
        "$.alerts[0].labels",
        "minProperties",
    ),
    "label value not a string": (
        lambda d: d["alerts"][0]["labels"].update(port=8080),
        "$.alerts[0].labels.port",
        "type",
    ),
    "label value null": (
        lambda d: d["alerts"][0]["labels"].update(x=None),
        "$.alerts[0].labels.x",
        "type",
    ),
    "annotation value not a string": (
        lambda d: d["alerts"][0]["annotations"].update(n=[1]),
        "$.alerts[0].annotations.n",
        "type",
    ),
    "common label value not a string": (
        lambda d: d["commonLabels"].update(job=1),
        "$.commonLabels.job",
        "type",
    ),
    "malformed startsAt": (
        lambda d: d["alerts"][0].update(startsAt="yesterday"),
        "$.alerts[0].startsAt",
        "pattern",
    ),
    "startsAt without timezone": (
        lambda d: d["alerts"][0].update(startsAt="2026-11-27T02:54:24"),
        "$.alerts[0].startsAt",
        "pattern",
    ),
    "month 13": (
        lambda d: d["alerts"][0].update(endsAt="2026-13-01T00:00:00Z"),
        "$.alerts[0].endsAt",
        "pattern",
    ),
    "10 fractional digits": (
        lambda d: d["alerts"][0].update(startsAt="2026-11-27T02:54:24.1234567890Z"),
        "$.alerts[0].startsAt",
        "pattern",
    ),
    "fingerprint not 16 hex": (
        lambda d: d["alerts"][0].update(fingerprint="XYZ"),
        "$.alerts[0].fingerprint",
        "pattern",
    ),
    "uppercase fingerprint": (
        lambda d: d["alerts"][0].update(fingerprint="4EAEA61D9291A3B1"),
        "$.alerts[0].fingerprint",
        "pattern",
    ),
    "negative truncatedAlerts": (
        lambda d: d.update(truncatedAlerts=-1),
        "$.truncatedAlerts",
        "minimum",
    ),
    "receiver missing": (lambda d: d.pop("receiver"), "$", "required"),
    "groupKey empty": (lambda d: d.update(groupKey=""), "$.groupKey", "minLength"),
}


@pytest.mark.parametrize("change,path,rule", REJECTED.values(), ids=REJECTED.keys())
def test_what_is_not_an_alertmanager_v4_notification_is_rejected_with_path_and_rule(
    validator, change, path, rule
):
    problems = validator.problems(mutated(change))

    assert problems, "expected a problem"
    assert (problems[0].path, problems[0].rule) == (path, rule)


def test_explanation_is_one_short_line_counting_the_other_problems(validator):
    document = mutated(lambda d: [a.update(status="x" * 4000) for a in d["alerts"]])

    line = explain(validator.problems(document))

    assert line.startswith("invalid Alertmanager notification: $.alerts[0].status: ")
    assert line.endswith("(enum); and 2 more")
    assert "\n" not in line and len(line.encode()) < 300


def test_problems_are_bounded_for_huge_invalid_bodies(validator):
    document = mutated(lambda d: d.update(alerts=[{"status": "bad"}] * 1000))

    assert len(validator.problems(document)) == 20
    assert explain(validator.problems(document)).endswith("; and 19+ more")


@pytest.mark.parametrize(
    "segments,path",
    [
        ([], "$"),
        (["alerts", 0, "labels", "job"], "$.alerts[0].labels.job"),
        (["labels", "a b"], '$.labels["a b"]'),
        (["labels", "k8s.io/name"], '$.labels["k8s.io/name"]'),
        (["labels", "サービス"], "$.labels.サービス"),
        (["labels", "x" * 100], "$.labels." + "x" * 39 + "…"),
        (["labels", '\n"]'], '$.labels["\\n\\"]"]'),
    ],
)
def test_json_paths_are_readable_and_bounded(segments, path):
    assert json_path(segments) == path


MESSAGES = {
    "enum": (lambda d: d.update(status="SECRET-1"), 'must be one of "firing", "resolved"'),
    "const": (lambda d: d.update(version="SECRET-2"), 'must be "4"'),
    "type": (lambda d: d["alerts"][0]["labels"].update(x=["SECRET-3"]), "must be a JSON string"),
    "timestamp": (
        lambda d: d["alerts"][0].update(startsAt="SECRET-4"),
        "must be an RFC 3339 date-time such as 2026-11-27T04:05:06.789Z",
    ),
    "fingerprint": (
        lambda d: d["alerts"][0].update(fingerprint="SECRET-5"),
        "must be 16 lowercase hex digits",
    ),
    "required": (lambda d: d.pop("groupKey"), '"groupKey" is required'),
    "minItems": (lambda d: d.update(alerts=[]), "must have at least 1 item"),
}


@pytest.mark.parametrize("change,message", MESSAGES.values(), ids=MESSAGES.keys())
def test_messages_say_what_is_required_without_quoting_the_body(validator, change, message):
    [problem] = validator.problems(mutated(change))

    assert problem.message == message
    assert "SECRET" not in str(problem)
