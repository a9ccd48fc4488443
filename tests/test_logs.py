"""Log lines stay one JSON object per line whatever sys.stdout is, as Cloud Logging parses them.

Cloud Functions gen2 runs functions-framework with LOG_EXECUTION_ID=true; during each request
sys.stdout is then functions-framework's LoggingHandlerAddExecutionId, a text wrapper whose
`.buffer` is a StringIO and which merges an execution_id label into each JSON line written.
"""

from __future__ import annotations

import contextvars
import io
import json
import sys
import urllib.request

from functions_framework import execution_id

from alertarchive.receiver import logs
from tests.conftest import payload
from tests.support.processes import ServedFunction

LABELS = "logging.googleapis.com/labels"


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_text_only_stdout_gets_one_json_line(monkeypatch):
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)

    logs.emit("WARNING", "rejected 415", status_code=415)

    assert _lines(stdout.getvalue()) == [
        {"severity": "WARNING", "message": "rejected 415", "status_code": 415}
    ]


def test_a_line_through_the_execution_id_wrapper_keeps_its_fields_and_gains_the_label(
    monkeypatch,
):
    real_stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", execution_id.LoggingHandlerAddExecutionId(real_stdout))

    def in_a_request():
        execution_id.execution_context_var.set(execution_id.ExecutionContext("exec-1a2b", None))
        logs.emit("ERROR", "unavailable 503", outcome="unavailable", httpRequest={"status": 503})

    # A copy of the context, so the execution id set here ends with this test.
    contextvars.copy_context().run(in_a_request)

    assert _lines(real_stdout.getvalue()) == [
        {
            "severity": "ERROR",
            "message": "unavailable 503",
            "outcome": "unavailable",
            "httpRequest": {"status": 503},
            LABELS: {"execution_id": "exec-1a2b"},
        }
    ]


def test_non_ascii_text_survives_an_ascii_only_stdout(monkeypatch):
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))

    logs.emit("WARNING", "Content-Type text/crème is not JSON", userAgent="Ünïcode/1.0")
    sys.stdout.flush()

    (line,) = _lines(raw.getvalue().decode("ascii"))
    assert line["message"] == "Content-Type text/crème is not JSON"
    assert line["userAgent"] == "Ünïcode/1.0"


def test_served_with_log_execution_id_requests_succeed_and_log_their_execution_id(tmp_path):
    function = ServedFunction(
        tmp_path,
        {"ARCHIVE_URL": str(tmp_path / "archive"), "LOG_EXECUTION_ID": "true"},
    ).start()
    try:
        request = urllib.request.Request(
            function.url + "/",
            data=payload("firing-group-of-3.json"),
            headers={"Content-Type": "application/json", "Function-Execution-Id": "exec-post-1"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    finally:
        function.stop()

    assert status == 201
    request_lines = [line for line in _lines(function.logs()) if "httpRequest" in line]
    (stored,) = [line for line in request_lines if line[LABELS]["execution_id"] == "exec-post-1"]
    assert stored["severity"] == "INFO"
    assert stored["outcome"] == "stored"
    assert stored["status_code"] == 201
