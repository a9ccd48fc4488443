"""A local archive's listings are reused only while nothing in their partition changed."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import errno
import json
import os
import pathlib
import subprocess
import sys

import pytest

from alertarchive.archive.storage.local import LocalArchive
from alertarchive.browse.catalog import IGNORED, UNREADABLE, Catalog, Entry
from alertarchive.browse.listing_cache import ListingCache
from alertarchive.browse.timewindow import Window
from tests.support.archives import ArchiveWriter, alert, notification

START = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
SPAN = Window(START, START + datetime.timedelta(days=2))


class CountingArchive(LocalArchive):
    """Counts the objects whose metadata a listing read."""

    described = 0

    def _stored_object(self, path, name):
        type(self).described += 1
        return super()._stored_object(path, name)


def _write(root: pathlib.Path, count: int, first: int = 0, day: int = 0) -> None:
    writer = ArchiveWriter(str(root))
    for index in range(first, first + count):
        received_at = START + datetime.timedelta(days=day, minutes=20 * index)
        body = notification([alert({"alertname": f"A{index}"}, received_at)])
        assert writer.post(body, received_at)["status_code"] == 201


def _listing(root: pathlib.Path, cache_root: pathlib.Path) -> tuple[list, Catalog, int]:
    CountingArchive.described = 0
    archive = CountingArchive(root)
    catalog = Catalog(archive, workers=1, listing_cache=ListingCache(cache_root, str(root)))
    return catalog.entries(SPAN), catalog, CountingArchive.described


@pytest.fixture
def archive(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "archive"
    _write(root, 9)
    return root


def test_a_second_listing_reads_no_metadata_and_lists_the_same(archive, tmp_path):
    first, _, read_first = _listing(archive, tmp_path / "cache")
    second, _, read_second = _listing(archive, tmp_path / "cache")

    assert read_first == 9
    assert read_second == 0
    assert second == first


def test_a_new_notification_relists_its_partition_only(archive, tmp_path):
    _listing(archive, tmp_path / "cache")
    _write(archive, 1, first=9, day=1)  # the next day: a whole day is one listed partition

    listed, _, read = _listing(archive, tmp_path / "cache")

    assert len(listed) == 10
    assert read == 1


def test_metadata_changed_in_place_is_seen(archive, tmp_path):
    before, _, _ = _listing(archive, tmp_path / "cache")
    changed = before[0]
    path = archive / changed.name
    sidecar = pathlib.Path(f"{path}.meta")
    if sidecar.exists():
        metadata = json.loads(sidecar.read_bytes())
        metadata["receiver"] = "edited"
        with open(sidecar, "r+b") as edited:  # same file, same inode
            edited.write(json.dumps(metadata).encode())
            edited.truncate()
    else:
        metadata = json.loads(os.getxattr(path, "user.alertarchive.metadata"))
        metadata["receiver"] = "edited"
        os.setxattr(path, "user.alertarchive.metadata", json.dumps(metadata).encode())

    after, _, _ = _listing(archive, tmp_path / "cache")

    assert {entry.name: entry.receiver for entry in after}[changed.name] == "edited"


def test_a_removed_object_is_gone_and_a_foreign_one_is_still_reported(archive, tmp_path):
    before, _, _ = _listing(archive, tmp_path / "cache")
    removed = before[0]
    (archive / removed.name).unlink()
    folder = (archive / before[1].name).parent
    (folder / "notes.txt").write_text("not a notification\n")

    _listing(archive, tmp_path / "cache")
    after, catalog, read = _listing(archive, tmp_path / "cache")

    assert removed.name not in {entry.name for entry in after}
    assert read == 0
    assert [(n.kind, n.name.rsplit("/", 1)[-1]) for n in catalog.notices] == [
        (IGNORED, "notes.txt")
    ]


@pytest.mark.parametrize(
    "kept", [b"", b"{", b"[]", b'{"format": 1}', b'{"format":"1/0.1.0","entries":[[1]]}']
)
def test_a_damaged_listing_is_a_miss(archive, tmp_path, kept):
    first, _, _ = _listing(archive, tmp_path / "cache")
    for path in (tmp_path / "cache").rglob("*.json"):
        path.write_bytes(kept)

    again, _, read = _listing(archive, tmp_path / "cache")

    assert again == first
    assert read == 9


def _cli(*argv: str, cache: pathlib.Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "alertarchive", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )


def test_the_cli_keeps_listings_in_the_xdg_cache_and_no_cache_skips_it(archive, tmp_path):
    window = ["--since", SPAN.start.isoformat(), "--until", SPAN.end.isoformat()]
    cache = tmp_path / "xdg"

    bypassed = _cli("--archive", str(archive), "list", "--no-cache", *window, cache=cache)
    assert not cache.exists()
    kept = _cli("--archive", str(archive), "list", *window, cache=cache)
    reused = _cli("--archive", str(archive), "list", *window, cache=cache)

    assert list((cache / "alertarchive" / "listings").rglob("*.json"))
    assert bypassed.stdout == kept.stdout == reused.stdout
    assert len(bypassed.stdout.splitlines()) == 10  # header and nine notifications


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("received_at", "2026-11-01T00:20:00"),  # no zone: cannot be compared with the window
        ("sha256", None),
        ("size", "601"),
        ("quarantined", 0),
        ("validation_errors", [1]),
    ],
)
def test_a_kept_row_of_another_type_is_a_miss_not_an_error(archive, tmp_path, field, value):
    first, _, _ = _listing(archive, tmp_path / "cache")
    index = [f.name for f in dataclasses.fields(Entry)].index(field)
    for path in (tmp_path / "cache").rglob("*.json"):
        kept = json.loads(path.read_bytes())
        kept["entries"][0][index] = value
        path.write_text(json.dumps(kept))

    again, _, read = _listing(archive, tmp_path / "cache")

    assert again == first
    assert read == 9


def test_a_partition_with_an_unreadable_object_is_listed_afresh_next_time(archive, tmp_path):
    entries, _, _ = _listing(archive, tmp_path / "cache")
    victim = archive / entries[0].name
    # Without metadata, its entry is rebuilt from the body; the body read fails once (EIO).
    with contextlib.suppress(OSError):
        os.removexattr(victim, "user.alertarchive.metadata")
    pathlib.Path(f"{victim}.meta").unlink(missing_ok=True)

    class FailingOnce(LocalArchive):
        def read(self, name):
            if name == entries[0].name:
                raise OSError(errno.EIO, "Input/output error")
            return super().read(name)

    cache = ListingCache(tmp_path / "cache", str(archive))
    failing = Catalog(FailingOnce(archive), workers=1, listing_cache=cache)
    assert entries[0].name not in {entry.name for entry in failing.entries(SPAN)}
    assert [notice.kind for notice in failing.notices] == [UNREADABLE]

    healed, _, _ = _listing(archive, tmp_path / "cache")

    assert entries[0].name in {entry.name for entry in healed}
