"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import pathlib
import re

import pytest

from alertarchive.receiver import config
from tests.support.processes import FakeGcs

DATA = pathlib.Path(__file__).parent / "data"
PACKAGE = pathlib.Path(__file__).parents[1] / "alertarchive"
# Every `os.environ[...]`, `.get(...)`, `getenv(...)` and click `envvar=` the code has.
_ENV_READ = re.compile(
    r"""(?:environ\.(?:get|setdefault|pop)\(\s*|environ\[\s*|getenv\(\s*|envvar=)"""
    r"""["']([A-Z][A-Z0-9_]*)["']"""
)


def variables_the_code_reads() -> set[str]:
    """The environment variables main.py and alertarchive/ read, found in their source."""
    sources = [PACKAGE.parent / "main.py", *PACKAGE.rglob("*.py")]
    return {name for path in sources for name in _ENV_READ.findall(path.read_text())}


# Whatever the code reads, and what the libraries it drives read for it.
_ENV_VARS = sorted(
    {*config.VARIABLES, *variables_the_code_reads(), "STORAGE_EMULATOR_HOST", "TZ", "COLUMNS"}
)


@pytest.fixture(autouse=True)
def isolated_environ(monkeypatch, tmp_path_factory):
    """No test sees the developer's (or another test's) configuration of anything we read.

    XDG_CACHE_HOME is a fresh folder per test: the CLI's body cache never touches ~/.cache,
    and no test reads bodies another one cached.
    """
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def payload(name: str) -> bytes:
    """A captured or generated body from tests/data, byte for byte."""
    return (DATA / name).read_bytes()


@pytest.fixture(scope="session")
def fake_gcs(tmp_path_factory):
    """One fake-gcs-server (in memory) for the session; tests use their own buckets."""
    server = FakeGcs(tmp_path_factory.mktemp("fake-gcs")).start()
    yield server
    server.stop()


@pytest.fixture
def gcs_bucket(fake_gcs, monkeypatch, request):
    """A fresh bucket on the session's fake-gcs-server; the emulator env var points at it."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.url)
    name = f"b-{abs(hash(request.node.nodeid)) % 10**12}-{os.getpid()}"
    fake_gcs.create_bucket(name)
    return name
