"""Running the `alertarchive` command in-process, as the CLI tests do."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

from click.testing import CliRunner, Result

from alertarchive.browse import cli as cli_module


def run(archive_url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """`alertarchive --archive URL --utc ARGS...`; exceptions the CLI does not catch propagate."""
    return CliRunner().invoke(
        cli_module.cli,
        ["--archive", archive_url, "--utc", *args],
        env=env,
        catch_exceptions=False,
    )


def ndjson(result: Result) -> list[dict]:
    """The records of a `--json` output."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def run_in_terminal(archive_url: str, *args: str, timeout: float = 60) -> str:
    """`alertarchive --archive URL --utc ARGS...` with stdout on a pseudo-terminal; its output.

    The CLI decides from isatty() whether a person reads it; this is a real terminal to it.
    """
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "alertarchive", "--archive", archive_url, "--utc", *args],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1"},
        )
        os.close(terminal)
        output = bytearray()
        while True:
            ready, _, _ = select.select([controller], [], [], timeout)
            if not ready:
                process.kill()
                raise TimeoutError(f"alertarchive {' '.join(args)} printed nothing for {timeout} s")
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=timeout)
    finally:
        os.close(controller)
    # A terminal turns each \n into \r\n.
    return output.decode().replace("\r\n", "\n")
