"""`alertarchive list` and `show`, and how the command fails: on archives the receiver wrote."""

import datetime
import hashlib
import json
import os
import pathlib
import pty
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from alertarchive.archive.storage import open_archive
from alertarchive.browse import cli as cli_module
from tests.support.archives import (
    ANSI_VALUE,
    HOSTILE_NAME,
    UNICODE_NAME,
    ArchiveWriter,
    Copies,
    CountingArchive,
    alert,
    build_scenario,
    notification,
)
from tests.support.cli import ndjson, run
from tests.support.local_metadata import drop_metadata

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


@pytest.fixture
def counted(monkeypatch):
    """The CLI's archive, wrapped to record listings and body reads."""
    archives = []

    def opened(url, timeout_seconds=8.0):
        archives.append(CountingArchive(open_archive(url, timeout_seconds)))
        return archives[-1]

    monkeypatch.setattr(cli_module, "open_archive", opened)
    return archives


# --- list -------------------------------------------------------------------------------------


def test_list_shows_the_last_24_hours_newest_first_as_an_aligned_table(scenario):
    result = run(scenario.url, "list")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "RECEIVED",
        "(UTC)",
        "STATUS",
        "ALERTNAME",
        "ALERTS",
        "RECEIVER",
        "SOURCE",
        "ID",
    ]
    assert len(lines) == 1 + 13  # everything but the 3-day-old notification and quarantine
    assert "OldAlert" not in result.stdout
    received = [line[:19] for line in lines[1:]]
    assert received == sorted(received, reverse=True)
    column = lines[0].index("RECEIVER")
    assert all(line[column - 2 : column] == "  " for line in lines[1:] if "team" in line)


def test_list_json_is_one_object_per_line_with_the_full_name(scenario):
    records = ndjson(run(scenario.url, "list", "--json"))

    by_name = {record["name"]: record for record in records}
    captured = by_name[scenario.name("captured")]
    assert captured["alertnames"] == ["PayloadMulti"]
    assert captured["alert_count"] == 3
    assert captured["receiver"] == "bearer\\.receiver"
    assert captured["source"] == "eu"
    assert captured["sha256"] == hashlib.sha256(scenario.bodies["captured"]).hexdigest()
    assert captured["user_agent"] == "Alertmanager/0.25.0"


def test_since_reaches_back_further(scenario):
    names = [
        record["name"] for record in ndjson(run(scenario.url, "list", "--since", "7d", "--json"))
    ]
    assert scenario.name("old") in names
    assert len(names) == 14


def test_until_and_iso_times_bound_the_window(scenario):
    start = scenario.now.replace(microsecond=0) - datetime.timedelta(hours=5, minutes=5)
    end = start + datetime.timedelta(hours=3)
    records = ndjson(
        run(
            scenario.url, "list", "--since", start.isoformat(), "--until", end.isoformat(), "--json"
        )
    )
    assert [record["name"] for record in records] == [
        scenario.name("latency_resolved"),
        scenario.name("latency_repeat"),
        scenario.name("latency_firing"),
    ]


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (
            ["--status", "resolved"],
            ["latency_resolved", "flappy_resolved_2", "flappy_resolved_1", "flappy_resolved_0"],
        ),
        (["--alertname", "DiskFull"], ["disk_repeat", "disk_firing"]),
        (["--alertname", UNICODE_NAME], ["hostile"]),
        (["--receiver", "team.db"], ["disk_repeat", "disk_firing"]),
        (["--receiver", "team\\.db"], ["disk_repeat", "disk_firing"]),
        (["--source", "eu"], ["captured"]),
        (
            ["--label", "severity=critical"],
            ["hostile", "latency_resolved", "latency_repeat", "latency_firing"],
        ),
        (["--label", "instance=b", "--label", "dc=eu1"], ["captured"]),
        (["--label", "instance=b", "--label", "dc=us1"], []),
        (["--status", "firing", "--alertname", "HighLatency", "--limit", "1"], ["latency_repeat"]),
    ],
)
def test_filters_keep_only_matching_notifications(scenario, args, keys):
    records = ndjson(run(scenario.url, "list", *args, "--json"))
    assert [record["name"] for record in records] == [scenario.name(key) for key in keys]


def test_metadata_filters_download_no_bodies(scenario, counted):
    result = run(
        scenario.url,
        "list",
        "--status",
        "firing",
        "--alertname",
        "DiskFull",
        "--receiver",
        "team.db",
        "--source",
        "default",
    )

    assert result.exit_code == 0
    assert "DiskFull" in result.stdout
    assert counted[0].reads == []


def test_label_filters_read_only_the_bodies_metadata_could_not_rule_out(scenario, counted):
    result = run(
        scenario.url, "list", "--alertname", "HighLatency", "--label", "instance=api-1", "--json"
    )

    assert len(ndjson(result)) == 3
    assert sorted(counted[0].reads) == sorted(
        scenario.name(key) for key in ("latency_firing", "latency_repeat", "latency_resolved")
    )


def test_only_the_hour_partitions_in_the_window_are_listed(scenario, counted):
    since = scenario.now.replace(minute=20, second=0, microsecond=0) - datetime.timedelta(hours=3)
    until = since + datetime.timedelta(minutes=90)

    run(scenario.url, "list", "--since", since.isoformat(), "--until", until.isoformat())

    assert counted[0].listed == [
        since.strftime("alerts/dt=%Y-%m-%d/hour=%H/"),
        until.strftime("alerts/dt=%Y-%m-%d/hour=%H/"),
    ]
    assert counted[0].folder_listings == []


def test_a_long_window_lists_only_the_days_that_exist(scenario, counted):
    run(scenario.url, "list", "--since", "365d")

    assert counted[0].folder_listings == ["alerts/"]
    days = {prefix.split("/")[1] for prefix in counted[0].listed}
    stored_days = {path.name for path in (pathlib.Path(scenario.url) / "alerts").iterdir()}
    assert days == stored_days
    assert len(counted[0].listed) < 3 * 24


def test_quarantined_bodies_are_listed_with_their_problem(scenario):
    result = run(scenario.url, "list", "--quarantined")

    lines = result.stdout.splitlines()
    assert lines[0].split()[-1] == "PROBLEM"
    assert len(lines) == 3
    assert "body is not JSON: invalid UTF-8 (0xff) at byte 17 (line 1, column 18)" in lines[2]
    assert '$: "receiver" is required (required)' in lines[1]
    records = ndjson(run(scenario.url, "list", "--quarantined", "--json"))
    assert all(record["quarantined"] for record in records)
    assert records[1]["name"].endswith(".bin")


def test_hostile_labels_cannot_drive_the_terminal(scenario):
    result = run(scenario.url, "list", "--alertname", HOSTILE_NAME)
    shown = run(scenario.url, "show", scenario.name("hostile"))

    for output in (result.stdout, shown.stdout):
        assert "\x1b" not in output
    assert HOSTILE_NAME in result.stdout
    assert f"city={UNICODE_NAME}" in shown.stdout
    assert ANSI_VALUE.encode("unicode_escape").decode() in shown.stdout


def test_an_empty_window_says_so_on_stderr_and_succeeds(scenario):
    result = run(scenario.url, "list", "--since", "2020-01-01", "--until", "2020-01-02")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no notifications between 2020-01-01 00:00:00 and 2020-01-02 00:00:00" in result.stderr


def test_a_lost_local_sidecar_is_rebuilt_from_the_body(tmp_path):
    scenario = build_scenario(tmp_path / "archive")
    name = scenario.name("disk_firing")
    drop_metadata(tmp_path / "archive" / name)

    records = {r["name"]: r for r in ndjson(run(scenario.url, "list", "--json"))}

    assert records[name]["alertnames"] == ["DiskFull"]
    assert records[name]["receiver"] == "team\\.db"
    assert records[name]["status"] == "firing"
    assert records[name]["sha256"] == hashlib.sha256(scenario.bodies["disk_firing"]).hexdigest()
    assert records[name]["received_at"].startswith(name.split("dt=")[1][:10])


# --- show ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["full name", "sha256 prefix", "name suffix"])
def test_show_finds_a_notification_by_name_id_or_suffix(scenario, how):
    name = scenario.name("captured")
    sha = hashlib.sha256(scenario.bodies["captured"]).hexdigest()
    wanted = {"full name": name, "sha256 prefix": sha[:12], "name suffix": name[-30:]}[how]

    result = run(scenario.url, "show", wanted)

    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["object", name]
    assert "3 alerts" in result.stdout
    assert "instance=b" in result.stdout
    assert "@summary: api a slow" in result.stdout


@pytest.mark.parametrize("key", ["captured", "hostile", "not_json", "invalid", "latency_repeat"])
def test_show_raw_writes_exactly_the_bytes_received(scenario, key):
    sha = hashlib.sha256(scenario.bodies[key]).hexdigest()

    result = run(scenario.url, "show", sha, "--raw")

    assert result.exit_code == 0
    assert result.stdout_bytes == scenario.bodies[key]


def test_show_json_pretty_prints_the_body(scenario):
    result = run(scenario.url, "show", scenario.name("hostile"), "--json")
    assert json.loads(result.stdout)["alerts"][0]["labels"]["alertname"] == HOSTILE_NAME
    assert result.stdout.startswith("{\n  ")


def test_show_of_a_non_json_body_points_to_raw(scenario):
    sha = hashlib.sha256(scenario.bodies["not_json"]).hexdigest()
    result = run(scenario.url, "show", sha)
    assert result.exit_code == 0
    assert "the body is not a JSON object; `show --raw` prints its exact bytes" in result.stdout
    assert (
        "problem    body is not JSON: invalid UTF-8 (0xff) at byte 17 (line 1, column 18)"
        in result.stdout
    )


def test_show_and_replay_count_one_alert_and_one_byte_in_the_singular(tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    single = notification([alert({"alertname": "Single"}, writer.now)])
    one_byte = b"x"
    writer.post(single, writer.now)
    writer.post(one_byte, writer.now)
    one_byte_sha = hashlib.sha256(one_byte).hexdigest()

    shown = run(str(tmp_path), "show", hashlib.sha256(single).hexdigest()[:12])
    tiny = run(str(tmp_path), "show", one_byte_sha)
    dry_run = run(str(tmp_path), "replay", one_byte_sha, "--to", "http://127.0.0.1:9/", "--dry-run")

    assert "\n1 alert\n" in shown.stdout
    assert f"body       1 byte, sha256 {one_byte_sha}\n" in tiny.stdout
    assert dry_run.stdout.startswith("would POST 1 byte  quarantine/")
    assert dry_run.stderr == "dry run: 1 notification, nothing sent\n"


# --- one body received more than once -----------------------------------------------------


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    return Copies(tmp_path_factory.mktemp("copies"), datetime.datetime.now(datetime.UTC))


def candidate(copies, key):
    """The line an ambiguity error shows for one copy."""
    source = key.split("/")[1]
    return f"  {copies.times[key]:%Y-%m-%d %H:%M:%S} UTC  {source}  {copies.names[key]}"


def test_an_id_of_one_body_under_two_sources_says_which_source_to_add(copies):
    wanted = copies.id("two_sources")

    result = run(copies.url, "show", wanted)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"alertarchive: error: '{wanted}' matches 2 objects, one body stored under 2 sources: "
        "add --source eu-west or --source default",
        candidate(copies, "two_sources/eu-west/1h"),
        candidate(copies, "two_sources/default/2h"),
    ]


@pytest.mark.parametrize("source", ["eu-west", "default"])
def test_show_source_picks_the_copy_stored_under_that_source(copies, source):
    hours = {"eu-west": 1, "default": 2}[source]

    result = run(copies.url, "show", copies.id("two_sources"), "--source", source)

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["object", copies.names[f"two_sources/{source}/{hours}h"]]
    assert lines[4].split() == ["source", source]


def test_an_id_received_twice_under_one_source_lists_the_full_names_to_give(copies):
    wanted = copies.id("repeated")

    everywhere = run(copies.url, "show", wanted)
    under_default = run(copies.url, "show", wanted, "--source", "default")

    assert everywhere.stderr.splitlines() == [
        f"alertarchive: error: '{wanted}' matches 3 objects, one body received 3 times: "
        "add --source eu-west, or give the full name of the one you want",
        candidate(copies, "repeated/eu-west/1h"),
        candidate(copies, "repeated/default/4h"),
        candidate(copies, "repeated/default/5h"),
    ]
    assert under_default.exit_code == 1
    assert under_default.stderr.splitlines() == [
        f"alertarchive: error: '{wanted}' matches 2 objects, one body received 2 times: "
        "give the full name of the one you want",
        candidate(copies, "repeated/default/4h"),
        candidate(copies, "repeated/default/5h"),
    ]


def test_a_full_name_from_the_candidates_shows_that_copy(copies):
    listed = run(copies.url, "show", copies.id("repeated")).stderr.splitlines()
    oldest = listed[-1].split()[-1]

    result = run(copies.url, "show", oldest)

    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["object", copies.names["repeated/default/5h"]]


@pytest.mark.parametrize("output", ["--raw", "--json"])
def test_show_raw_and_json_need_no_choice_between_copies_of_one_body(copies, output):
    result = run(copies.url, "show", copies.id("repeated"), output)

    assert result.exit_code == 0, result.stderr
    if output == "--raw":
        assert result.stdout_bytes == copies.bodies["repeated"]
    else:
        assert json.loads(result.stdout) == json.loads(copies.bodies["repeated"])


def test_a_source_that_lacks_the_id_names_the_sources_that_have_it(copies):
    wanted = copies.id("two_sources")

    result = run(copies.url, "show", wanted, "--source", "nowhere")

    assert result.exit_code == 1
    assert result.stderr == (
        f"alertarchive: error: no object matches '{wanted}' with --source nowhere; "
        "try --source default or --source eu-west\n"
    )


def test_a_name_matching_different_bodies_asks_for_more_and_shows_ten_of_them(scenario):
    result = run(scenario.url, "show", ".json")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "alertarchive: error: '.json' matches 15 objects: give more of the name or ID"
    )
    assert len(lines) == 1 + 10 + 1
    assert all(line.split()[-1].endswith(".json") for line in lines[1:11])
    assert lines[-1] == "  … and 5 more"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "0123456789abcdef"], "alertarchive: error: no object matches '0123456789abcdef'"),
        (
            ["show", "alerts/dt=2026-01-01/hour=00/source=default/x.json"],
            "alertarchive: error: no object 'alerts/dt=2026-01-01/hour=00/source=default/x.json'",
        ),
        (
            ["list", "--since", "1h", "--until", "2h"],
            "alertarchive: error: --until 2h is before --since 1h\n",
        ),
    ],
)
def test_errors_are_one_line_and_exit_1(scenario, args, message):
    result = run(scenario.url, *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["list", "--since", "yesterday"],
            "Error: Invalid value for '--since': 'yesterday' is not a time: use a duration ago "
            "(90m, 24h, 7d, 2w) or an ISO date/date-time",
        ),
        (
            ["stats", "--until", "soon"],
            "Error: Invalid value for '--until': 'soon' is not a time",
        ),
        (
            ["list", "--label", "severity"],
            "Error: Invalid value for '--label': 'severity' is not key=value "
            "(e.g. --label severity=critical)",
        ),
        (
            ["export", "--label", "=critical"],
            "Error: Invalid value for '--label': '=critical' is not key=value",
        ),
    ],
)
def test_values_that_do_not_parse_are_usage_errors_naming_the_option(scenario, args, message):
    result = run(scenario.url, *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Usage: cli {args[0]} [OPTIONS]")  # prog name in-process
    assert message in result.stderr


def test_a_bug_in_a_command_is_a_traceback_not_an_error_line(scenario, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a programming mistake")

    monkeypatch.setattr(cli_module.Catalog, "entries", broken)

    with pytest.raises(ValueError, match="a programming mistake"):
        run(scenario.url, "list")


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["list", "--quarantined"],
        ["stats"],
        ["report", "-o", os.devnull],
        ["export"],
        ["replay", "--to", "http://127.0.0.1:9/"],
    ],
)
def test_a_since_in_the_future_is_refused_with_the_time_it_is_now(scenario, command):
    tomorrow = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).date()

    result = run(scenario.url, *command, "--since", tomorrow.isoformat())

    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.fullmatch(
        rf"alertarchive: error: --since {tomorrow} is in the future "
        r"\(now is \d{4}-\d\d-\d\dT\d\d:\d\dZ\); nothing can have been received yet\n",
        result.stderr,
    )


def test_a_missing_archive_directory_is_one_clear_line(tmp_path):
    result = run(str(tmp_path / "nowhere"), "list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"alertarchive: error: no archive at {tmp_path / 'nowhere'} (set --archive or ARCHIVE_URL "
        "to gs://BUCKET[/PREFIX] or the receiver's archive directory)\n"
    )


@pytest.mark.parametrize("url", ["s3://alerts", "gcs://alerts", "gs:/alerts"])
def test_an_archive_url_of_another_scheme_says_which_forms_work(url):
    result = run(url, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"alertarchive: error: --archive {url}: ")
    assert result.stderr.endswith("; use gs://BUCKET[/PREFIX], file:///path or a directory path\n")


def test_usage_errors_exit_2_as_click_does(scenario):
    result = run(scenario.url, "list", "--status", "exploded")
    assert result.exit_code == 2
    assert "Invalid value for '--status'" in result.stderr


def test_the_archive_comes_from_ARCHIVE_URL_when_not_given(scenario):
    result = CliRunner().invoke(
        cli_module.cli, ["list", "--json"], env={"ARCHIVE_URL": scenario.url}
    )
    assert result.exit_code == 0
    assert len(ndjson(result)) == 13


# --- the installed command -------------------------------------------------------------------


def _command(*args, env=None, stdout=subprocess.PIPE):
    return subprocess.run(
        [sys.executable, "-m", "alertarchive", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=60,
    )


def test_python_m_alertarchive_is_the_same_command_with_examples_in_help():
    result = _command("--help")
    assert result.returncode == 0
    assert b"Usage: alertarchive [OPTIONS] COMMAND" in result.stdout
    assert b"alertarchive report --since 7d -o report.html" in result.stdout
    assert _command("--version").stdout == b"alertarchive, version 0.1.0\n"


def test_the_cli_imports_neither_the_receive_path_nor_the_gcs_client_for_local_archives():
    probe = "import sys; from alertarchive import cli; cli.main(['--archive', sys.argv[1], 'list'])"
    script = (
        "import atexit, sys\n"
        "def check():\n"
        "    loaded = [m for m in ('alertarchive.receiver', 'alertarchive.receiver.receive',\n"
        "              'alertarchive.receiver.schema', 'jsonschema', 'jsonschema_rs',\n"
        "              'google.cloud.storage') if m in sys.modules]\n"
        "    print('LOADED', loaded, file=sys.stderr)\n"
        "atexit.register(check)\n" + probe
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO / "tests" / "data")],
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert b"LOADED []" in result.stderr


def test_colours_only_on_a_terminal_and_never_with_NO_COLOR(scenario):
    def through_pty(env):
        main, child = pty.openpty()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "alertarchive",
                "--archive",
                scenario.url,
                "list",
                "--status",
                "firing",
                "--limit",
                "1",
            ],
            cwd=REPO,
            stdout=child,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        os.close(child)
        output = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=30)
        os.close(main)
        return output

    assert b"\x1b[31m" in through_pty({})
    assert b"\x1b[" not in through_pty({"NO_COLOR": "1"})
    assert b"\x1b[" not in _command("--archive", scenario.url, "list").stdout


@pytest.mark.parametrize(
    ("window", "option"),
    [
        (["--since", "800000d"], "--since"),
        (["--since", "1d", "--until", "9999-12-31T23:59:59-14:00"], "--until"),
        (["--since", "0001-01-01T00:00:00+01:00"], "--since"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
@pytest.mark.parametrize("command", ["list", "stats", "export"])
def test_a_time_beyond_the_calendar_is_a_usage_error_not_a_traceback(
    scenario, command, window, option
):
    result = run(scenario.url, command, *window)

    assert result.exit_code == 2
    assert f"Error: Invalid value for '{option}': " in result.stderr
    assert "between the years 1 and 9999" in result.stderr


def test_a_window_to_the_last_second_of_the_calendar_lists_what_there_is(scenario):
    result = run(scenario.url, "list", "--since", "1d", "--until", "9999-12-31T23:59:59Z")

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 + 13


def test_show_prints_a_body_holding_an_integer_beyond_int_digits_exactly(tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    body = notification([alert({"alertname": "Huge"}, writer.now)])
    huge = "9" * 5_000
    text = body.decode().rstrip("\n")
    body = (text[:-1] + f',"truncatedAlerts":{huge},"big":-{huge}}}\n').encode()
    answer = writer.post(body, writer.now)
    assert answer["status_code"] == 201, answer

    shown = run(str(tmp_path), "show", answer["object"], "--json")
    table = run(str(tmp_path), "show", answer["object"])

    assert shown.exit_code == 0, shown.output
    assert f'"truncatedAlerts": {huge},' in shown.stdout
    assert f'"big": -{huge}' in shown.stdout
    assert table.exit_code == 0, table.output
    assert "not a JSON object" not in table.output
    assert "Huge" in table.stdout


def test_show_json_writes_every_number_exactly_as_received(tmp_path):
    writer = ArchiveWriter(str(tmp_path))
    body = notification([alert({"alertname": "Huge"}, writer.now)])
    huge, wide, precise = "1" + "0" * 400, str(2**70 + 1), "0.10000000000000000000000001"
    text = body.decode().rstrip("\n")
    body = (text[:-1] + f',"truncatedAlerts":{huge},"wide":{wide},"precise":{precise}}}\n').encode()
    answer = writer.post(body, writer.now)
    assert answer["status_code"] == 201, answer

    shown = run(str(tmp_path), "show", answer["object"], "--json")
    table = run(str(tmp_path), "show", answer["object"])

    assert shown.exit_code == 0, shown.output
    for number in (huge, wide, precise):
        assert f": {number}" in shown.stdout
    assert json.loads(shown.stdout) == json.loads(body)
    assert f"({huge} more truncated by the sender)" in table.stdout
