"""Hostile archive contents: what a sender (or anyone who can write to the bucket) stored,
and what an operator's terminal and tools receive when the CLI reads it.

Promises: no output of the CLI can drive a terminal (C0/C1 controls, escape sequences, bidi
overrides are shown escaped), whatever came from a body (archived or quarantined), its
metadata or an object name; JSON outputs keep the data exact with those characters as JSON
escapes.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertarchive.archive import safetext
from alertarchive.archive.safetext import printable
from tests.support.archives import ArchiveWriter, alert, notification
from tests.support.cli import ndjson, run, run_in_terminal
from tests.support.local_metadata import overwrite_metadata, sidecar, stored_metadata

# Clear the screen, set the title, write the clipboard (OSC 52), 8-bit CSI, and a bidi
# override and isolate that reorder what follows; NEL is a C1 line break.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eevil\u2066x\u2069\x85\x7f"
# Characters a terminal may act on or a reader may be fooled by; `\n` ends lines on purpose.
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def assert_inert(text: str) -> None:
    found = UNSAFE.findall(text)
    assert not found, f"{len(found)} unsafe characters, e.g. {found[:5]!r}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An archive holding hostile text in every field a reader sees."""
    root = tmp_path_factory.mktemp("hostile-archive")
    writer = ArchiveWriter(str(root))
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    labels = {"alertname": f"Disk{HOSTILE}", "severity": HOSTILE, HOSTILE: "x"}
    body = notification(
        [alert(labels, now, annotations={"summary": HOSTILE})], receiver=f"team{HOSTILE}"
    )
    valid = writer.post(body, now, user_agent=f"Alertmanager/0.25.0{HOSTILE}")
    assert valid["status_code"] == 201, valid
    # Quarantined bodies are not schema-checked: every field can hold anything.
    quarantined_document = {
        "version": "4",
        "status": HOSTILE,
        "receiver": HOSTILE,
        "groupKey": HOSTILE,
        "truncatedAlerts": HOSTILE,
        "alerts": [
            {
                "status": HOSTILE,
                "labels": {"alertname": HOSTILE, HOSTILE: HOSTILE, "n": 5},
                "annotations": {HOSTILE: HOSTILE},
                "startsAt": HOSTILE,
                "endsAt": HOSTILE,
                "fingerprint": HOSTILE,
                "generatorURL": HOSTILE,
            }
        ],
    }
    quarantined_body = json.dumps(quarantined_document, ensure_ascii=False).encode()
    answer = writer.post(quarantined_body, now + datetime.timedelta(seconds=1))
    assert answer["status_code"] == 422, answer
    quarantined_name = next(
        obj.name for obj in writer.archive.objects("quarantine/") if obj.name.endswith(".json")
    )
    return {
        "url": str(root),
        "valid": valid["object"],
        "valid_body": body,
        "labels": labels,
        "quarantined": quarantined_name,
        "quarantined_document": quarantined_document,
    }


COMMANDS = {
    "list": ["list"],
    "list --quarantined": ["list", "--quarantined"],
    "stats": ["stats"],
    "replay --dry-run": ["replay", "--since", "1h", "--to", "http://127.0.0.1:9/", "--dry-run"],
    "list --json": ["list", "--json"],
    "stats --json": ["stats", "--json"],
    "export": ["export"],
    "export --alerts": ["export", "--alerts"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_no_command_output_can_drive_a_terminal(hostile, command):
    result = run(hostile["url"], *COMMANDS[command])

    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    assert_inert(result.stderr)


@pytest.mark.parametrize("which", ["valid", "quarantined"])
@pytest.mark.parametrize("output", [[], ["--json"]], ids=["table", "json"])
def test_show_of_an_archived_or_quarantined_body_cannot_drive_a_terminal(hostile, which, output):
    result = run(hostile["url"], "show", hostile[which], *output)

    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    assert_inert(result.stderr)


def test_hostile_text_is_shown_escaped_not_dropped(hostile):
    shown = run(hostile["url"], "show", hostile["quarantined"]).stdout

    assert "\\x1b[2J" in shown
    assert "\\u202eevil" in shown
    # The alert-level status of a quarantined body is printed, escaped.
    assert shown.count("\\x9b31m") >= 8


def test_json_outputs_keep_hostile_text_exact(hostile):
    shown = json.loads(run(hostile["url"], "show", hostile["quarantined"], "--json").stdout)
    listed = ndjson(run(hostile["url"], "list", "--json"))
    exported = ndjson(run(hostile["url"], "export", "--alerts"))
    figures = json.loads(run(hostile["url"], "stats", "--json").stdout)

    assert shown == hostile["quarantined_document"]
    assert listed[0]["alertnames"] == [hostile["labels"]["alertname"]]
    assert listed[0]["receiver"] == f"team{HOSTILE}"
    assert listed[0]["user_agent"] == f"Alertmanager/0.25.0{HOSTILE}"
    assert exported[0]["labels"] == hostile["labels"]
    assert figures["noisiest"][0]["labels"] == hostile["labels"]


def test_export_to_a_terminal_shows_csv_cells_escaped(hostile):
    shown = run_in_terminal(hostile["url"], "export", "--alerts", "--format", "csv")

    assert_inert(shown)
    assert "\\x1b[2J" in shown


def test_export_to_a_file_or_pipe_keeps_csv_cells_exact(hostile, tmp_path):
    target = tmp_path / "alerts.csv"

    run(hostile["url"], "export", "--alerts", "--format", "csv", "-o", str(target))

    assert HOSTILE in target.read_text(encoding="utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=40))
def test_any_text_is_printed_inert_and_written_to_json_exactly(text):
    assert_inert(printable(text))
    assert text.isprintable() <= (printable(text) == text)
    written = safetext.dumps({text: [text]}, indent=2)
    assert_inert(written.replace("\n", ""))
    assert json.loads(written) == {text: [text]}


# --- objects the receiver did not write -------------------------------------------------------


@pytest.fixture
def two_notifications(tmp_path):
    """A local archive of two notifications, received 2h and 1h ago, and the receiver's names."""
    writer = ArchiveWriter(str(tmp_path / "archive"))
    now = datetime.datetime.now(datetime.UTC)
    names = []
    for hours in (2, 1):
        at = now - datetime.timedelta(hours=hours)
        body = notification([alert({"alertname": f"Mine{hours}"}, at)])
        names.append(writer.post(body, at)["object"])
    return SimpleNamespace(url=str(tmp_path / "archive"), root=tmp_path / "archive", names=names)


def _plant(root, name: str, body: bytes) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return name


def test_objects_alertarchive_did_not_write_are_not_listed_counted_or_replayed(two_notifications):
    partition = two_notifications.names[1].rsplit("/", 1)[0]
    other_sha = hashlib.sha256(b"other bytes").hexdigest()
    planted = [
        _plant(two_notifications.root, f"{partition}/notes.txt", b"remember the milk"),
        _plant(two_notifications.root, f"{partition}/empty.json", b""),
        # Named like the receiver's, but these bytes are not the body that name stands for.
        _plant(two_notifications.root, f"{partition}/firing-Fake-{other_sha}.json", b"{}"),
        _plant(two_notifications.root, f"{partition}/\x1b[2J.json", b"{}"),
    ]

    listed = run(two_notifications.url, "list", "--json")
    figures = run(two_notifications.url, "stats", "--json")
    replayed = run(
        two_notifications.url, "replay", "--since", "3h", "--to", "http://127.0.0.1:9/", "--dry-run"
    )
    exported = run(two_notifications.url, "export")

    assert [record["name"] for record in ndjson(listed)] == two_notifications.names[::-1]
    assert json.loads(figures.stdout)["notifications"] == 2
    assert [line.split()[-1] for line in replayed.stdout.splitlines()] == two_notifications.names
    assert len(ndjson(exported)) == 2
    for result in (listed, figures, replayed, exported):
        assert result.exit_code == 0, result.output
        assert "4 objects not written by alertarchive ignored" in result.stderr
        assert_inert(result.stderr)
    assert "3 named unlike the objects alertarchive writes, e.g. " in listed.stderr
    assert "1 with a body that does not match the sha256 in its name, e.g. " in listed.stderr
    shown = run(two_notifications.url, "show", planted[0])
    assert shown.exit_code == 1
    assert "is not an object alertarchive wrote (named unlike" in shown.stderr


def test_an_object_whose_metadata_names_another_body_is_ignored(two_notifications):
    name = two_notifications.names[0]
    body = two_notifications.root / name
    metadata = stored_metadata(body)
    overwrite_metadata(body, json.dumps({**metadata, "body_sha256": "0" * 64}).encode())

    result = run(two_notifications.url, "list", "--json")

    assert [record["name"] for record in ndjson(result)] == two_notifications.names[1:]
    assert "1 object not written by alertarchive ignored" in result.stderr


def test_gcs_folder_placeholders_and_stray_objects_are_not_notifications(
    fake_gcs, gcs_bucket, isolated_environ, monkeypatch
):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.url)
    url = f"gs://{gcs_bucket}/team-x"
    writer = ArchiveWriter(url)
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    name = writer.post(notification([alert({"alertname": "OnGcs"}, at)]), at)["object"]
    bucket = fake_gcs.client().bucket(gcs_bucket)
    hour = name.split("/source=")[0]
    # What the console's "Create folder" and a careless upload leave behind.
    bucket.blob(f"team-x/{hour}/").upload_from_string(b"")
    bucket.blob(f"team-x/{hour}/source=default/notes.txt").upload_from_string(b"hello")

    listed = run(url, "list", "--json")
    figures = run(url, "stats", "--json")

    assert [record["name"] for record in ndjson(listed)] == [name]
    assert json.loads(figures.stdout)["notifications"] == 1
    assert "2 objects not written by alertarchive ignored" in listed.stderr


# --- one bad object does not hide the others ----------------------------------------------------


@pytest.mark.parametrize(
    "sidecar",
    [b"[]", b'"valid JSON"', b"null", b"42", b'{"received_at": 5, "alertnames": [1]}', b"\xff"],
    ids=["list", "string", "null", "number", "wrong types", "not UTF-8"],
)
def test_a_bad_sidecar_hides_nothing_and_kills_no_command(two_notifications, sidecar, tmp_path):
    name = two_notifications.names[0]
    overwrite_metadata(two_notifications.root / name, sidecar)

    listed = run(two_notifications.url, "list", "--json")
    figures = run(two_notifications.url, "stats", "--json")
    report = run(two_notifications.url, "report", "-o", str(tmp_path / "report.html"))

    assert [record["name"] for record in ndjson(listed)] == two_notifications.names[::-1]
    assert ndjson(listed)[1]["alertnames"] == ["Mine2"]  # read from the body instead
    assert json.loads(figures.stdout)["notifications"] == 2
    assert report.exit_code == 0, report.output
    assert "2 notifications" in report.stdout
    if sidecar.startswith((b'"', b"4", b"{")):  # JSON of another shape: said so
        assert "1 object with metadata that is not alertarchive's" in listed.stderr


def test_a_day_folder_symlinked_outside_the_root_skips_that_day_only(two_notifications, tmp_path):
    outside = tmp_path / "outside"
    _plant(outside, "hour=01/source=default/notes.txt", b"not the archive's")
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=2)
    (two_notifications.root / "alerts" / f"dt={day}").symlink_to(outside, target_is_directory=True)

    for since in ("4d", f"{day}T00:30Z"):  # the day as one prefix, and hour by hour
        listed = run(two_notifications.url, "list", "--since", since, "--json")
        figures = run(two_notifications.url, "stats", "--since", since, "--json")

        assert listed.exit_code == 0, listed.output
        assert [record["name"] for record in ndjson(listed)] == two_notifications.names[::-1]
        assert json.loads(figures.stdout)["notifications"] == 2
        assert f"alerts/dt={day}" in listed.stderr
        assert "outside the archive root" in listed.stderr


def test_a_body_that_cannot_be_read_is_reported_and_the_others_are_counted(
    two_notifications, tmp_path
):
    name = two_notifications.names[0]
    body = two_notifications.root / name
    outside = _plant(tmp_path / "outside", "body.json", body.read_bytes())
    metadata = stored_metadata(body)
    body.unlink()
    body.symlink_to(tmp_path / "outside" / outside)  # listed by its metadata, never read
    # Its metadata stays beside it: the xattr went with the unlinked file, so as a sidecar.
    sidecar(body).write_text(json.dumps(metadata))

    figures = run(two_notifications.url, "stats", "--json")
    alerts = run(two_notifications.url, "export", "--alerts")

    for result in (figures, alerts):
        assert result.exit_code == 0, result.output
        assert f"{name} could not be read and is left out" in result.stderr
        assert "outside the archive root" in result.stderr
    assert json.loads(figures.stdout)["notifications"] == 2
    assert [row["alertname"] for row in ndjson(alerts)] == ["Mine1"]


def _cli_within(seconds: float, url: str, *args: str) -> subprocess.CompletedProcess:
    """The CLI as a process, failing the test (not hanging it) if it takes longer."""
    return subprocess.run(
        [sys.executable, "-m", "alertarchive", "--archive", url, "--utc", *args],
        capture_output=True,
        text=True,
        timeout=seconds,
    )


def test_a_fifo_under_a_receiver_name_blocks_no_command(two_notifications):
    partition = two_notifications.names[1].rsplit("/", 1)[0]
    planted = f"{partition}/firing-Planted-{'b' * 64}.json"
    os.mkfifo(two_notifications.root / planted)  # no writer will ever come

    for command in (["list"], ["stats", "--json"], ["export", "--alerts"]):
        result = _cli_within(60, two_notifications.url, *command, "--since", "3h")

        assert result.returncode == 0, result.stderr
        assert planted in result.stderr


def test_a_fifo_or_device_as_a_sidecar_blocks_no_command(two_notifications):
    first, second = (two_notifications.root / name for name in two_notifications.names)
    for body, planted in ((first, None), (second, "/dev/zero")):
        metadata_sidecar = sidecar(body)
        with contextlib.suppress(OSError):
            os.removexattr(body, "user.alertarchive.metadata")
        metadata_sidecar.unlink(missing_ok=True)
        if planted is None:
            os.mkfifo(metadata_sidecar)
        else:
            metadata_sidecar.symlink_to(planted)

    result = _cli_within(60, two_notifications.url, "list", "--json", "--since", "3h")

    assert result.returncode == 0, result.stderr
    # Both are read from their bodies, as any object without usable metadata is.
    assert sorted(json.loads(line)["name"] for line in result.stdout.splitlines()) == sorted(
        two_notifications.names
    )
