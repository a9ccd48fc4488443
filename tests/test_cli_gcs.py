"""The CLI on gs:// archives: same answers as on a directory, bodies downloaded only when needed,
and clear errors for a missing bucket or missing credentials (fake-gcs-server, real client)."""

import hashlib
import json
import time

import pytest

from alertarchive.archive.storage import open_archive
from alertarchive.browse import cli as cli_module
from tests.support.archives import DATA as ARCHIVE_DATA
from tests.support.archives import ArchiveWriter, CountingArchive, Scenario, build_scenario
from tests.support.cli import ndjson, run


@pytest.fixture(scope="module")
def bucket_url(fake_gcs):
    """A bucket holding the standard scenario, written by the receiver through GcsArchive."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.url)
        fake_gcs.create_bucket("cli-scenario")
        writer = ArchiveWriter("gs://cli-scenario/team-x")
        scenario = Scenario(
            writer, writer.now, (ARCHIVE_DATA / "firing-group-of-3.json").read_bytes()
        )
    scenario.url = "gs://cli-scenario/team-x"
    return scenario


@pytest.fixture
def emulator(isolated_environ, monkeypatch, fake_gcs):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.url)


def test_gcs_and_local_archives_list_the_same_notifications(bucket_url, emulator, tmp_path):
    local = build_scenario(tmp_path / "archive", now=bucket_url.now)

    on_gcs = ndjson(run(bucket_url.url, "list", "--since", "7d", "--json"))
    on_disk = ndjson(run(local.url, "list", "--since", "7d", "--json"))

    assert [r["name"] for r in on_gcs] == [r["name"] for r in on_disk]
    assert on_gcs == on_disk


def test_metadata_filters_on_gcs_download_no_bodies(bucket_url, emulator, monkeypatch):
    archives = []

    def opened(url, timeout_seconds=8.0):
        archives.append(CountingArchive(open_archive(url, timeout_seconds)))
        return archives[-1]

    monkeypatch.setattr(cli_module, "open_archive", opened)

    result = run(
        bucket_url.url,
        "list",
        "--since",
        "7d",
        "--status",
        "firing",
        "--receiver",
        "team.db",
        "--json",
    )
    assert [r["name"] for r in ndjson(result)] == [
        bucket_url.name("disk_repeat"),
        bucket_url.name("disk_firing"),
    ]
    assert archives[0].reads == []

    result = run(
        bucket_url.url,
        "list",
        "--since",
        "7d",
        "--alertname",
        "PayloadMulti",
        "--label",
        "instance=c",
        "--json",
    )
    assert [r["name"] for r in ndjson(result)] == [bucket_url.name("captured")]
    assert archives[1].reads == [bucket_url.name("captured")]


def test_show_raw_from_gcs_is_byte_exact(bucket_url, emulator):
    for key in ("hostile", "not_json"):
        sha = hashlib.sha256(bucket_url.bodies[key]).hexdigest()
        assert (
            run(bucket_url.url, "show", sha[:12], "--raw").stdout_bytes == (bucket_url.bodies[key])
        )


def test_stats_on_gcs(bucket_url, emulator):
    figures = json.loads(run(bucket_url.url, "stats", "--json").stdout)
    assert figures["notifications"] == 14
    assert [f["alertname"] for f in figures["flapping"]] == ["Flappy"]


def test_a_missing_bucket_is_one_line_and_exit_1(emulator):
    result = run("gs://no-such-bucket-here", "list")
    assert result.exit_code == 1
    assert result.stderr == "alertarchive: error: no bucket 'no-such-bucket-here'\n"


def test_missing_credentials_fail_fast_with_a_hint(isolated_environ, tmp_path):
    started = time.monotonic()
    result = run(
        "gs://some-bucket",
        "list",
        env={"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json")},
    )
    elapsed = time.monotonic() - started

    assert result.exit_code == 1
    assert result.stderr == (
        "alertarchive: error: cannot list gs://some-bucket/: no Google credentials "
        "(run `gcloud auth application-default login`)\n"
    )
    assert elapsed < 5
