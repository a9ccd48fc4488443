"""A directory as an archive, with the same create-only promise as GCS.

Layout on disk mirrors the bucket: `<root>/<name>` holds the exact body and
`<root>/<name>.meta` its metadata as JSON. Each is written to a file without a name
(O_TMPFILE, in its final folder), flushed to disk and only then hard-linked into place:
link() fails if the name exists, which makes the create exclusive and atomic, so readers
never see a partial body under a real name, and a crash before the link leaves nothing.
Where unnamed files are unavailable, files are staged under `<root>/.tmp/` instead.
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
_UNNAMED_FLAGS = getattr(os, "O_TMPFILE", 0) | os.O_WRONLY | os.O_CLOEXEC
_PROC_FD = "/proc/self/fd/{}"
# Notifications can name internal hosts and people: readable by the receiver's user only, as
# tempfile.mkstemp makes the staged files.
_FILE_MODE = 0o600
# What open(O_TMPFILE) fails with where the filesystem or kernel has no unnamed files.
_NO_UNNAMED_FILES = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)


class LocalArchive:
    """An archive rooted at a local directory (created on first write)."""

    def __init__(self, root: pathlib.Path, *, staged: bool = False) -> None:
        """`staged=True` writes through `<root>/.tmp/` even where unnamed files work."""
        self.root = root.absolute()
        self.url = str(self.root)
        # Resolved once: create() runs per request, and resolving costs a stat per component.
        self._real_root = os.path.realpath(self.root)
        self._inside_root = os.path.join(self._real_root, "")
        self._staging = os.path.join(self.root, _STAGING)
        # Unnamed files save a create, an unlink and their syscalls per write; where the
        # kernel, filesystem or /proc cannot do them, bodies are staged under .tmp/ instead.
        self._unnamed_files = (
            not staged and hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
        )

    @classmethod
    def from_url(cls, url: str) -> LocalArchive:
        if url.startswith("file://"):
            url = urllib.parse.unquote(urllib.parse.urlparse(url).path)
        return cls(pathlib.Path(url).expanduser())

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        path = self._creation_path(name)
        folder = os.path.dirname(path)
        sidecar = path + METADATA_SUFFIX
        try:
            created = self._place(folder, body, path)
            # The body is in place first, so a crash here leaves a complete body without a
            # sidecar (readers fall back to the body; a retry repairs it), never metadata
            # without a body.
            if not created and os.path.exists(sidecar):
                return False
            self._place(folder, json.dumps(dict(metadata), ensure_ascii=False).encode(), sidecar)
            _fsync_directory(folder)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {self.root}: {_describe(error)}") from None
        return created

    def _place(self, folder: str, data: bytes, path: str) -> bool:
        """Write data durably, then give it the name `path`: False if the name was taken."""
        if self._unnamed_files:
            try:
                descriptor = _open_unnamed(folder)
            except OSError as error:
                if error.errno not in _NO_UNNAMED_FILES:
                    raise
                self._unnamed_files = False
            else:
                try:
                    _write_durably(descriptor, data)
                    return _link(_PROC_FD.format(descriptor), path, via=descriptor)
                finally:
                    os.close(descriptor)
        staged = self._stage(data)
        try:
            return _link(staged, path)
        finally:
            os.unlink(staged)

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

    def _creation_path(self, name: str) -> str:
        """Where a new object goes, checked by its spelling alone.

        create() runs per request, and realpath costs an lstat per path component.
        """
        path = os.path.normpath(os.path.join(self._real_root, name))
        if not path.startswith(self._inside_root):
            raise ValueError(f"object name {name!r} escapes the archive root")
        return path

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
                _write_durably(descriptor, data)
            finally:
                os.close(descriptor)
        except BaseException:
            os.unlink(staged)
            raise
        return staged


def _sidecar(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + METADATA_SUFFIX)


def _open_unnamed(folder: str) -> int:
    """A file in folder that has no name yet (O_TMPFILE): it vanishes if we crash before link."""
    try:
        return os.open(folder, _UNNAMED_FLAGS, _FILE_MODE)
    except FileNotFoundError:
        # Only the first write into an hour's folder pays for the mkdir.
        os.makedirs(folder, exist_ok=True)
        return os.open(folder, _UNNAMED_FLAGS, _FILE_MODE)


def _write_durably(descriptor: int, data: bytes) -> None:
    remaining = memoryview(data)
    while remaining:
        remaining = remaining[os.write(descriptor, remaining) :]
    os.fsync(descriptor)


def _link(source: str, path: str, via: int | None = None) -> bool:
    """Hard-link source to path, making path's folder if needed; False if path exists.

    link() never replaces an existing name, which makes the create exclusive and atomic.
    With `via` (any open descriptor), os.link calls linkat(AT_SYMLINK_FOLLOW), which
    /proc/self/fd/N needs to name an O_TMPFILE file; without a dir fd it calls plain link().
    """
    extra = {"src_dir_fd": via} if via is not None else {}
    try:
        try:
            os.link(source, path, **extra, follow_symlinks=True)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.link(source, path, **extra, follow_symlinks=True)
    except FileExistsError:
        return False
    return True


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
