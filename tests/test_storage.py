"""Both archive backends keep the same promises: create-only, metadata, listing, exact bytes.

The GCS backend runs against fake-gcs-server through the real google-cloud-storage client.
"""

from __future__ import annotations

import concurrent.futures
import errno
import os
import stat
import threading
import time

import pytest

from alertarchive.storage import NotFound, StorageUnavailable, open_archive
from alertarchive.storage.gcs import GcsArchive
from alertarchive.storage.local import LocalArchive
from tests.support.processes import FakeGcs

NAME = "alerts/dt=2026-11-27/hour=04/source=default/firing-X-" + "a" * 64 + ".json"
BODY = b'{"version":"4","label":"caf\xc3\xa9 \\u003c"}\n'
METADATA = {
    "received_at": "2026-11-27T04:05:06.000001Z",
    "receiver": "team\\.x",
    "alertnames": "ディスク,KubeJobFailed",
    "body_size": str(len(BODY)),
}


@pytest.fixture(params=["local", "local-staged", "gcs", "gcs-prefix"])
def archive(request, tmp_path):
    if request.param == "local":
        return open_archive(str(tmp_path / "archive"))
    if request.param == "local-staged":
        return LocalArchive(tmp_path / "archive", staged=True)
    bucket = request.getfixturevalue("gcs_bucket")
    prefix = "/team/alerts" if request.param == "gcs-prefix" else ""
    return open_archive(f"gs://{bucket}{prefix}", timeout_seconds=5)


def test_open_archive_picks_the_backend_from_the_url(tmp_path):
    assert isinstance(open_archive(str(tmp_path)), LocalArchive)
    assert isinstance(open_archive(f"file://{tmp_path}"), LocalArchive)
    assert open_archive(f"file://{tmp_path}").root == tmp_path
    gcs = open_archive("gs://my-bucket/some/prefix/")
    assert isinstance(gcs, GcsArchive)
    assert (gcs.bucket_name, gcs.prefix, gcs.url) == (
        "my-bucket",
        "some/prefix/",
        "gs://my-bucket/some/prefix/",
    )


def test_gcs_url_without_bucket_is_refused():
    with pytest.raises(ValueError, match="gs://BUCKET"):
        open_archive("gs:///prefix")


def test_first_create_stores_exact_bytes_and_metadata(archive):
    assert archive.create(NAME, BODY, METADATA, "application/json") is True

    assert archive.read(NAME) == BODY
    stored = archive.stat(NAME)
    assert (stored.name, stored.size, dict(stored.metadata)) == (NAME, len(BODY), METADATA)


def test_second_create_of_the_same_name_changes_nothing(archive):
    archive.create(NAME, BODY, METADATA, "application/json")

    again = archive.create(NAME, b"other bytes", {"received_at": "later"}, "application/json")

    assert again is False
    assert archive.read(NAME) == BODY
    assert archive.stat(NAME).metadata["received_at"] == METADATA["received_at"]


def test_concurrent_creates_of_one_name_store_exactly_one(archive):
    barrier = threading.Barrier(12)

    def create(i):
        barrier.wait()
        return archive.create(NAME, BODY, {**METADATA, "n": str(i)}, "application/json")

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(create, range(12)))

    assert results.count(True) == 1
    assert [o.name for o in archive.list("alerts/")] == [NAME]


def test_listing_by_prefix_returns_names_with_metadata(archive):
    other = NAME.replace("hour=04", "hour=05")
    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(other, BODY, {"status": "resolved"}, "application/json")

    listed = {o.name: dict(o.metadata) for o in archive.list("alerts/dt=2026-11-27/hour=04/")}

    assert listed == {NAME: METADATA}
    assert sorted(o.name for o in archive.list("alerts/")) == [NAME, other]
    assert list(archive.list("quarantine/")) == []


def test_folders_are_listed_one_level_at_a_time(archive):
    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(NAME.replace("hour=04", "hour=05"), BODY, {}, "application/json")

    assert archive.list_folders("") == ["alerts/"]
    assert archive.list_folders("alerts/") == ["alerts/dt=2026-11-27/"]
    assert archive.list_folders("alerts/dt=2026-11-27/") == [
        "alerts/dt=2026-11-27/hour=04/",
        "alerts/dt=2026-11-27/hour=05/",
    ]


def test_reading_a_missing_object_raises_not_found(archive):
    with pytest.raises(NotFound):
        archive.read("alerts/nothing.json")
    with pytest.raises(NotFound):
        archive.stat("alerts/nothing.json")


def test_gcs_prefix_keeps_objects_inside_it(gcs_bucket, fake_gcs):
    archive = open_archive(f"gs://{gcs_bucket}/team/alerts")

    archive.create(NAME, BODY, METADATA, "application/json")

    blobs = [b.name for b in fake_gcs.client().list_blobs(gcs_bucket)]
    assert blobs == [f"team/alerts/{NAME}"]


def test_gcs_object_has_json_content_type_and_custom_metadata(gcs_bucket, fake_gcs):
    open_archive(f"gs://{gcs_bucket}").create(NAME, BODY, METADATA, "application/json")

    blob = fake_gcs.client().bucket(gcs_bucket).get_blob(NAME)
    assert blob.content_type == "application/json"
    assert blob.metadata == METADATA


def test_missing_bucket_is_storage_unavailable_not_a_crash(fake_gcs, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.url)
    archive = open_archive("gs://no-such-bucket-here", timeout_seconds=2)

    with pytest.raises(StorageUnavailable, match="no such bucket"):
        archive.create(NAME, BODY, METADATA, "application/json")


def test_gcs_down_is_storage_unavailable_within_the_time_budget(tmp_path, monkeypatch):
    server = FakeGcs(tmp_path).start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.url)
    server.create_bucket("down")
    archive = open_archive("gs://down", timeout_seconds=2)
    server.stop()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        archive.create(NAME, BODY, METADATA, "application/json")

    # The client's own retry would keep going for up to 120 s.
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("staged", [False, True], ids=["unnamed", "staged"])
def test_local_create_leaves_only_the_body_and_its_sidecar(tmp_path, staged):
    archive = LocalArchive(tmp_path, staged=staged)

    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(NAME, BODY, METADATA, "application/json")

    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [NAME, NAME + ".meta"]


@pytest.mark.parametrize("staged", [False, True], ids=["unnamed", "staged"])
def test_local_files_are_readable_by_the_receivers_user_only(tmp_path, staged):
    LocalArchive(tmp_path, staged=staged).create(NAME, BODY, METADATA, "application/json")

    modes = {stat.S_IMODE((tmp_path / name).stat().st_mode) for name in (NAME, NAME + ".meta")}
    assert modes == {0o600}


def test_local_falls_back_to_staging_where_the_filesystem_has_no_unnamed_files(
    tmp_path, monkeypatch
):
    real_open = os.open

    def open_without_tmpfile(path, flags, *args, **kwargs):
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_without_tmpfile)
    archive = LocalArchive(tmp_path)

    assert archive.create(NAME, BODY, METADATA, "application/json") is True
    assert archive.create(NAME, BODY, METADATA, "application/json") is False

    assert (archive.read(NAME), dict(archive.stat(NAME).metadata)) == (BODY, METADATA)
    assert list((tmp_path / ".tmp").iterdir()) == []


def test_local_body_without_sidecar_is_listed_with_empty_metadata(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    (tmp_path / (NAME + ".meta")).unlink()

    [listed] = archive.list("alerts/")

    assert (listed.name, dict(listed.metadata)) == (NAME, {})


def test_local_retry_repairs_a_missing_sidecar(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    (tmp_path / (NAME + ".meta")).unlink()

    assert archive.create(NAME, BODY, METADATA, "application/json") is False
    assert dict(archive.stat(NAME).metadata) == METADATA


def test_local_staging_and_hidden_files_are_never_listed(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "tmpabc123").write_bytes(b'{"partial')

    assert [o.name for o in archive.list("")] == [NAME]


def test_local_names_cannot_escape_the_root(tmp_path):
    archive = LocalArchive(tmp_path / "root")

    with pytest.raises(ValueError, match="escapes"):
        archive.create("../outside.json", BODY, {}, "application/json")
    assert not (tmp_path / "outside.json").exists()
