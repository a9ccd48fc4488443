"""The receiver through functions-framework's real Flask app, in process (fast)."""

from __future__ import annotations

import pathlib

from functions_framework import create_app

from tests.support.processes import REPO

MAIN = str(REPO / "main.py")


def client_for(monkeypatch, archive_url: str | pathlib.Path, **env: str):
    """A test client of main.py:receive_alert configured by environment variables."""
    monkeypatch.setenv("ARCHIVE_URL", str(archive_url))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app("receive_alert", MAIN).test_client()
