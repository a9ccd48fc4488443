"""The hot-path engine (jsonschema-rs) decides exactly as the reference (jsonschema) does.

The receiver validates with jsonschema-rs because it is ~500x faster on a 1,000-alert body;
jsonschema, the engine the design names, stays the reference. For every case here both must
agree on valid/invalid, and the hot path must report the same violations (JSON path + rule),
each message naming where and which rule, so a sender can act on it. Cases: every captured or
generated body in tests/data, targeted mutations of each, and hypothesis-generated
notifications (valid ones, mutated ones, and arbitrary JSON).
"""

from __future__ import annotations

import copy
import datetime
import json
import pathlib
import string

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertarchive.receiver.schema import NotificationValidator, explain, json_path, load_schema

DATA = pathlib.Path(__file__).parent / "data"
FIXTURES = sorted(
    path
    for path in [*DATA.glob("*.json"), *DATA.glob("generated/*.json")]
    if not path.name.endswith(".request.json")
)
# Mirrors schema.py's cap on problems reported per body.
MAX_PROBLEMS = 20
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOT = NotificationValidator()
REFERENCE = jsonschema.Draft202012Validator(load_schema())


def _keywords(node) -> set[str]:
    """Every validation keyword the schema uses (the rules a message may name)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("properties", "$defs", "description", "title", "$id", "$schema"):
                found.add(key)
            found |= _keywords(value)
        for child in node.get("properties", {}).values():
            found |= _keywords(child)
        for child in node.get("$defs", {}).values():
            found |= _keywords(child)
    elif isinstance(node, list):
        for child in node:
            found |= _keywords(child)
    return found


RULES = _keywords(load_schema()) - {"$ref"}


def assert_engines_agree(document) -> None:
    """Same verdict, same violations (path, rule), and messages that name both."""
    expected = {
        (json_path(list(e.absolute_path)), e.validator) for e in REFERENCE.iter_errors(document)
    }
    problems = HOT.problems(document)
    reported = {(problem.path, problem.rule) for problem in problems}

    assert bool(problems) == bool(expected), (problems, expected)
    if len(problems) < MAX_PROBLEMS:
        assert reported == expected
    else:
        assert reported <= expected
    for problem in problems:
        assert problem.rule in RULES
        assert str(problem).startswith(f"{problem.path}: ")
        assert str(problem).endswith(f"({problem.rule})")
    if problems:
        assert explain(problems).startswith(
            f"invalid Alertmanager notification: {problems[0].path}: "
        )


# Targeted mutations: each makes any valid notification invalid in one known way.
BREAKS = {
    "no version": lambda d: d.pop("version"),
    "version 3": lambda d: d.update(version="3"),
    "version as number": lambda d: d.update(version=4),
    "unknown status": lambda d: d.update(status="pending"),
    "no receiver": lambda d: d.pop("receiver"),
    "empty groupKey": lambda d: d.update(groupKey=""),
    "negative truncatedAlerts": lambda d: d.update(truncatedAlerts=-1),
    "fractional truncatedAlerts": lambda d: d.update(truncatedAlerts=1.5),
    "boolean truncatedAlerts": lambda d: d.update(truncatedAlerts=True),
    "no alerts": lambda d: d.update(alerts=[]),
    "alerts not a list": lambda d: d.update(alerts={"0": d["alerts"][0]}),
    "alert not an object": lambda d: d["alerts"].append("KubeJobFailed"),
    "alert without labels": lambda d: d["alerts"][0].pop("labels"),
    "alert with empty labels": lambda d: d["alerts"][0].update(labels={}),
    "numeric label value": lambda d: d["alerts"][-1]["labels"].update(port=8080),
    "null annotation": lambda d: d["alerts"][0].update(annotations={"summary": None}),
    "commonLabels as list": lambda d: d.update(commonLabels=[["job", "api"]]),
    "unknown alert status": lambda d: d["alerts"][0].update(status="silenced"),
    "startsAt missing": lambda d: d["alerts"][0].pop("startsAt"),
    "startsAt not RFC 3339": lambda d: d["alerts"][0].update(startsAt="27/11/2026 04:05"),
    "month 13": lambda d: d["alerts"][0].update(startsAt="2026-13-01T00:00:00Z"),
    "10 fractional digits": lambda d: d["alerts"][0].update(
        endsAt="2026-11-27T00:00:00.1234567890Z"
    ),
    "february 31": lambda d: d["alerts"][0].update(startsAt="2026-02-31T00:00:00Z"),
    "29 february of a common year": lambda d: d["alerts"][0].update(
        startsAt="1900-02-29T00:00:00Z"
    ),
    "leap second": lambda d: d["alerts"][0].update(endsAt="2026-12-31T23:59:60Z"),
    "lowercase t": lambda d: d["alerts"][0].update(startsAt="2026-11-27t04:05:06Z"),
    "lowercase z": lambda d: d["alerts"][0].update(startsAt="2026-11-27T04:05:06z"),
    "year 0000": lambda d: d["alerts"][0].update(startsAt="0000-01-01T00:00:00Z"),
    "timestamp with a trailing newline": lambda d: d["alerts"][0].update(
        startsAt="2026-11-27T04:05:06Z\n"
    ),
    "fingerprint with a trailing newline": lambda d: d["alerts"][0].update(
        fingerprint="4eaea61d9291a3b1\n"
    ),
    "short fingerprint": lambda d: d["alerts"][0].update(fingerprint="4eaea61d"),
    "uppercase fingerprint": lambda d: d["alerts"][0].update(fingerprint="4EAEA61D9291A3B1"),
    "null under an empty label name": lambda d: d["alerts"][0]["labels"].update({"": None}),
    "several at once": lambda d: (d.pop("version"), d["alerts"][0].update(labels={}, status=1)),
}


def _load(path: pathlib.Path):
    return json.loads(path.read_bytes())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_engines_agree_on_every_captured_and_generated_body(path):
    document = _load(path)

    assert HOT.problems(document) == []
    assert_engines_agree(document)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("breaking", BREAKS, ids=str)
def test_engines_agree_on_each_way_of_breaking_each_body(path, breaking):
    document = _load(path)
    BREAKS[breaking](document)

    assert HOT.problems(document), "the mutation must make the body invalid"
    assert_engines_agree(document)


def test_engines_agree_when_problems_exceed_the_reported_cap():
    document = _load(DATA / "firing-group-of-3.json")
    document["alerts"] = [{"status": "unknown"} for _ in range(3 * MAX_PROBLEMS)]

    assert len(HOT.problems(document)) == MAX_PROBLEMS
    assert_engines_agree(document)


@pytest.mark.parametrize("document", [None, True, 4, "4", [], [{}], {}], ids=repr)
def test_engines_agree_on_bodies_that_are_not_notifications(document):
    assert_engines_agree(document)


# --- generated notifications -------------------------------------------------------------


def _go_timestamp(moment, offset_minutes: int, digits: str, z: bool) -> str:
    """A timestamp as Go's RFC3339Nano encoder writes it (or a sender with 0–9 digits)."""
    fraction = f".{digits}" if digits else ""
    if z and offset_minutes == 0:
        return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}{fraction}Z"
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}{fraction}{sign}{hours:02d}:{minutes:02d}"


# Only valid ones: any day of the calendar from 0001 to 9999 (leap days too), any offset.
_timestamps = st.builds(
    _go_timestamp,
    st.datetimes(datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from([0, 0, 0, 60, -420, 330, 23 * 60 + 59, -(23 * 60 + 59)]),
    st.one_of(st.just(""), st.text(string.digits, min_size=1, max_size=9)),
    st.booleans(),
)
_label_maps = st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=4)
_statuses = st.sampled_from(["firing", "resolved"])
_alerts = st.fixed_dictionaries(
    {
        "status": _statuses,
        "labels": st.dictionaries(
            st.text(max_size=12), st.text(max_size=20), min_size=1, max_size=4
        ),
        "startsAt": _timestamps,
    },
    optional={
        "annotations": _label_maps,
        "endsAt": _timestamps,
        "generatorURL": st.text(max_size=30),
        "fingerprint": st.text("0123456789abcdef", min_size=16, max_size=16),
        "silencedBy": st.lists(st.text(max_size=5), max_size=2),
    },
)
notifications = st.fixed_dictionaries(
    {
        "version": st.just("4"),
        "status": _statuses,
        "receiver": st.text(max_size=20),
        "groupKey": st.text(min_size=1, max_size=30),
        "alerts": st.lists(_alerts, min_size=1, max_size=5),
    },
    optional={
        "truncatedAlerts": st.integers(0, 2**70),
        "notification_reason": st.text(max_size=20),
        "groupLabels": _label_maps,
        "commonLabels": _label_maps,
        "commonAnnotations": _label_maps,
        "routeLabels": _label_maps,
        "externalURL": st.text(max_size=30),
        "somethingNew": st.integers(),
    },
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@HYPOTHESIS
@given(notifications)
def test_engines_agree_that_generated_notifications_are_valid(document):
    assert HOT.problems(document) == []
    assert_engines_agree(document)


@HYPOTHESIS
@given(notifications, st.sampled_from(sorted(BREAKS)))
def test_engines_agree_on_generated_notifications_broken_on_purpose(document, breaking):
    BREAKS[breaking](document)

    assert HOT.problems(document)
    assert_engines_agree(document)


@HYPOTHESIS
@given(notifications, st.data())
def test_engines_agree_when_any_field_holds_any_json(document, data):
    alert = data.draw(st.sampled_from(document["alerts"]))
    target = data.draw(st.sampled_from([document, alert, alert["labels"]]))
    key = data.draw(st.sampled_from([*target, "somethingElse"]))
    if data.draw(st.booleans()):
        target.pop(key, None)
    else:
        target[key] = data.draw(json_values)

    assert_engines_agree(copy.deepcopy(document))


@HYPOTHESIS
@given(json_values)
def test_engines_agree_on_arbitrary_json(document):
    assert_engines_agree(document)
