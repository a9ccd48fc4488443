"""`alertarchive replay`: archived notifications re-POSTed byte for byte to a served receiver."""

import datetime
import hashlib
import json
import socket
import threading
from types import SimpleNamespace

import pytest

from alertarchive.archive.storage import NotFound, open_archive
from alertarchive.browse import cli as cli_module
from tests.support.archives import (
    ArchiveWriter,
    Copies,
    CountingArchive,
    alert,
    build_scenario,
    notification,
)
from tests.support.cli import run
from tests.support.local_metadata import overwrite_metadata, stored_metadata
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
    return {obj.metadata["body_sha256"]: obj for obj in archive.objects("")}


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
        (
            ["--since", "1h", "--to", "ftp://example/"],
            2,
            "Invalid value for '--to': 'ftp://example/' is not an http:// or https:// URL",
        ),
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


# --- every notification that can be sent is sent; each failure is reported ----------------


@pytest.fixture
def three_notifications(tmp_path):
    """Three notifications an hour apart; the middle one's sender gave a 2 KiB User-Agent."""
    writer = ArchiveWriter(str(tmp_path / "archive"))
    now = datetime.datetime.now(datetime.UTC)
    names = []
    for hours, user_agent in ((3, "Alertmanager/0.25.0"), (2, "Go-http-client/" + "x" * 2048)):
        started = now - datetime.timedelta(hours=hours)
        body = notification([alert({"alertname": f"Replayed{hours}"}, started)])
        names.append(writer.post(body, started, user_agent=user_agent)["object"])
    started = now - datetime.timedelta(hours=1)
    names.append(
        writer.post(notification([alert({"alertname": "Replayed1"}, started)]), started)["object"]
    )
    return SimpleNamespace(url=str(tmp_path / "archive"), root=tmp_path / "archive", names=names)


def test_a_user_agent_cut_at_1_kib_when_archived_is_replayed_without_the_cut_mark(
    three_notifications, second_receiver
):
    cut = open_archive(three_notifications.url).stat(three_notifications.names[1])
    assert cut.metadata["user_agent"].endswith("…")

    result = run(
        three_notifications.url,
        "replay",
        "--since",
        "4h",
        "--to",
        second_receiver.url + "/",
        "--token",
        TOKEN,
    )

    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["201", name] for name in three_notifications.names
    ]
    sent = stored_sha256s(second_receiver.archive_url)[cut.metadata["body_sha256"]]
    assert sent.metadata["user_agent"] == cut.metadata["user_agent"].removesuffix("…")
    assert "User-Agent was cut at 1 KiB" in result.stdout
    assert result.stderr == "replayed 3 notifications, all accepted\n"


def test_replay_sends_every_notification_it_can_and_reports_each_failure_at_the_end(
    three_notifications, second_receiver, monkeypatch
):
    first, middle, last = three_notifications.names

    def opened(url, timeout_seconds=8.0):
        archive = CountingArchive(open_archive(url, timeout_seconds))
        read = archive.read

        def read_unless_deleted(name):
            if name == middle:  # deleted between the listing and the send
                raise NotFound(f"no object {name!r} in {url}")
            return read(name)

        archive.read = read_unless_deleted
        return archive

    monkeypatch.setattr(cli_module, "open_archive", opened)
    body = three_notifications.root / last
    metadata = stored_metadata(body)
    overwrite_metadata(
        body, json.dumps({**metadata, "user_agent": "Evil\r\nX-Injected: 1"}).encode()
    )

    result = run(
        three_notifications.url,
        "replay",
        "--since",
        "4h",
        "--to",
        second_receiver.url + "/",
        "--token",
        TOKEN,
    )

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"201  {first}")
    assert lines[1].startswith(f"---  {middle}  not read: no object")
    assert lines[2].startswith(f"201  {last}  archived User-Agent is not a valid header")
    assert result.stderr == "alertarchive: error: 1 of 3 notifications was not accepted\n"
    stored = stored_sha256s(second_receiver.archive_url)
    assert stored[metadata["body_sha256"]].metadata["user_agent"].startswith("alertarchive-replay/")


def test_a_target_that_does_not_speak_http_is_reported_per_notification(three_notifications):
    with socket.create_server(("127.0.0.1", 0)) as server:
        threading.Thread(target=_answer_garbage, args=(server, 3), daemon=True).start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"

        result = run(three_notifications.url, "replay", "--since", "4h", "--to", url)

    assert result.exit_code == 1
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["---"] * 3
    assert all("not delivered" in line for line in result.stdout.splitlines())
    assert result.stderr == "alertarchive: error: 3 of 3 notifications were not accepted\n"


def test_a_token_that_cannot_be_sent_in_a_header_is_a_usage_error(three_notifications):
    result = run(
        three_notifications.url,
        "replay",
        "--since",
        "4h",
        "--to",
        "http://127.0.0.1:9/",
        "--token",
        "tök€n",
    )

    assert result.exit_code == 2
    assert "--token" in result.stderr
    assert result.stdout == ""


def _answer_garbage(server: socket.socket, count: int) -> None:
    for _ in range(count):
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"garbage\r\n\r\n")


def test_several_names_are_found_in_one_listing_of_the_archive(scenario, monkeypatch):
    archives = []

    def opened(url, timeout_seconds=8.0):
        archives.append(CountingArchive(open_archive(url, timeout_seconds)))
        return archives[-1]

    monkeypatch.setattr(cli_module, "open_archive", opened)
    ids = [hashlib.sha256(scenario.bodies[key]).hexdigest()[:12] for key in ("old", "captured")]

    result = run(scenario.url, "replay", *ids, "--to", "http://127.0.0.1:9/", "--dry-run")

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
    # One listing of each kind's root, not one per NAME.
    assert sorted(archives[0].listed) == ["alerts/", "quarantine/"]
