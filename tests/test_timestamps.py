"""One definition of a valid alert timestamp, shared by the schema and the CLI.

Alertmanager's Go encoder writes time.Time as RFC 3339 with up to 9 fractional digits
(time.RFC3339Nano, trailing zeros trimmed): uppercase `T`, `Z` or a `±hh:mm` offset, years
0001–9999, and Go's zero time `0001-01-01T00:00:00Z` for a firing alert's endsAt. Go's parser
refuses `2026-02-31` and second `:60`. What the schema accepts, the CLI reads: an alert never
passes validation and then vanishes from `stats` and `report`.
"""

from __future__ import annotations

import datetime
import json
import re

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertarchive.archive import timestamps
from alertarchive.receiver.schema import NotificationValidator, load_schema
from tests.support.archives import ArchiveWriter, alert, notification
from tests.support.cli import run

HOT = NotificationValidator()
REFERENCE = jsonschema.Draft202012Validator(load_schema())
VALID_BODY = {
    "version": "4",
    "status": "firing",
    "receiver": "r",
    "groupKey": "{}:{}",
    "alerts": [{"status": "firing", "labels": {"alertname": "A"}, "startsAt": ""}],
}


def schema_accepts(text: str) -> bool:
    """Whether both engines accept the text as an alert's startsAt (they must agree)."""
    document = json.loads(json.dumps(VALID_BODY))
    document["alerts"][0]["startsAt"] = text
    hot, reference = not HOT.problems(document), REFERENCE.is_valid(document)
    assert hot == reference, text
    return hot


GO_WRITES = [
    "2026-11-27T04:05:06Z",
    "2026-11-27T04:05:06.1Z",
    "2026-11-27T04:05:06.123456789Z",
    "2026-11-27T04:05:06.000000001+05:30",
    "2026-11-27T04:05:06-07:00",
    "0001-01-01T00:00:00Z",
    "2024-02-29T12:00:00Z",
    "2000-02-29T12:00:00Z",
    "1999-12-31T23:59:59.999999999+23:59",
    "9999-12-31T23:59:59.999999999-14:00",
    "0001-01-01T00:00:00+14:00",
]
GO_NEVER_WRITES = [
    "2026-02-31T00:00:00Z",  # no such day
    "2026-02-29T00:00:00Z",  # not a leap year
    "1900-02-29T00:00:00Z",  # a century, not divisible by 400
    "2026-04-31T00:00:00Z",
    "2026-11-27T23:59:60Z",  # Go's parser refuses leap seconds
    "2026-11-27t04:05:06Z",
    "2026-11-27T04:05:06z",
    "0000-01-01T00:00:00Z",
    "2026-11-27T24:00:00Z",
    "2026-11-27T04:05:06.1234567890Z",
    "2026-11-27T04:05:06+24:00",
    "2026-11-27T04:05:06",
    "2026-11-27 04:05:06Z",
    "2026-11-27T04:05Z",
    "2026-11-27",
    "+2026-11-27T04:05:06Z",
    "2026-11-27T04:05:06.Z",
    "2026-11-27T04:05:06Z\n",
]


@pytest.mark.parametrize("text", GO_WRITES)
def test_what_go_writes_is_valid_and_readable(text):
    assert schema_accepts(text)
    assert timestamps.parse(text) is not None


@pytest.mark.parametrize("text", GO_NEVER_WRITES, ids=repr)
def test_what_go_never_writes_is_refused_by_schema_and_cli_alike(text):
    assert not schema_accepts(text)
    assert timestamps.parse(text) is None


def test_the_schema_holds_the_clis_pattern():
    assert load_schema()["$defs"]["timestamp"]["pattern"] == timestamps.PATTERN


_near_timestamps = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from("Tt "),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 61),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{0,10}", fullmatch=True)),
    st.one_of(
        st.sampled_from(["Z", "z", ""]),
        st.from_regex(r"[+-][0-9]{2}:[0-9]{2}", fullmatch=True),
    ),
)


@settings(max_examples=500, deadline=None)
@given(_near_timestamps)
def test_schema_and_cli_agree_on_every_timestamp(text):
    parsed = timestamps.parse(text)

    assert schema_accepts(text) == (parsed is not None)
    if parsed is not None:
        assert parsed.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(datetime.datetime(1, 1, 2), datetime.datetime(9999, 12, 30)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
    st.integers(0, 999),
)
def test_every_instant_as_go_writes_it_is_read_back_exactly(moment, offset_minutes, nanos):
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    local = moment.replace(tzinfo=zone)
    fraction = f"{local.microsecond:06d}{nanos:03d}".rstrip("0")
    offset = "Z" if offset_minutes == 0 else local.strftime("%z")
    offset = offset if offset == "Z" else f"{offset[:3]}:{offset[3:]}"
    text = (
        f"{local.year:04d}-{local:%m-%dT%H:%M:%S}" + (f".{fraction}" if fraction else "") + offset
    )

    assert schema_accepts(text)
    assert timestamps.parse(text) == local


def test_alerts_at_the_edges_of_the_calendar_are_counted_not_dropped(tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    now = datetime.datetime.now(datetime.UTC)
    labels = {"alertname": "Edge"}
    edges = alert(labels, now, ends_at=now)
    edges.update(startsAt="2024-02-29T23:59:59.999999999+14:00")
    edges.update(endsAt="9999-12-31T23:59:59.999999999-14:00")
    answer = writer.post(notification([edges]), now)
    assert answer["status_code"] == 201, answer

    figures = run(str(tmp_path), "stats", "--json")
    exported = run(str(tmp_path), "export", "--alerts")

    assert figures.exit_code == 0, figures.output
    assert json.loads(figures.stdout)["noisiest"][0]["episodes"] == 1
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["ends_at"] == edges["endsAt"]
    report = run(str(tmp_path), "report", "-o", str(tmp_path / "report.html"))
    assert report.exit_code == 0, report.output
    assert "1 episode" in report.stdout


def test_the_pattern_uses_only_syntax_every_engine_reads_alike():
    # ECMA 262 (the JSON Schema dialect), Python's re and Rust's regex share this subset:
    # no backreferences, no \d (Unicode digits in some engines), no lookaround but the one
    # that says "the text ends here" alike in all of them ($ does not).
    body = timestamps.PATTERN.removesuffix(r"(?![\s\S])")
    assert body != timestamps.PATTERN
    assert "$" not in body
    assert not re.search(r"\(\?[=!<]|\\[0-9dDwWsSb]", body)
