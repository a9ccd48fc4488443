"""Hostile archive contents: what a sender (or anyone who can write to the bucket) stored,
and what an operator's terminal and tools receive when the CLI reads it.

Promises: no output of the CLI can drive a terminal (C0/C1 controls, escape sequences, bidi
overrides are shown escaped), whatever came from a body (archived or quarantined), its
metadata or an object name; JSON outputs keep the data exact with those characters as JSON
escapes.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertarchive import cli as cli_module
from alertarchive import safetext
from alertarchive.safetext import printable
from tests.support.archives import ArchiveWriter, alert, notification
from tests.support.cli import ndjson, run

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
        obj.name for obj in writer.archive.list("quarantine/") if obj.name.endswith(".json")
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


def test_export_to_a_terminal_shows_csv_cells_escaped(hostile, monkeypatch):
    monkeypatch.setattr(cli_module, "_stdout_is_a_terminal", lambda: True)

    result = run(hostile["url"], "export", "--alerts", "--format", "csv")

    assert_inert(result.stdout)
    assert "\\x1b[2J" in result.stdout


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
