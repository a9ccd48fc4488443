"""The local archive's writes: nothing is ever created outside the root, and what a crash
left in `.tmp/` is cleaned up — only our own staged files, only once they are stale."""

from __future__ import annotations

import os
import time

import pytest

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.archive.storage.local import STALE_STAGED_SECONDS, LocalArchive
from tests.guarantees.helpers import notification
from tests.guarantees.test_local_faults import crash_while_writing
from tests.support.local_metadata import in_attribute

DAY = "alerts/dt=2026-11-27"
NAME = f"{DAY}/hour=04/source=default/firing-X-" + "a" * 64 + ".json"
OTHER = f"{DAY}/hour=04/source=default/firing-X-" + "b" * 64 + ".json"
BODY = b'{"version":"4"}'
METADATA = {"body_sha256": "a" * 64}


def _everything_under(folder) -> list:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.mark.parametrize("link", ["alerts", DAY, f"{DAY}/hour=04", ".tmp"])
def test_a_folder_symlinked_outside_the_root_gets_nothing_created_in_it(tmp_path, link):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    (root / link).parent.mkdir(parents=True)
    (root / link).symlink_to(outside)

    with pytest.raises(StorageUnavailable, match="leads outside it"):
        LocalArchive(root).create(NAME, BODY, METADATA, "application/json")
    assert _everything_under(outside) == []


def test_a_symlink_inside_the_root_is_followed(tmp_path):
    root = tmp_path / "root"
    (root / "days" / "2026-11-27").mkdir(parents=True)
    (root / "alerts").mkdir()
    (root / DAY).symlink_to(root / "days" / "2026-11-27")

    assert LocalArchive(root).create(NAME, BODY, METADATA, "application/json") is True
    assert (root / NAME).read_bytes() == BODY


def test_staged_files_a_crash_left_are_removed_by_the_next_write_once_stale(tmp_path):
    root = tmp_path / "archive"
    crash_while_writing(root, "before-link", notification(1))
    left = list((root / ".tmp").iterdir())
    # The staged body, holding its metadata as an xattr (else beside it, a staged sidecar).
    assert len(left) == (1 if any(in_attribute(path) for path in left) else 2)
    for path in left:
        _age(path, STALE_STAGED_SECONDS + 60)

    assert LocalArchive(root).create(NAME, BODY, METADATA, "application/json") is True
    assert list((root / ".tmp").iterdir()) == []


def test_only_stale_regular_files_with_a_staged_name_are_removed(tmp_path):
    root = tmp_path / "archive"
    LocalArchive(root).create(NAME, BODY, METADATA, "application/json")
    staging = root / ".tmp"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_bytes(b"not ours")
    kept = {
        # A live write: staged a moment ago, about to be linked into place.
        "tmpfresh123": lambda path: path.write_bytes(b'{"partial'),
        # Not a name the archive stages under, however old.
        "notes.txt": lambda path: path.write_bytes(b"someone's notes"),
        "tmp": lambda path: path.write_bytes(b"too short for a staged name"),
        # Our spelling, but not a file we write: a folder, and a link to a file elsewhere.
        "tmpfolder12": lambda path: path.mkdir(),
        "tmplink1234": lambda path: path.symlink_to(outside / "precious"),
    }
    for file_name, make in kept.items():
        make(staging / file_name)
        if file_name != "tmpfresh123":
            _age(staging / file_name, STALE_STAGED_SECONDS + 60)
    stale = staging / "tmpa_b9c2x7"
    stale.write_bytes(b'{"partial')
    _age(stale, STALE_STAGED_SECONDS + 60)

    assert LocalArchive(root).create(OTHER, BODY, METADATA, "application/json") is True
    assert sorted(path.name for path in staging.iterdir()) == sorted(kept)
    assert (outside / "precious").read_bytes() == b"not ours"


def test_a_staged_file_just_under_the_bound_is_kept(tmp_path):
    root = tmp_path / "archive"
    LocalArchive(root).create(NAME, BODY, METADATA, "application/json")
    staged = root / ".tmp" / "tmpq1w2e3r4"
    staged.write_bytes(b'{"partial')
    _age(staged, STALE_STAGED_SECONDS - 60)

    LocalArchive(root).create(OTHER, BODY, METADATA, "application/json")
    assert staged.exists()
