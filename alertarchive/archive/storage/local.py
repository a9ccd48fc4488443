"""A directory as an archive, with the same create-only promise as GCS.

Layout on disk mirrors the bucket: `<root>/<name>` holds the exact body, and its metadata as
JSON is in the body's `user.alertarchive.metadata` extended attribute or, where the filesystem
has none, in `<root>/<name>.meta` (local_metadata.py). Both are written under `<root>/.tmp/`
and flushed to disk while they have that name, then hard-linked into place and the folder
flushed (folder_flush.py, shared by concurrent writers):
link() fails if the name exists, which makes the create exclusive and atomic, so readers
never see a partial body under a real name. (A file written unnamed with O_TMPFILE would
need a second fsync after its link, or ext4 without a journal can lose its link count in a
power cut: measured, 20 of 40 bodies gone.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pathlib
import re
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from typing import Any

from alertarchive.archive.storage import NotFound, StorageUnavailable, StoredObject, local_metadata
from alertarchive.archive.storage.folder_flush import FolderFlushes, fsync_directory

METADATA_SUFFIX = local_metadata.SIDECAR_SUFFIX
_STAGING = ".tmp"
# Notifications name internal hosts and people: files and folders are the receiver's user's
# only (tempfile.mkstemp makes its files 0600).
_FOLDER_MODE = 0o700
# Folders whose real path was checked to be inside the root; bounded, as hours keep coming.
_MAX_CHECKED_FOLDERS = 4096
# A staged file lives from its mkstemp() to its link, well under STORAGE_TIMEOUT_SECONDS
# (at most an hour) even when storage hangs; one older than this was left by a crash.
STALE_STAGED_SECONDS = 2 * 3600
# The names tempfile.mkstemp() gives the files _stage() writes; nothing else in .tmp/ is ours.
_STAGED_NAME = re.compile(r"tmp[a-z0-9_]{8}")


class LocalArchive:
    """An archive rooted at a local directory (created on first write)."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root.absolute()
        self.url = str(self.root)
        # Resolved once: create() runs per request, and resolving costs a stat per component.
        self._real_root = os.path.realpath(self.root)
        self._inside_root = os.path.join(self._real_root, "")
        self._staging = os.path.join(self._real_root, _STAGING)
        self._checked_folders: set[str] = set()
        # Folders a reader found inside the root by their real path (_open_inside).
        self._readable_folders: set[str] = set()
        # Set by the first write of this process: a reader (the CLI) never deletes anything.
        self._staging_swept = False
        # Concurrent writes into one folder share its flush (folder_flush.py).
        self._folder_flushes = FolderFlushes()
        # Until a setxattr says the filesystem has no user xattrs: then sidecars, always.
        self._attributes = True

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        path = self._creation_path(name)
        folder = os.path.dirname(path)
        sidecar = path + METADATA_SUFFIX
        encoded_metadata = json.dumps(dict(metadata), ensure_ascii=False).encode()
        try:
            if not self._staging_swept:
                self._sweep_stale_staged()
            self._check_folder(self._staging)
            self._check_folder(folder)
            # Checked first, so a resend of a stored body is a duplicate even on a full or
            # read-only disk, and never writes the body again.
            if os.path.exists(path):
                self._settle_duplicate(folder, path, encoded_metadata)
                return False
            staged_body, holds_metadata = self._stage(body, encoded_metadata)
            try:
                staged_sidecar = None if holds_metadata else self._stage(encoded_metadata)[0]
                try:
                    if not self._link_into(folder, staged_body, path):
                        self._settle_duplicate(folder, path, encoded_metadata)
                        return False
                    # Body first: a crash before this leaves a complete body without its
                    # sidecar (readers fall back to the body; a resend repairs it). replace(),
                    # not link(): a concurrent duplicate may have repaired it meanwhile, and
                    # the metadata of the request that created the body wins.
                    if staged_sidecar is not None:
                        os.replace(staged_sidecar, sidecar)
                finally:
                    if staged_sidecar is not None:
                        _unlink_if_present(staged_sidecar)
            finally:
                os.unlink(staged_body)
            self._folder_flushes.flush_after_link(folder)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {self.root}: {_error_reason(error)}") from None
        return True

    def _link_into(self, folder: str, staged: str, path: str) -> bool:
        """Link a staged file to path; False if path exists.

        A folder removed since it was checked (say, by a retention job) is made again.
        """
        try:
            return _link(staged, path)
        except FileNotFoundError:
            self._checked_folders.discard(folder)
            self._check_folder(folder)
            return _link(staged, path)

    def _settle_duplicate(self, folder: str, path: str, encoded_metadata: bytes) -> None:
        """Before answering "already stored": repair missing metadata, flush the folder.

        The body was flushed before it was linked, but the request that linked it may still
        be flushing the folder (or have given up on it); a 2xx must not come before that.
        """
        if not local_metadata.present(path) and not (
            self._attributes and local_metadata.repair(path, encoded_metadata)
        ):
            staged, _ = self._stage(encoded_metadata)
            try:
                _link(staged, path + METADATA_SUFFIX)
            finally:
                os.unlink(staged)
        self._folder_flushes.flush_after_link(folder)

    def _check_folder(self, folder: str) -> None:
        """Make the folder if needed; refuse one that a symlink leads outside the root.

        Names are checked by spelling per request (_creation_path); the real path of each
        folder only once, as resolving costs an lstat per path component.
        """
        if folder in self._checked_folders:
            return
        self._make_folders_inside(folder)
        self._refuse_outside(folder)
        if len(self._checked_folders) >= _MAX_CHECKED_FOLDERS:
            self._checked_folders.clear()
        self._checked_folders.add(folder)

    def _make_folders_inside(self, folder: str) -> None:
        """Make folder and its missing parents, none of them under a symlink out of the root.

        The deepest folder that exists is checked before anything is made in it: a day
        folder symlinked elsewhere must not get hour folders made outside the archive.
        """
        existing = folder
        while not os.path.isdir(existing):
            existing = os.path.dirname(existing)
        if existing != folder:
            if existing.startswith(self._inside_root):  # not the root or above it (first write)
                self._refuse_outside(existing)
            _make_folders(folder)

    def _refuse_outside(self, folder: str) -> None:
        real = os.path.realpath(folder)
        if not self._is_inside(real):
            raise StorageUnavailable(
                f"cannot write {self.root}: {folder} leads outside it (to {real}); "
                "archive folders must not be symlinks out of the archive"
            )

    def _sweep_stale_staged(self) -> None:
        """Remove what a crash left in .tmp/: our staged files, once older than any live write.

        Only regular files with a staged name and a stale mtime go (never a symlink, folder
        or someone's file), by lstat, so nothing outside .tmp/ is touched. A staged file is
        only ever a second link to a body already in place, or a body never linked: a crash
        loses no notification that a 2xx was sent for.
        """
        self._staging_swept = True
        if not os.path.isdir(self._staging):
            return
        self._refuse_outside(self._staging)
        stale_before = time.time() - STALE_STAGED_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._staging) as entries:
            for entry in entries:
                if not _STAGED_NAME.fullmatch(entry.name):
                    continue
                with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
                    status = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(status.st_mode) and status.st_mtime < stale_before:
                        os.unlink(entry.path)

    def objects(self, prefix: str) -> Iterator[StoredObject]:
        folder, _, _ = prefix.rpartition("/")
        base = self._path(folder) if folder else self.root
        if not base.is_dir():
            return
        # Names by string slicing: Path.relative_to took two thirds of listing 10,000 objects.
        root_length = len(self._real_root) + 1
        for directory, subdirectories, files in os.walk(base):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            for file_name in sorted(files):
                if file_name.startswith(".") or file_name.endswith(METADATA_SUFFIX):
                    continue
                path = os.path.join(directory, file_name)  # a str: a Path per object costs
                name = path[root_length:].replace(os.sep, "/")
                if name.startswith(prefix):
                    try:
                        described = self._stored_object(path, name)
                    except FileNotFoundError:
                        continue  # removed since the walk, or a symlink to nothing
                    yield described

    def listing_signature(self, prefix: str) -> list[list[Any]]:
        """What objects(prefix) depends on, cheaply: each folder and file with its stat.

        Name, size, inode, mtime and ctime (which changes with any write, link, rename or
        extended attribute) of everything under the prefix, metadata sidecars included: equal
        signatures mean objects(prefix) would describe the same objects the same way. One
        stat per file, no file opened: what lets a reader reuse an earlier listing.

        Raises:
            ValueError: the prefix leads outside the root (as objects() would refuse it).
        """
        folder = prefix.rpartition("/")[0]
        base = self._real_path(folder) if folder else self._real_root
        signature: list[list[Any]] = []
        pending = [base]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as listed:
                    found = sorted(listed, key=lambda entry: entry.name)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in found:
                if entry.name.startswith("."):
                    continue
                try:
                    status = entry.stat()
                except OSError:
                    status = entry.stat(follow_symlinks=False)  # a symlink to nothing
                signature.append(
                    [
                        entry.path[len(base) :],
                        status.st_size,
                        status.st_ino,
                        status.st_mtime_ns,
                        status.st_ctime_ns,
                    ]
                )
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
        return signature

    def list_folders(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        try:
            entries = sorted(os.scandir(base), key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        return [
            f"{prefix}{entry.name}/"
            for entry in entries
            if entry.is_dir() and not entry.name.startswith(".")
        ]

    def read(self, name: str) -> bytes:
        try:
            with open(self._open_inside(name), "rb") as body:
                return body.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no object {name!r} in {self.url}") from None

    def _open_inside(self, name: str) -> int:
        """A descriptor for reading name, whose file was checked to be inside the root.

        A reader reads every body of a year: resolving each path (an lstat per component)
        took a third of it. So a folder's real path is checked once, and a body that is not
        itself a symlink (O_NOFOLLOW) is then inside it; a symlinked body is resolved whole.

        Raises:
            ValueError: the folder or the symlinked body leads outside the root.
        """
        path = os.path.normpath(os.path.join(self._real_root, name))
        folder = os.path.dirname(path)
        if folder not in self._readable_folders:
            self._resolved_inside(folder, name)
            if len(self._readable_folders) >= _MAX_CHECKED_FOLDERS:
                self._readable_folders.clear()
            self._readable_folders.add(folder)
        try:
            descriptor = os.open(path, _READ_FLAGS | os.O_NOFOLLOW)
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            descriptor = os.open(self._real_path(name), _READ_FLAGS)  # where the symlink leads
        return _regular_file(descriptor, name)

    def stat(self, name: str) -> StoredObject:
        path = self._path(name)
        if not path.is_file():
            raise NotFound(f"no object {name!r} in {self.url}")
        return self._stored_object(path, name)

    def _stored_object(self, path: str | pathlib.Path, name: str) -> StoredObject:
        """The file at path as listings describe it, with its metadata in either form."""
        metadata = local_metadata.read(os.fspath(path))
        return StoredObject(name=name, size=os.stat(path).st_size, metadata=metadata)

    def _path(self, name: str) -> pathlib.Path:
        return pathlib.Path(self._real_path(name))

    def _creation_path(self, name: str) -> str:
        """Where a new object goes, checked by its spelling alone.

        create() runs per request, and realpath costs an lstat per path component.
        """
        path = os.path.normpath(os.path.join(self._real_root, name))
        if not path.startswith(self._inside_root):
            raise ValueError(f"object name {name!r} escapes the archive root")
        return path

    def _real_path(self, name: str) -> str:
        return self._resolved_inside(os.path.join(self._real_root, name), name)

    def _resolved_inside(self, path: str, name: str) -> str:
        """path resolved; ValueError (naming `name`) if that leads outside the root."""
        real = os.path.realpath(path)
        if not self._is_inside(real):
            raise ValueError(f"{name} leads outside the archive root (to {real}); not read")
        return real

    def _is_inside(self, real: str) -> bool:
        """Whether a resolved path is the root or below it."""
        return real == self._real_root or real.startswith(self._inside_root)

    def _stage(self, data: bytes, metadata: bytes | None = None) -> tuple[str, bool]:
        """A file under .tmp/ holding data, flushed to disk: its path, and if it holds metadata.

        Metadata, if given, is set as the file's attribute before its fsync where it can be.
        """
        try:
            descriptor, staged = tempfile.mkstemp(dir=self._staging)
        except FileNotFoundError:
            # Only the first write (or one after someone removed .tmp) pays for the mkdir.
            self._make_folders_inside(self._staging)
            descriptor, staged = tempfile.mkstemp(dir=self._staging)
        holds_metadata = False
        try:
            try:
                remaining = memoryview(data)
                while remaining:
                    remaining = remaining[os.write(descriptor, remaining) :]
                if metadata is not None and self._attributes:
                    holds_metadata = self._attach(descriptor, metadata)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except BaseException:
            os.unlink(staged)
            raise
        return staged, holds_metadata

    def _attach(self, descriptor: int, metadata: bytes) -> bool:
        """Set metadata as the staged file's attribute, before its fsync; False: a sidecar."""
        try:
            return local_metadata.attach(descriptor, metadata)
        except local_metadata.AttributesUnsupported:
            self._attributes = False
            return False


def _link(source: str, path: str) -> bool:
    """Hard-link source to path; False if path exists (link() never replaces a name)."""
    try:
        os.link(source, path)
    except FileExistsError:
        return False
    return True


# O_NONBLOCK: a FIFO dropped into a partition would otherwise block the open until a writer
# came; a regular file reads the same with it.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK


def _regular_file(descriptor: int, name: str) -> int:
    """The descriptor if it is a regular file's; else it is closed and OSError raised."""
    mode = os.fstat(descriptor).st_mode
    if stat.S_ISREG(mode):
        return descriptor
    os.close(descriptor)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
    raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)", name)


def _unlink_if_present(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _make_folders(folder: str) -> None:
    """Make folder and any missing parents (0700), each flushed into its parent."""
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    for new_folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by a concurrent request
            os.mkdir(new_folder, _FOLDER_MODE)
        fsync_directory(os.path.dirname(new_folder))


def _error_reason(error: OSError) -> str:
    """Why a write failed (the OS's reason), with what to fix for a full or read-only disk."""
    reason = os.strerror(error.errno) if error.errno else str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{reason} (free space on the archive's disk)"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{reason} (the receiver needs write access to the archive directory)"
    return reason
