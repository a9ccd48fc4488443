"""The Alertmanager releases the end-to-end tests run: every one Debian ships.

bookworm's 0.25 is the system package (/usr/bin); trixie's 0.28 and sid's 0.33 are unpacked
from their .debs into .cache/alertmanager/<version>/ by scripts/install-newer-alertmanagers.sh,
never installed, so the machine's own packages stay bookworm's.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

from tests.support.processes import REPO

CACHE = REPO / ".cache" / "alertmanager"
INSTALL_SCRIPT = REPO / "scripts" / "install-newer-alertmanagers.sh"


@dataclasses.dataclass(frozen=True)
class Release:
    """One Alertmanager build: what it calls itself and where its binary is."""

    version: str  # as in its User-Agent, Alertmanager/<version>
    suite: str  # the Debian suite it comes from
    binary: str

    @property
    def short(self) -> str:
        """Major.minor, the test id: `0.28`."""
        return ".".join(self.version.split(".")[:2])

    def at_least(self, minor: int) -> bool:
        """Whether this is 0.<minor> or newer."""
        return int(self.version.split(".")[1]) >= minor

    def installed(self) -> bool:
        return os.access(self.binary, os.X_OK)


OLDEST = Release("0.25.0", "bookworm", "/usr/bin/prometheus-alertmanager")
RELEASES = (
    OLDEST,
    # Debian's build of 0.28.1 names itself 0.28.1+ds (repacked source) in --version and
    # in its webhook User-Agent.
    Release(
        "0.28.1+ds", "trixie", str(CACHE / "0.28.1" / "usr" / "bin" / "prometheus-alertmanager")
    ),
    Release("0.33.1", "sid", str(CACHE / "0.33.1" / "usr" / "bin" / "prometheus-alertmanager")),
)


def install_newer_releases() -> str:
    """Unpack trixie's and sid's builds; the script's output says why if it could not."""
    result = subprocess.run(
        [str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    return (result.stdout + result.stderr).strip()
