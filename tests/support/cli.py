"""Running the `alertarchive` command in-process, as the CLI tests do."""

from __future__ import annotations

import json

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
