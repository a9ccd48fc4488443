"""`alertarchive history`: one alert's notifications, what changed, its episodes and why one
never resolved, on a realistic night archived through the real receiver (tests/support/incident)."""

import pathlib

import pytest

from alertarchive.browse import history
from alertarchive.browse.episodes import split_labels
from tests.support.cli import run
from tests.support.incident import (
    CPU,
    CRASHLOOP_SHARED,
    POD_A,
    POD_B,
    Incident,
)

WINDOW = ["--since", "2026-11-27T00:00Z", "--until", "2026-11-27T12:00Z"]


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    return Incident(tmp_path_factory.mktemp("incident"))


def _sent(out):
    """The NOTIFICATIONS section's lines for each notification (not its diff lines)."""
    section = out.split("NOTIFICATIONS\n")[1].splitlines()
    return [line for line in section if line.startswith("  2026-")]


def _history(incident, *args):
    result = run(incident.url, "history", *args, *WINDOW)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_history_lists_each_notification_in_time_order_with_receiver_source_and_reason(incident):
    out = _history(incident, "KubePodCrashLooping", "--label", f"pod={POD_A}")
    lines = out.splitlines()

    assert lines[0].startswith("KubePodCrashLooping{cluster=prod-eu-west-1,")
    assert f"pod={POD_A}" in lines[0]
    assert f"fingerprint {Incident.fingerprint({**CRASHLOOP_SHARED, 'pod': POD_A})}" in lines[0]
    sent = _sent(out)
    assert [line.split()[1:3] for line in sent] == [
        ["10:00:00", "firing"],
        ["10:30:00", "firing"],
        ["11:00:00", "resolved"],
    ]
    assert "to team-a  from default  (first notification)" in sent[0]
    assert "(some alerts resolved)" in sent[2]
    assert "      @summary: Pod is crash looping" in lines  # what it said, first time
    assert "      no change" in lines  # the 10:30 repeat
    assert "      ~ status: firing → resolved" in lines
    assert "      ~ endsAt: (none) → 2026-11-27 10:58:00 UTC" in lines


def test_history_diffs_annotations_and_marks_ha_copies(incident):
    out = _history(incident, "HighLatency")
    lines = out.splitlines()

    assert "      ~ @summary: p99 latency 1.2s on checkout → p99 latency 2.5s on checkout" in lines
    assert "      generatorURL: http://prometheus.example.com:9090/graph?g0.expr=" in out
    # Each notification twice: the default source's copy and eu-b's, the same bytes.
    sent = _sent(out)
    assert [line.split("from ")[1].split()[0] for line in sent] == ["default", "eu-b"] * 3
    assert (
        lines.count("      the same body again (an HA peer, another source or a later hour)") == 3
    )


def test_history_shows_episodes_with_durations(incident):
    out = _history(incident, "HighLatency")
    episodes = out.split("EPISODES\n")[1].split("\n\n")[0].splitlines()

    assert episodes[0].split() == [
        "STARTED",
        "RESOLVED",
        "LASTED",
        "NOTIFICATIONS",
        "WHY",
        "NOT",
        "RESOLVED",
    ]
    assert episodes[1].split() == [
        "2026-11-27",
        "05:58:00",
        "2026-11-27",
        "07:14:00",
        "1h",
        "16m",
        "6",
    ]


def test_flapping_alert_has_one_episode_per_firing(incident):
    out = _history(incident, "NodeDiskPressure")
    episodes = out.split("EPISODES\n")[1].split("\n\n")[0].splitlines()[1:]

    assert [line.split()[4] for line in episodes] == ["20m", "20m", "20m"]


def test_a_receiver_never_sent_a_resolved_notification_points_to_send_resolved(incident):
    out = _history(incident, "BackupMissed")

    row = out.split("EPISODES\n")[1].splitlines()[1]
    assert "no resolved notification" in row
    assert "9h 02m+" in row  # 02:58 to the window's end, at least
    assert "send_resolved is likely off for pager: no resolved notification to it" in row


def test_an_alert_muted_by_a_silence_points_to_the_silence(incident):
    out = _history(incident, "--fingerprint", Incident.fingerprint(CPU))

    row = out.split("EPISODES\n")[1].splitlines()[1]
    assert 'muted: silence fe0a605f {namespace="web"} (oncall@example.com: "web rollout")' in row
    assert "Alertmanager sends no resolved notification for an alert muted" in row


def test_an_alert_still_firing_on_a_resolving_receiver_is_said_to_be_still_firing(incident):
    out = _history(incident, "KubePodCrashLooping", "--label", f"pod={POD_B}")

    assert "no resolved notification by the end of the window: still firing" in out


def test_several_alerts_of_one_name_ask_for_a_label_and_show_what_tells_them_apart(incident):
    result = run(incident.url, "history", "KubePodCrashLooping", *WINDOW)

    assert result.exit_code == 1
    assert "2 alerts match KubePodCrashLooping: add --label or give --fingerprint" in result.stderr
    assert f"pod={POD_A}" in result.stderr and f"pod={POD_B}" in result.stderr
    assert "namespace=" not in result.stderr  # shared by both: it tells nothing apart


def test_history_of_nothing_says_so(incident):
    result = run(incident.url, "history", "NoSuchAlert", *WINDOW)

    assert result.exit_code == 1
    assert "no notification in the window carried NoSuchAlert" in result.stderr


def test_alertname_and_fingerprint_together_are_a_usage_error(incident):
    result = run(incident.url, "history", "HighLatency", "--fingerprint", "0" * 16, *WINDOW)

    assert result.exit_code == 2


def test_split_labels_puts_the_shared_in_a_header_and_keeps_every_difference():
    shared, distinct = split_labels([{"a": "1", "pod": "x", "only": "y"}, {"a": "1", "pod": "z"}])

    assert shared == {"a": "1"}
    assert distinct == ["only", "pod"]


def test_duration_text_reads_at_a_glance():
    import datetime

    assert history.duration_text(datetime.timedelta(seconds=42)) == "42s"
    assert history.duration_text(datetime.timedelta(minutes=20)) == "20m"
    assert history.duration_text(datetime.timedelta(hours=1, minutes=5)) == "1h 05m"
    assert history.duration_text(datetime.timedelta(days=3, hours=4)) == "3d 4h"


def test_a_window_to_the_end_of_the_calendar_lists_only_the_days_that_hold_events(incident):
    import time

    started = time.monotonic()
    result = run(
        incident.url,
        "history",
        "--fingerprint",
        Incident.fingerprint(CPU),
        "--since",
        "2026-11-27T00:00Z",
        "--until",
        "9999-12-30",
    )

    assert result.exit_code == 0, result.output
    assert "muted: silence fe0a605f" in result.stdout
    assert time.monotonic() - started < 10


def test_history_of_hostile_labels_cannot_drive_a_terminal(tmp_path):
    from tests.support.archives import ANSI_VALUE, HOSTILE_NAME, build_scenario

    scenario = build_scenario(tmp_path)

    result = run(scenario.url, "history", HOSTILE_NAME)

    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert f"note={ANSI_VALUE}".replace("\x1b", "\\x1b") in result.stdout


def test_the_readme_history_sample_is_what_history_prints(incident):
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    command = "$ alertarchive --utc history HighLatency " + " ".join(WINDOW) + "\n"
    sample = readme[readme.index(command) + len(command) :].split("```", 1)[0]

    printed = run(incident.url, "history", "HighLatency", *WINDOW).output

    assert printed == sample


def test_history_without_an_alert_says_what_to_give(incident):
    result = run(incident.url, "history", *WINDOW)

    assert result.exit_code == 2
    assert "give ALERTNAME (with --label) or --fingerprint" in result.output
    assert "not both" not in result.output


def test_history_json_says_the_same_as_the_text(incident):
    import json

    result = run(incident.url, "history", "HighLatency", "--json", *WINDOW)

    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["labels"]["alertname"] == "HighLatency"
    (episode,) = record["episodes"]
    assert episode["seconds"] == 76 * 60 and episode["unresolved"] is None
    assert [n["source"] for n in record["notifications"]] == ["default", "eu-b"] * 3
    assert [n["same_body_as_previous"] for n in record["notifications"]] == [False, True] * 3
    summary_change = record["notifications"][2]["changes"]
    assert {"field": "annotation", "key": "summary",
            "before": "p99 latency 1.2s on checkout",
            "after": "p99 latency 2.5s on checkout"} in summary_change  # fmt: skip
