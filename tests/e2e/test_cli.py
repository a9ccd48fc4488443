"""`alertarchive list` and `show` find what Alertmanager's notifications left in the archive."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.e2e.stack import alert

pytestmark = pytest.mark.e2e

CLI = pathlib.Path(sys.executable).parent / "alertarchive"


def run_cli(archive_url: str, *args: str, env: dict[str, str]) -> bytes:
    """Run the installed `alertarchive` command; its stdout, exactly."""
    result = subprocess.run(
        [str(CLI), "--archive", archive_url, *args],
        capture_output=True,
        env={**os.environ, **env},
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.mark.parametrize("backend", ["gcs", "local"])
def test_cli_lists_and_shows_the_archived_notification(api_stack, backend):
    scenario = f"cli-{backend}"
    function = getattr(api_stack, backend)
    env = {k: v for k, v in function.archive.function_env().items() if k != "ARCHIVE_URL"}
    labels = {"alertname": "CliFindsMe", "scenario": scenario, "severity": "critical"}
    api_stack.alertmanager.post_alerts([alert(labels)])
    (archived,) = function.wait_for_objects(scenario, 1)

    listing = run_cli(function.archive.url, "list", "--json", env=env)
    shown = run_cli(function.archive.url, "show", archived.name, "--raw", env=env)

    entries = [json.loads(line) for line in listing.decode().splitlines()]
    (entry,) = [entry for entry in entries if entry["name"] == archived.name]
    assert entry["status"] == "firing"
    assert entry["alertnames"] == ["CliFindsMe"]
    assert entry["received_at"] == archived.metadata["received_at"]
    assert shown == archived.body
