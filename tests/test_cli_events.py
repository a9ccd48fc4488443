"""`alertarchive events`: the recorder's kept events in a window, from metadata only."""

from __future__ import annotations

import datetime

from alertarchive.archive.storage import open_archive
from alertarchive.browse import recorded, timewindow
from tests.support.archives import CountingArchive
from tests.support.cli import ndjson, run
from tests.test_why import _replay_capture

WINDOW = ("--since", "2026-12-01T19:00Z", "--until", "2026-12-01T23:00Z")


def test_events_lists_each_kept_fact_newest_first(tmp_path):
    _replay_capture(tmp_path / "archive")

    listed = ndjson(run(str(tmp_path / "archive"), "events", "--json", *WINDOW))

    kinds = {record["kind"] for record in listed}
    assert {"alertCreated", "silenceMutedAlert", "inhibitionMutedAlert", "notification"} <= kinds
    times = [record["received_at"] for record in listed]
    assert times == sorted(times, reverse=True)
    # The capture holds several copies of each mute; one object per fact per hour is kept.
    assert sum(record["kind"] == "silenceMutedAlert" for record in listed) == 1


def test_events_filters_by_kind_and_alertname(tmp_path):
    _replay_capture(tmp_path / "archive")
    archive = str(tmp_path / "archive")

    mutes = ndjson(run(archive, "events", "--json", "--kind", "inhibitionMutedAlert", *WINDOW))
    about = ndjson(run(archive, "events", "--json", "--alertname", "CPUThrottlingHigh", *WINDOW))

    assert [record["alertnames"] for record in mutes] == [["KubeJobFailed"]]
    assert {tuple(record["alertnames"]) for record in about} == {("CPUThrottlingHigh",)}
    assert all(len(f) == 16 for record in about for f in record["fingerprints"])


def test_events_reads_no_body(tmp_path):
    _replay_capture(tmp_path / "archive")
    counting = CountingArchive(open_archive(str(tmp_path / "archive")))
    span = timewindow.Window(
        datetime.datetime(2026, 12, 1, 19, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 1, 23, tzinfo=datetime.UTC),
    )

    assert recorded.recorded(counting, span)
    assert counting.reads == []


def test_events_without_any_says_so(tmp_path):
    (tmp_path / "archive").mkdir()

    result = run(str(tmp_path / "archive"), "events", *WINDOW)

    assert result.stdout == ""
    assert "no recorder events between" in result.stderr


def test_a_kind_matching_nothing_says_so_and_lists_the_kinds_present(tmp_path):
    _replay_capture(tmp_path / "archive")

    result = run(str(tmp_path / "archive"), "events", "--kind", "bogus", *WINDOW)

    assert result.stdout == ""
    assert "match the filters (" in result.stderr and "in the window)" in result.stderr
    assert "--kind bogus matches none of the" in result.stderr
    assert "kinds present: " in result.stderr and "silenceMutedAlert" in result.stderr


def test_an_alertname_in_another_case_gets_a_hint(tmp_path):
    _replay_capture(tmp_path / "archive")

    result = run(str(tmp_path / "archive"), "events", "--alertname", "cputhrottlinghigh", *WINDOW)

    assert "differs only in case from CPUThrottlingHigh" in result.stderr


def test_events_and_why_filter_by_source(tmp_path):
    _replay_capture(tmp_path / "archive")
    archive = str(tmp_path / "archive")

    kept = ndjson(run(archive, "events", "--json", "--source", "default", *WINDOW))
    other = run(archive, "events", "--source", "elsewhere", "--source", "csv", *WINDOW)
    why_other = run(archive, "why", "CPUThrottlingHigh", "--source", "elsewhere", *WINDOW)
    why_kept = run(archive, "why", "CPUThrottlingHigh", "--source", "default", *WINDOW)

    assert kept and {record["source"] for record in kept} == {"default"}
    assert other.stdout == "" and "--source elsewhere, csv matches none" in other.stderr
    assert "silence fe0a605f" in why_kept.output
    assert "silence fe0a605f" not in why_other.output
