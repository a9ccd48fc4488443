"""docs/report.png: the report of tests/support/incident.py's night, at 1280 px, in Chromium.

.venv/bin/python -m tests.support.report_screenshot [docs/report.png]
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

from click.testing import CliRunner

from alertarchive.browse import cli as cli_module
from tests.support.incident import Incident

REPO = pathlib.Path(__file__).resolve().parents[2]
# How the report's browser checks and this screenshot start chromium: headless, no network
# chatter (each run also gives it a fresh profile).
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def incident_report(root: pathlib.Path) -> pathlib.Path:
    """The incident night archived under root, and its report written beside it."""
    incident = Incident(root / "archive")
    page = root / "report.html"
    result = CliRunner().invoke(
        cli_module.cli,
        [
            "--archive", incident.url, "--utc", "report",
            "--since", "2026-11-27T00:00Z", "--until", "2026-11-27T12:00Z",
            "-o", str(page), "--title", "Incident review: checkout latency, 2026-11-27",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    return page


def main(target: pathlib.Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = pathlib.Path(scratch)
        page = incident_report(root)
        subprocess.run(
            [
                "/usr/bin/chromium", *BROWSER_FLAGS, "--hide-scrollbars",
                f"--user-data-dir={root / 'profile'}", "--window-size=1280,1100",
                f"--screenshot={target.resolve()}", page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "report.png")
