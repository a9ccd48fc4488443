"""A directory as an archive, with the same create-only promise as GCS.

Layout on disk mirrors the bucket: `<root>/<name>` holds the exact body and
`<root>/<name>.meta` its metadata as JSON. Bodies are written to `<root>/.tmp/`, flushed to
disk and then hard-linked into place: link() fails if the name exists, which makes the
create exclusive and atomic, so readers never see a partial body under a real name.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping

from alertarchive.storage import NotFound, StorageUnavailable, StoredObject

METADATA_SUFFIX = ".meta"
_STAGING = ".tmp"


class LocalArchive:
    """An archive rooted at a local directory (created on first write)."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root.absolute()
        self.url = str(self.root)
        # Resolved once: create() runs per request, and resolving costs a stat per component.
        self._real_root = os.path.realpath(self.root)
        self._inside_root = os.path.join(self._real_root, "")
        self._staging = os.path.join(self.root, _STAGING)

    @classmethod
    def from_url(cls, url: str) -> LocalArchive:
        if url.startswith("file://"):
            url = urllib.parse.unquote(urllib.parse.urlparse(url).path)
        return cls(pathlib.Path(url).expanduser())

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        path = self._real_path(name)
        try:
            if os.path.exists(path):
                self._repair_sidecar(path, metadata)
                return False
            staged = self._stage(body)
            try:
                _link_creating_folders(staged, path)
            except FileExistsError:
                return False
            finally:
                os.unlink(staged)
            _fsync_directory(os.path.dirname(path))
            # The body is in place first, so a crash here leaves a complete body without a
            # sidecar (readers fall back to the body; a retry repairs it), never metadata
            # without a body.
            self._write_sidecar(path, metadata)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {self.root}: {_describe(error)}") from None
        return True

    def _repair_sidecar(self, path: str, metadata: Mapping[str, str]) -> None:
        if not os.path.exists(path + METADATA_SUFFIX):
            self._write_sidecar(path, metadata)

    def _write_sidecar(self, path: str, metadata: Mapping[str, str]) -> None:
        staged = self._stage(json.dumps(dict(metadata), ensure_ascii=False).encode())
        os.replace(staged, path + METADATA_SUFFIX)

    def list(self, prefix: str) -> Iterator[StoredObject]:
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
                path = pathlib.Path(directory, file_name)
                name = os.path.join(directory, file_name)[root_length:].replace(os.sep, "/")
                if name.startswith(prefix):
                    yield self._describe(path, name)

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
            return self._path(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no object {name!r} in {self.url}") from None

    def stat(self, name: str) -> StoredObject:
        path = self._path(name)
        if not path.is_file():
            raise NotFound(f"no object {name!r} in {self.url}")
        return self._describe(path, name)

    def _describe(self, path: pathlib.Path, name: str) -> StoredObject:
        try:
            metadata = json.loads(_sidecar(path).read_bytes())
        except (FileNotFoundError, ValueError):
            metadata = {}
        return StoredObject(name=name, size=path.stat().st_size, metadata=metadata)

    def _path(self, name: str) -> pathlib.Path:
        return pathlib.Path(self._real_path(name))

    def _real_path(self, name: str) -> str:
        path = os.path.realpath(os.path.join(self._real_root, name))
        if path != self._real_root and not path.startswith(self._inside_root):
            raise ValueError(f"object name {name!r} escapes the archive root")
        return path

    def _stage(self, data: bytes) -> str:
        try:
            descriptor, staged = tempfile.mkstemp(dir=self._staging)
        except FileNotFoundError:
            # Only the first write (or one after someone removed .tmp) pays for the mkdir.
            os.makedirs(self._staging, exist_ok=True)
            descriptor, staged = tempfile.mkstemp(dir=self._staging)
        try:
            try:
                remaining = memoryview(data)
                while remaining:
                    remaining = remaining[os.write(descriptor, remaining) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except BaseException:
            os.unlink(staged)
            raise
        return staged


def _sidecar(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + METADATA_SUFFIX)


def _link_creating_folders(staged: str, path: str) -> None:
    """Hard-link staged to path; the hour's folder is made only when the link finds none."""
    try:
        os.link(staged, path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.link(staged, path)


def _fsync_directory(directory: str) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _describe(error: OSError) -> str:
    reason = os.strerror(error.errno) if error.errno else str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{reason} (free space on the archive's disk)"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{reason} (the receiver needs write access to the archive directory)"
    return reason
