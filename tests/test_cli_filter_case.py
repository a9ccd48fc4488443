"""A filter value that matches nothing only because of its case says so (filters stay exact)."""

import pytest

from tests.support.archives import build_scenario
from tests.support.cli import ndjson, run


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


@pytest.mark.parametrize(
    ("args", "typed", "stored"),
    [
        (["--alertname", "highlatency"], "--alertname highlatency", "HighLatency"),
        (["--alertname", "DISKFULL"], "--alertname DISKFULL", "DiskFull"),
        (["--receiver", "TEAM.DB"], "--receiver TEAM.DB", "team\\.db"),
        (["--source", "EU"], "--source EU", "eu"),
    ],
)
def test_a_value_in_the_wrong_case_matches_nothing_and_names_the_stored_one(
    scenario, args, typed, stored
):
    result = run(scenario.url, "list", *args, "--json")

    assert result.exit_code == 0
    assert ndjson(result) == []  # still case-sensitive
    hints = [line for line in result.stderr.splitlines() if "case" in line]
    assert hints == [
        f"alertarchive: {typed} matches nothing in the window (filters are case-sensitive); "
        f"it differs only in case from {stored}"
    ]


def test_the_hint_comes_after_the_empty_table_message(scenario):
    result = run(scenario.url, "list", "--alertname", "watchdog", "--alertname", "flappy")

    lines = result.stderr.splitlines()
    assert lines[0].startswith("no notifications between")
    assert lines[1:] == [
        "alertarchive: --alertname flappy matches nothing in the window (filters are "
        "case-sensitive); it differs only in case from Flappy"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--alertname", "HighLatency"],
        ["--alertname", "NoSuchAlert"],
        ["--receiver", "team.db"],
        ["--alertname", "oldalert"],  # only 3 days ago: not in the 24h window
    ],
)
def test_no_hint_for_an_exact_match_or_a_value_with_no_other_case(scenario, args):
    result = run(scenario.url, "list", *args)

    assert "case" not in result.stderr


def test_stats_and_export_give_the_hint_too(scenario):
    for command in ("stats", "export"):
        result = run(scenario.url, command, "--alertname", "highlatency")
        assert "it differs only in case from HighLatency" in result.stderr, command
        assert result.stderr.count("differs only in case") == 1, command
