"""`make run` writes nothing but the function's JSON log lines on stdout."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time
import urllib.request

from tests.support.processes import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_make_run_stdout_is_one_json_object_per_line(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "ARCHIVE_URL": str(tmp_path / "archive"),
           "WEBHOOK_TOKENS": "t0ken-for-make-run-test", "LOG_EXECUTION_ID": "true"}  # fmt: skip
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "make run did not serve within 60 s"
                time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
    stdout, _ = server.communicate(timeout=30)

    lines = stdout.decode().splitlines()
    assert lines, "the health check is logged"
    for line in lines:
        assert isinstance(json.loads(line), dict), line
