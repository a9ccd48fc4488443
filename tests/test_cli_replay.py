"""`alertarchive replay`: archived notifications re-POSTed byte for byte to a served receiver."""

import datetime
import hashlib
import json

import pytest

from alertarchive.storage import open_archive
from tests.support.archives import Copies, build_scenario
from tests.support.cli import run
from tests.support.processes import ServedFunction, free_port

TOKEN = "replay-token-123"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="module")
def second_receiver(tmp_path_factory):
    """main.py:receive_alert served by functions-framework, archiving to its own directory."""
    workdir = tmp_path_factory.mktemp("second")
    served = ServedFunction(
        workdir, {"ARCHIVE_URL": str(workdir / "archive"), "WEBHOOK_TOKENS": TOKEN}
    ).start()
    served.archive_url = str(workdir / "archive")
    yield served
    served.stop()


def stored_sha256s(archive_url):
    archive = open_archive(archive_url)
    return {obj.metadata["body_sha256"]: obj for obj in archive.list("")}


def test_replayed_notifications_are_stored_byte_identical(scenario, second_receiver):
    keys = ["captured", "hostile", "disk_firing"]
    names = [scenario.name(key) for key in keys]

    result = run(
        scenario.url, "replay", *names, "--to", second_receiver.url + "/", "--token", TOKEN
    )

    assert result.exit_code == 0, result.output
    assert sorted(line.split()[0] for line in result.stdout.splitlines()) == ["201"] * 3
    stored = stored_sha256s(second_receiver.archive_url)
    archive = open_archive(second_receiver.archive_url)
    for key in keys:
        sha = hashlib.sha256(scenario.bodies[key]).hexdigest()
        assert sha in stored
        assert archive.read(stored[sha].name) == scenario.bodies[key]
        assert stored[sha].metadata["user_agent"] == "Alertmanager/0.25.0"


def test_replay_selects_by_window_and_filters_oldest_first(scenario, second_receiver):
    result = run(
        scenario.url,
        "replay",
        "--since",
        "24h",
        "--status",
        "resolved",
        "--to",
        second_receiver.url + "/",
        env={"REPLAY_TOKEN": TOKEN},
    )

    assert result.exit_code == 0, result.output
    replayed = [line.split()[1] for line in result.stdout.splitlines()]
    assert replayed == [scenario.name(f"flappy_resolved_{i}") for i in range(3)] + [
        scenario.name("latency_resolved")
    ]
    assert all(
        line.startswith("201 ") or line.startswith("200 ") for line in result.stdout.splitlines()
    )


def test_a_refused_replay_reports_the_status_and_exits_1(scenario, second_receiver):
    result = run(
        scenario.url,
        "replay",
        scenario.name("old"),
        "--to",
        second_receiver.url + "/",
        "--token",
        "wrong",
    )

    assert result.exit_code == 1
    assert result.stdout.startswith(f"401  {scenario.name('old')}  missing or wrong token")
    assert result.stderr == "alertarchive: error: 1 of 1 notification was not accepted\n"


def test_dry_run_sends_nothing(scenario, second_receiver):
    before = stored_sha256s(second_receiver.archive_url)

    result = run(
        scenario.url, "replay", scenario.name("old"), "--to", second_receiver.url + "/", "--dry-run"
    )

    assert result.exit_code == 0
    assert result.stdout == (
        f"would POST {len(scenario.bodies['old'])} bytes  {scenario.name('old')}\n"
    )
    assert stored_sha256s(second_receiver.archive_url).keys() == before.keys()


def test_replay_source_picks_the_copy_of_a_body_received_under_several(tmp_path):
    copies = Copies(tmp_path, datetime.datetime.now(datetime.UTC))
    wanted = copies.id("two_sources")

    ambiguous = run(copies.url, "replay", wanted, "--to", "http://127.0.0.1:9/", "--dry-run")
    chosen = run(
        copies.url,
        "replay",
        wanted,
        "--source",
        "eu-west",
        "--to",
        "http://127.0.0.1:9/",
        "--dry-run",
    )

    assert ambiguous.exit_code == 1
    assert ambiguous.stderr.splitlines()[0] == (
        f"alertarchive: error: '{wanted}' matches 2 objects, one body stored under 2 sources: "
        "add --source eu-west or --source default"
    )
    assert chosen.exit_code == 0
    assert chosen.stdout == (
        f"would POST {len(copies.bodies['two_sources'])} bytes  "
        f"{copies.names['two_sources/eu-west/1h']}\n"
    )


def test_an_unreachable_target_is_reported_and_exits_1(scenario):
    result = run(
        scenario.url, "replay", scenario.name("old"), "--to", f"http://127.0.0.1:{free_port()}/"
    )
    assert result.exit_code == 1
    assert "---  " in result.stdout and "not delivered" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--to", "http://127.0.0.1:9/"], 2, "give object NAMEs or --since"),
        (["--since", "1h", "--to", "ftp://example/"], 1, "is not an http:// or https:// URL"),
    ],
)
def test_replay_needs_a_selection_and_an_http_target(scenario, args, code, message):
    result = run(scenario.url, "replay", *args)
    assert result.exit_code == code
    assert message in result.stderr


def test_replay_json_bodies_arrive_parsable(scenario, second_receiver):
    sha = hashlib.sha256(scenario.bodies["latency_repeat"]).hexdigest()
    run(scenario.url, "replay", sha[:10], "--to", second_receiver.url + "/", "--token", TOKEN)
    stored = stored_sha256s(second_receiver.archive_url)[sha]
    body = open_archive(second_receiver.archive_url).read(stored.name)
    assert json.loads(body)["alerts"][0]["labels"]["alertname"] == "HighLatency"
