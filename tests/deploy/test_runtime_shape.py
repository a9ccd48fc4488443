"""The deployed shape: Terraform's zip, a requirements.txt-only Python 3.12 venv, the
environment `terraform plan` gives the function plus the platform's (LOG_EXECUTION_ID=true),
served as the buildpack starts it, archiving to fake-gcs-server.

One scenario runs once per module (module fixture `run`); each test checks one promise of it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import payload
from tests.support import deployed
from tests.support.processes import FakeGcs

pytestmark = pytest.mark.deploy

TOKEN = "deployed-shape-token-5d1c"
# The inputs the plan gets: project_id is the only required one; storage_timeout_seconds as a
# user may set it, 2 s rather than the default 8 s, keeps the storage-outage row short.
TFVARS = {"project_id": "alertarchive-deploy-test", "storage_timeout_seconds": 2}
AUTH = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
    "User-Agent": "Alertmanager/0.25.0",
}
LABELS = "logging.googleapis.com/labels"
SEVERITIES = {"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT"}


@dataclasses.dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


@dataclasses.dataclass
class Run:
    """What the scenario sent, what came back, what was stored and what was logged."""

    files: list[str]
    runtime: str
    bucket: str
    environment: dict[str, str]
    answers: dict[str, Answer]
    objects: dict[str, bytes]
    stdout: str
    stderr: str


def _send(url: str, execution_id: str, method: str = "GET", body=None, headers=None) -> Answer:
    # The platform's front end gives each request a Function-Execution-Id header.
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={**(headers or {}), "Function-Execution-Id": execution_id},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, data, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, data, answer_headers = error.code, error.read(), error.headers
    return Answer(status, data, dict(answer_headers), time.monotonic() - started)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    python = deployed.runtime_python()
    if python is None:
        reason = "the deployed-shape test needs Python 3.12 (the python312 runtime)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("deployed")
    source = workdir / "source"
    files = deployed.build_source(source)
    venv = deployed.runtime_venv(python)
    deployed.compile_source(venv, source)
    planned = deployed.planned_function(TFVARS)
    environment = deployed.function_environment(planned, secrets={"WEBHOOK_TOKENS": TOKEN})
    # The bucket the plan names, made on fake-gcs-server; the storage client is pointed there
    # (a test-only variable) and talks to it anonymously.
    bucket = environment["ARCHIVE_URL"].removeprefix("gs://").partition("/")[0]

    gcs = FakeGcs(workdir).start()
    try:
        gcs.create_bucket(bucket)
        environment["STORAGE_EMULATOR_HOST"] = gcs.url
        function = deployed.DeployedFunction(source, venv, planned, environment, workdir)
        function.start()
        try:
            url = function.url
            firing = payload("firing-group-of-3.json")
            answers = {
                "liveness": _send(f"{url}/-/healthy", "exec-liveness"),
                "healthz": _send(f"{url}/healthz", "exec-healthz"),
                "stored": _send(url, "exec-stored", "POST", firing, AUTH),
                "retry": _send(url, "exec-retry", "POST", firing, AUTH),
                "bad token": _send(
                    url, "exec-bad-token", "POST", firing, {**AUTH, "Authorization": "Bearer x"}
                ),
                "invalid": _send(url, "exec-invalid", "POST", b"{not json", AUTH),
                "ready": _send(f"{url}/-/ready", "exec-ready"),
            }
            blobs = gcs.client().list_blobs(bucket)
            objects = {blob.name: blob.download_as_bytes() for blob in blobs}
            gcs.stop()
            answers["storage down"] = _send(
                url, "exec-storage-down", "POST", payload("partial-resolve.json"), AUTH
            )
        finally:
            function.stop()
    finally:
        gcs.stop()
    return Run(
        files,
        planned["build_config"][0]["runtime"],
        bucket,
        function.environment,
        answers,
        objects,
        function.stdout(),
        function.stderr(),
    )


def _request_lines(run: Run) -> dict[str, dict]:
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    return {line[LABELS]["execution_id"]: line for line in lines if "httpRequest" in line}


# ---------------------------------------------------------------------------
# What was deployed and how it was started
# ---------------------------------------------------------------------------


def test_the_source_is_the_zip_terraform_builds():
    files = deployed.zipped_files(deployed.REPO, deployed.zip_excludes())

    assert "main.py" in files
    assert "requirements.txt" in files
    assert not [f for f in files if f.startswith(("tests/", "terraform/", ".venv"))]


def test_the_served_source_holds_the_receiver_and_not_the_cli(run):
    # Every other test here is answered by this source: the function works without browse/.
    assert "alertarchive/receiver/receive.py" in run.files
    assert "alertarchive/schemas/alertmanager-webhook-v4.schema.json" in run.files
    assert not [f for f in run.files if f.startswith("alertarchive/browse/")]
    assert "alertarchive/__main__.py" not in run.files


def test_the_venv_runs_the_planned_runtime(run):
    assert run.runtime == "python" + deployed.RUNTIME_PYTHON.replace(".", "")


def test_the_environment_is_the_plans_plus_the_platforms(run):
    env = run.environment

    assert env["LOG_EXECUTION_ID"] == "true"
    assert env["ARCHIVE_URL"] == f"gs://{run.bucket}"
    assert env["WEBHOOK_TOKENS"] == TOKEN
    assert env["STORAGE_TIMEOUT_SECONDS"] == str(TFVARS["storage_timeout_seconds"])
    assert env["THREADS"].isdigit()
    assert env["FUNCTION_TARGET"] == "receive_alert"
    assert {"K_SERVICE", "K_REVISION", "K_CONFIGURATION", "PORT"} <= set(env)
    assert "VIRTUAL_ENV" not in env


# ---------------------------------------------------------------------------
# The response contract's main rows
# ---------------------------------------------------------------------------


def test_a_valid_notification_is_stored_byte_for_byte(run):
    answer = run.answers["stored"]

    assert answer.status == 201
    assert run.objects[answer.json()["object"]] == payload("firing-group-of-3.json")


def test_a_retry_is_200_duplicate(run):
    answer = run.answers["retry"]

    assert answer.status == 200
    assert answer.json() == {**run.answers["stored"].json(), "duplicate": True}


def test_a_wrong_token_is_401(run):
    assert run.answers["bad token"].status == 401
    assert "WWW-Authenticate" in run.answers["bad token"].headers


def test_an_invalid_body_is_quarantined_then_refused(run):
    assert run.answers["invalid"].status == 400
    assert b"{not json" in [
        body for name, body in run.objects.items() if name.startswith("quarantine/")
    ]


def test_storage_down_is_503_within_the_configured_bound(run):
    answer = run.answers["storage down"]

    assert answer.status == 503
    assert answer.seconds < TFVARS["storage_timeout_seconds"] + 1.5


def test_the_probe_paths_answer_and_healthz_says_where_they_are(run):
    assert run.answers["liveness"].status == 200
    assert run.answers["ready"].status == 200
    assert run.answers["ready"].json() == {"status": "ready"}
    assert "health/ready.json" in run.objects
    assert run.answers["healthz"].status == 404
    assert b"/-/healthy" in run.answers["healthz"].body


# ---------------------------------------------------------------------------
# The logs, as Cloud Logging reads stdout
# ---------------------------------------------------------------------------


def test_every_stdout_line_is_one_json_object_cloud_logging_parses(run):
    lines = run.stdout.splitlines()

    assert lines
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert entry.get("severity", "DEFAULT") in SEVERITIES, line
        assert isinstance(entry.get("message", ""), str), line
        labels = entry.get(LABELS, {})
        assert all(isinstance(v, str) for v in labels.values()), line
        if "httpRequest" in entry:
            assert isinstance(entry["httpRequest"]["status"], int), line
            assert entry["httpRequest"]["latency"].endswith("s"), line


def test_each_request_logs_one_line_with_its_execution_id_and_severity(run):
    lines = _request_lines(run)

    # The start-up wait's probes carry no header; functions-framework makes up their ids.
    sent = {execution_id for execution_id in lines if execution_id.startswith("exec-")}
    assert sent == {f"exec-{name.replace(' ', '-')}" for name in run.answers}
    assert lines["exec-stored"]["severity"] == "INFO"
    assert lines["exec-stored"]["outcome"] == "stored"
    assert lines["exec-retry"]["outcome"] == "duplicate"
    assert lines["exec-bad-token"]["severity"] == "WARNING"
    assert lines["exec-invalid"]["outcome"] == "quarantined"
    assert lines["exec-storage-down"]["severity"] == "ERROR"
    assert lines["exec-storage-down"]["outcome"] == "unavailable"
    assert lines["exec-liveness"]["severity"] == "DEBUG"


def test_no_traceback_and_no_token_anywhere_in_the_output(run):
    for stream in (run.stdout, run.stderr):
        assert "Traceback" not in stream
        assert TOKEN not in stream
    assert not [line for line in run.stderr.splitlines() if line.strip()], run.stderr
