"""Both archive backends keep the same promises: create-only, metadata, listing, exact bytes.

The GCS backend runs against fake-gcs-server through the real google-cloud-storage client.
"""

from __future__ import annotations

import concurrent.futures
import errno
import json
import os
import shutil
import stat
import threading
import time

import pytest

from alertarchive.archive.storage import NotFound, StorageUnavailable, open_archive
from alertarchive.archive.storage.gcs import GcsArchive
from alertarchive.archive.storage.local import LocalArchive
from tests.support.local_metadata import drop_metadata, in_attribute, sidecar, stored_metadata
from tests.support.processes import FakeGcs

NAME = "alerts/dt=2026-11-27/hour=04/source=default/firing-X-" + "a" * 64 + ".json"
BODY = b'{"version":"4","label":"caf\xc3\xa9 \\u003c"}\n'
METADATA = {
    "received_at": "2026-11-27T04:05:06.000001Z",
    "receiver": "team\\.x",
    "alertnames": "ディスク,KubeJobFailed",
    "body_size": str(len(BODY)),
}


@pytest.fixture(params=["local", "gcs", "gcs-prefix"])
def archive(request, tmp_path):
    if request.param == "local":
        return open_archive(str(tmp_path / "archive"))
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
    assert [o.name for o in archive.objects("alerts/")] == [NAME]


def test_listing_by_prefix_returns_names_with_metadata(archive):
    other = NAME.replace("hour=04", "hour=05")
    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(other, BODY, {"status": "resolved"}, "application/json")

    listed = {o.name: dict(o.metadata) for o in archive.objects("alerts/dt=2026-11-27/hour=04/")}

    assert listed == {NAME: METADATA}
    assert sorted(o.name for o in archive.objects("alerts/")) == [NAME, other]
    assert list(archive.objects("quarantine/")) == []


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


@pytest.fixture
def without_attributes(monkeypatch):
    """A filesystem without user xattrs (tmpfs before Linux 6.6, some NFS and FUSE mounts)."""

    def unsupported(*args, **kwargs):
        raise OSError(errno.ENOTSUP, os.strerror(errno.ENOTSUP))

    monkeypatch.setattr(os, "setxattr", unsupported)


def _files(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_local_create_leaves_only_the_body_holding_its_metadata(tmp_path):
    archive = LocalArchive(tmp_path)

    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(NAME, BODY, METADATA, "application/json")

    assert _files(tmp_path) == [NAME]
    assert stored_metadata(tmp_path / NAME) == METADATA


def test_local_create_without_xattrs_leaves_only_the_body_and_its_sidecar(
    tmp_path, without_attributes
):
    archive = LocalArchive(tmp_path)

    archive.create(NAME, BODY, METADATA, "application/json")
    archive.create(NAME, BODY, METADATA, "application/json")

    assert _files(tmp_path) == [NAME, NAME + ".meta"]
    assert json.loads((tmp_path / (NAME + ".meta")).read_bytes()) == METADATA
    assert dict(archive.stat(NAME).metadata) == METADATA


def test_local_metadata_too_large_for_an_xattr_goes_to_a_sidecar(tmp_path):
    archive = LocalArchive(tmp_path)
    large = {f"field_{index}": "x" * 1000 for index in range(8)}  # ext4: one 4 KiB block

    archive.create(NAME, BODY, large, "application/json")

    assert _files(tmp_path) == [NAME, NAME + ".meta"]
    assert dict(archive.stat(NAME).metadata) == large
    [listed] = archive.objects("alerts/")
    assert dict(listed.metadata) == large


def test_local_archives_written_with_sidecars_read_as_before(tmp_path):
    """An archive from before metadata moved into xattrs: a body and its .meta, nothing else."""
    body = tmp_path / NAME
    body.parent.mkdir(parents=True)
    body.write_bytes(BODY)
    sidecar(body).write_text(json.dumps(METADATA, ensure_ascii=False))
    archive = LocalArchive(tmp_path)

    [listed] = archive.objects("alerts/")

    assert (listed.name, dict(listed.metadata)) == (NAME, METADATA)
    assert dict(archive.stat(NAME).metadata) == METADATA
    assert archive.create(NAME, BODY, {"received_at": "later"}, "application/json") is False
    assert dict(archive.stat(NAME).metadata) == METADATA
    assert not in_attribute(body)


def test_local_files_and_folders_are_the_receivers_users_only(tmp_path):
    LocalArchive(tmp_path / "archive").create(NAME, BODY, METADATA, "application/json")

    root = tmp_path / "archive"
    modes = {
        path.relative_to(root).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in root.rglob("*")
    }
    assert {mode for name, mode in modes.items() if name.endswith((".json", ".meta"))} == {0o600}
    assert {mode for name, mode in modes.items() if (root / name).is_dir()} == {0o700}


def test_local_resend_of_a_stored_body_is_a_duplicate_without_writing_it_again(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    stored = tmp_path / NAME
    before = {path: path.stat() for path in (stored, sidecar(stored)) if path.exists()}

    assert archive.create(NAME, BODY, {"received_at": "later"}, "application/json") is False
    # Rewriting would link a new file (a new inode) or touch the old one (a new mtime).
    for path, status in before.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (status.st_ino, status.st_mtime_ns)
    assert not list((tmp_path / ".tmp").glob("*")), "nothing was staged for the resend"
    assert dict(archive.stat(NAME).metadata) == METADATA


def test_local_duplicate_is_answered_only_after_the_folder_is_flushed(tmp_path, monkeypatch):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    flushed = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        flushed.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)

    assert archive.create(NAME, BODY, METADATA, "application/json") is False

    assert flushed == [str((tmp_path / NAME).parent)]


def test_local_creator_metadata_wins_over_a_concurrent_duplicates_repair(
    tmp_path, monkeypatch, without_attributes
):
    archive = LocalArchive(tmp_path)
    duplicate = {**METADATA, "received_at": "2026-11-27T04:05:07.000000Z"}
    real_replace = os.replace

    def duplicate_repairs_first(source, destination):
        # The duplicate finds the body linked and its sidecar missing, and repairs it.
        assert archive.create(NAME, BODY, duplicate, "application/json") is False
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", duplicate_repairs_first)

    assert archive.create(NAME, BODY, METADATA, "application/json") is True
    assert dict(archive.stat(NAME).metadata) == METADATA


def test_local_folder_removed_after_a_write_is_made_again(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    shutil.rmtree(tmp_path / "alerts")
    other = NAME.replace("a" * 64, "b" * 64)

    assert archive.create(other, BODY, METADATA, "application/json") is True
    assert archive.read(other) == BODY


def test_local_folder_symlinked_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "alerts").symlink_to(outside)

    with pytest.raises(StorageUnavailable, match="leads outside it"):
        LocalArchive(root).create(NAME, BODY, METADATA, "application/json")
    assert list(outside.rglob("*.json")) == []


@pytest.mark.parametrize("form", ["xattr", "sidecar"])
def test_local_body_without_metadata_is_listed_with_empty_metadata(tmp_path, request, form):
    if form == "sidecar":
        request.getfixturevalue("without_attributes")
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    assert in_attribute(tmp_path / NAME) is (form == "xattr")
    drop_metadata(tmp_path / NAME)

    [listed] = archive.objects("alerts/")

    assert (listed.name, dict(listed.metadata)) == (NAME, {})


@pytest.mark.parametrize("form", ["xattr", "sidecar"])
def test_local_retry_repairs_missing_metadata(tmp_path, request, form):
    if form == "sidecar":
        request.getfixturevalue("without_attributes")
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    drop_metadata(tmp_path / NAME)

    assert archive.create(NAME, BODY, METADATA, "application/json") is False
    assert dict(archive.stat(NAME).metadata) == METADATA
    assert in_attribute(tmp_path / NAME) is (form == "xattr")


def test_local_staging_and_hidden_files_are_never_listed(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.create(NAME, BODY, METADATA, "application/json")
    (tmp_path / ".tmp" / "tmpabc123").write_bytes(b'{"partial')

    assert [o.name for o in archive.objects("")] == [NAME]


def test_local_names_cannot_escape_the_root(tmp_path):
    archive = LocalArchive(tmp_path / "root")

    with pytest.raises(ValueError, match="escapes"):
        archive.create("../outside.json", BODY, {}, "application/json")
    assert not (tmp_path / "outside.json").exists()
