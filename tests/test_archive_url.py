"""One reading of an archive URL (storage.parse_archive_url), shared by the receiver and the CLI.

The documented forms work the same on both sides; every other spelling is refused on both,
naming the forms that work, before anything is created anywhere.
"""

from __future__ import annotations

import pathlib
import uuid

import pytest

from alertarchive.archive.storage import (
    DEFAULT_ARCHIVE_URL,
    URL_FORMS,
    BadArchiveUrl,
    GcsLocation,
    LocalLocation,
    parse_archive_url,
)
from alertarchive.browse import cli as cli_module
from alertarchive.receiver.config import ConfigError, Settings
from alertarchive.receiver.receive import Receiver
from tests.conftest import payload
from tests.support import cli
from tests.support.receiver import client_for

AUTH = {"Authorization": "Bearer url-test-token", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "url,location",
    [
        ("gs://my-bucket", GcsLocation("my-bucket", "")),
        ("gs://my-bucket/team/alerts", GcsLocation("my-bucket", "team/alerts")),
        ("file:///var/lib/alerts", LocalLocation(pathlib.Path("/var/lib/alerts"))),
        ("file:///var/lib/a%20b", LocalLocation(pathlib.Path("/var/lib/a b"))),
        ("file:///var/lib/%C3%A9t%C3%A9", LocalLocation(pathlib.Path("/var/lib/été"))),
        ("/var/lib/alerts", LocalLocation(pathlib.Path("/var/lib/alerts"))),
        ("./archive", LocalLocation(pathlib.Path("archive"))),
        ("archive", LocalLocation(pathlib.Path("archive"))),
        ("./file:x", LocalLocation(pathlib.Path("file:x"))),
        ("alerts:2026", LocalLocation(pathlib.Path("alerts:2026"))),
    ],
)
def test_documented_forms_name_their_location(url, location):
    assert parse_archive_url(url) == location


def test_a_home_relative_path_is_expanded():
    assert parse_archive_url("~/alerts") == LocalLocation(pathlib.Path.home() / "alerts")


REFUSED = [
    "file://./archive",  # was /archive for the receiver, ./archive for the CLI
    "file://host/var/alerts",  # the host was dropped: /var/alerts
    "file://var/lib/alerts",  # `var` taken as the host: /lib/alerts
    "file://",
    "file:/var/alerts",  # was a folder named `file:` in the working directory
    "file:archive",
    "FILE:/var/alerts",
    "gs:/my-bucket",
    "gs:my-bucket",
    "gcs:my-bucket",
    "s3:/my-bucket",
    "gs://",
    "gs:///prefix",
    "gcs://my-bucket",
    "s3://my-bucket/alerts",
    "https://storage.googleapis.com/my-bucket",
    "file:///var/alerts?x",
    "file:///var/a%00b",
    "",
]


@pytest.mark.parametrize("url", REFUSED)
def test_other_spellings_are_refused_naming_the_forms_that_work(url):
    with pytest.raises(BadArchiveUrl) as refused:
        parse_archive_url(url)

    assert str(refused.value).endswith(f"use {URL_FORMS}")


@pytest.mark.parametrize("url", [u for u in REFUSED if u])
def test_receiver_and_cli_both_refuse_it_and_create_nothing(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as receiver_refusal:
        Settings.from_environ({"ARCHIVE_URL": url})
    result = cli.run(url, "list")

    assert f"use {URL_FORMS}" in str(receiver_refusal.value)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"alertarchive: error: --archive {url}: ")
    assert f"use {URL_FORMS}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _spellings(directory: pathlib.Path) -> dict[str, str]:
    """Every way to name directory (which holds a space and a non-ASCII letter)."""
    quoted = str(directory).replace("%", "%25").replace(" ", "%20").replace("é", "%C3%A9")
    return {
        "absolute path": str(directory),
        "relative path": str(directory.relative_to(directory.parent.parent)),
        "dot-relative path": "./" + str(directory.relative_to(directory.parent.parent)),
        "file URL": f"file://{quoted}",
    }


@pytest.mark.parametrize(
    "spelling", ["absolute path", "relative path", "dot-relative path", "file URL"]
)
def test_what_the_receiver_stores_under_a_spelling_the_cli_lists_under_it(
    spelling, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "var" / f"alerts é {uuid.uuid4().hex[:6]}"
    url = _spellings(directory)[spelling]

    client = client_for(monkeypatch, url, WEBHOOK_TOKENS="url-test-token")
    answer = client.post("/", data=payload("firing-group-of-3.json"), headers=AUTH)
    listed = cli.run(url, "list", "--json")

    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert (directory / answer.get_json()["object"]).is_file()
    assert listed.exit_code == 0, listed.stderr
    assert [line for line in listed.stdout.splitlines() if line.strip()] != []
    assert [path.name for path in tmp_path.iterdir()] == ["var"]


def test_receiver_and_cli_share_one_default_archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive_option = next(p for p in cli_module.cli.params if p.name == "archive_url")

    assert Settings.from_environ({}).archive_url == DEFAULT_ARCHIVE_URL
    assert archive_option.default == DEFAULT_ARCHIVE_URL
    assert Receiver.from_settings(Settings.from_environ({})).archive.url == str(
        tmp_path / "archive"
    )
