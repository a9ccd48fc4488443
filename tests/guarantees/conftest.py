"""Served functions for the guarantee tests, stopped by PID when a test ends."""

from __future__ import annotations

import pathlib

import pytest

from tests.guarantees.helpers import TOKEN
from tests.support.processes import ServedFunction

# Small enough that the storage-fault tests stay quick; the promise is measured against it.
STORAGE_BOUND_SECONDS = 2.0


@pytest.fixture
def serve(tmp_path):
    """Start main.py:receive_alert under functions-framework's gunicorn with extra env."""
    started: list[ServedFunction] = []

    def start(**env: str) -> ServedFunction:
        full_env = {
            "WEBHOOK_TOKENS": TOKEN,
            "STORAGE_TIMEOUT_SECONDS": str(STORAGE_BOUND_SECONDS),
            "ARCHIVE_URL": str(tmp_path / "archive"),
            **env,
        }
        served = ServedFunction(tmp_path, full_env).start()
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every guarantee is slow: each serves the function and drives it (make test-fast skips)."""
    here = pathlib.Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.slow)
