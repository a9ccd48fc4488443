"""`pip install .` gives a working CLI, and `pip install '.[receiver]'` a working receiver.

Each runs from a fresh venv holding only the built wheel and what it declares
(tests/support/wheel.py), never from this checkout: a schema or template left out of the
wheel, or a dependency left out of pyproject.toml, fails here.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import urllib.request

import pytest

from alertarchive.receiver.receive import LIVENESS_PATH
from tests.conftest import payload
from tests.support import wheel
from tests.support.processes import REPO, Process, free_port, http_answers, wait_until

pytestmark = pytest.mark.slow

TOKEN = "wheel-test-token"
# Only what the receiver needs; a CLI user installs none of it.
RECEIVER_ONLY = ("functions_framework", "gunicorn", "flask", "jsonschema_rs")


@pytest.fixture(scope="module")
def cli_venv() -> pathlib.Path:
    return wheel.installed_venv()


@pytest.fixture(scope="module")
def receiver_venv() -> pathlib.Path:
    return wheel.installed_venv("receiver")


def _clean_env(venv: pathlib.Path, home: pathlib.Path, **extra: str) -> dict[str, str]:
    """Nothing from the developer's shell: no PYTHONPATH, VIRTUAL_ENV, ARCHIVE_URL."""
    return {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), **extra}


def _run(argv: list[str], env: dict[str, str], cwd: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def _serve_main_py(
    venv: pathlib.Path, workdir: pathlib.Path, archive: pathlib.Path
) -> tuple[Process, int]:
    """The repository's main.py alone in a folder, served by the venv's functions-framework.

    The folder holds no alertarchive/, so main.py imports the installed package.
    """
    source = workdir / "source"
    source.mkdir()
    shutil.copyfile(REPO / "main.py", source / "main.py")
    port = free_port()
    env = _clean_env(venv, workdir, ARCHIVE_URL=str(archive), WEBHOOK_TOKENS=TOKEN, PORT=str(port))
    process = Process(
        [str(venv / "bin" / "functions-framework"), "--target", "receive_alert"],
        workdir / "stdout.log",
        env={**env, "HOST": "127.0.0.1"},
        cwd=source,
        stderr_path=workdir / "stderr.log",
    )
    return process.start(), port


def _post(port: int, body: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_the_wheel_holds_the_schemas_and_the_report_template(cli_venv):
    site = next((cli_venv / "lib").glob("python*/site-packages/alertarchive"))

    assert sorted(p.name for p in (site / "schemas").glob("*.json")) == sorted(
        p.name for p in (REPO / "alertarchive" / "schemas").glob("*.json")
    )
    assert (site / "browse" / "templates" / "page.html").is_file()


def test_a_cli_install_brings_none_of_the_receivers_dependencies(cli_venv, tmp_path):
    probe = (
        "import importlib.util, json; "
        f"print(json.dumps([m for m in {RECEIVER_ONLY!r} if importlib.util.find_spec(m)]))"
    )
    result = _run(
        [str(cli_venv / "bin" / "python"), "-c", probe], _clean_env(cli_venv, tmp_path), tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_installed_cli_answers_help(cli_venv, tmp_path):
    result = _run(
        [str(cli_venv / "bin" / "alertarchive"), "--help"], _clean_env(cli_venv, tmp_path), tmp_path
    )

    assert result.returncode == 0, result.stderr
    for command in ("list", "show", "stats", "report", "replay", "export"):
        assert command in result.stdout


def test_the_installed_receiver_stores_what_the_installed_cli_lists(
    cli_venv, receiver_venv, tmp_path
):
    archive = tmp_path / "archive"
    receiver, port = _serve_main_py(receiver_venv, tmp_path, archive)
    try:
        url = f"http://127.0.0.1:{port}{LIVENESS_PATH}"
        wait_until(lambda: http_answers(url) or not receiver.alive(), 30, "installed receiver")
        assert receiver.alive(), receiver.errors()
        status = _post(port, payload("firing-group-of-3.json"))
    finally:
        receiver.stop()
    listed = _run(
        [str(cli_venv / "bin" / "alertarchive"), "--archive", str(archive), "list", "--json"],
        _clean_env(cli_venv, tmp_path),
        tmp_path,
    )

    assert status == 201, receiver.errors()
    assert listed.returncode == 0, listed.stderr
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert "PayloadMulti" in json.dumps(entry)
