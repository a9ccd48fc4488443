"""A local cache of bodies read from a gs:// archive, so each body is downloaded once.

The receiver's objects are immutable and named by their body's sha256 (layout.object_name,
quarantined bodies included), so the bytes under a name never change and the hash in the
name says what they must be. The cache is keyed by that hash: one file per body, under
$XDG_CACHE_HOME/alertarchive/bodies/ (default ~/.cache), in folders named by the hash's
first two digits.

- Verified: a cached file is served only when its bytes hash to its name; anything else
  (truncated, corrupted, edited) is deleted and the body downloaded again. A downloaded body
  that does not hash to its name is returned as read but never cached.
- Safe under concurrent CLIs: a body is written to a temporary file in its own folder and
  renamed into place, so a reader sees the whole file or none. Two CLIs writing one body
  write the same bytes; the last rename wins.
- Bounded: at most ALERTARCHIVE_CACHE_MAX_BYTES (default 1 GiB; 0 turns the cache off).
  A hit marks the file used (its mtime); when a process's writes may have crossed the cap,
  the least recently used files are deleted down to 90% of it. The folder is scanned only
  then (once by the first write of a run, again after each tenth of the cap written), never
  on a read.
- Best effort: a cache that cannot be read or written (read-only disk, permissions) is a
  miss, never an error.

Local archives are never cached (they are already on this disk); nor are objects not named
like the receiver's (a name carries no hash to check), e.g. recorder events.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pathlib
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping

from alertarchive.archive import ownership
from alertarchive.archive.storage import Archive, StoredObject
from alertarchive.browse.errors import UserError

DEFAULT_MAX_BYTES = 1024**3
MAX_BYTES_VARIABLE = "ALERTARCHIVE_CACHE_MAX_BYTES"
# After eviction the cache holds at most this share of the cap, so the next runs write a
# while before another scan.
_EVICT_TO = 0.9
# A temporary file this old was left by a CLI that died mid-write.
_STALE_TEMP_SECONDS = 3600.0
_TEMP_PREFIX = ".tmp-"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BadCacheSetting(UserError):
    """ALERTARCHIVE_CACHE_MAX_BYTES is not a number of bytes."""


def default_root(environ: Mapping[str, str] | None = None) -> pathlib.Path:
    """$XDG_CACHE_HOME/alertarchive/bodies, or ~/.cache/… (a relative XDG_CACHE_HOME is ignored)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME", "")
    root = pathlib.Path(base) if base and os.path.isabs(base) else pathlib.Path.home() / ".cache"
    return root / "alertarchive" / "bodies"


def max_bytes_from_environment() -> int:
    """The cap from ALERTARCHIVE_CACHE_MAX_BYTES (default 1 GiB).

    Raises:
        BadCacheSetting: not a whole number of bytes, or negative.
    """
    text = os.environ.get("ALERTARCHIVE_CACHE_MAX_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise BadCacheSetting(
            f"{MAX_BYTES_VARIABLE}={text!r}: give a number of bytes (0 turns the cache off)"
        )
    return value


@dataclasses.dataclass
class _Usage:
    """What this process knows of the cache's size: measured at a scan, plus its own writes."""

    total: int | None = None
    written_since_scan: int = 0


class BodyCache:
    """Bodies by sha256 in one folder; see the module's docstring for the promises."""

    def __init__(self, root: pathlib.Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._usage = _Usage()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def path(self, sha256: str) -> pathlib.Path:
        return self.root / sha256[:2] / sha256

    def get(self, sha256: str) -> bytes | None:
        """The cached body with this hash, or None (missing, unreadable, or not that body)."""
        path = self.path(sha256)
        try:
            body = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        if hashlib.sha256(body).hexdigest() != sha256:
            # Truncated or corrupted: never served; the caller downloads it again.
            with contextlib.suppress(OSError):
                path.unlink()
            self.misses += 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last to be evicted
        self.hits += 1
        return body

    def put(self, sha256: str, body: bytes) -> None:
        """Keep body under its hash (atomically), unless it is not that body or too big."""
        if (
            not _SHA256.fullmatch(sha256)
            or len(body) > self.max_bytes
            or hashlib.sha256(body).hexdigest() != sha256
        ):
            return
        path = self.path(sha256)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(body)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return
        self._wrote(len(body))

    def _wrote(self, size: int) -> None:
        with self._lock:
            usage = self._usage
            usage.written_since_scan += size
            known = None if usage.total is None else usage.total + usage.written_since_scan
            due = (
                known is None
                or known > self.max_bytes
                or usage.written_since_scan >= self.max_bytes // 10
            )
            if due:
                usage.total = self.evict()
                usage.written_since_scan = 0

    def evict(self) -> int:
        """Delete least recently used bodies until the cache is within its cap; its size after."""
        now = time.time()
        files: list[tuple[float, int, str]] = []
        total = 0
        for entry in self._files():
            try:
                status = entry.stat()
            except OSError:
                continue
            if entry.name.startswith(_TEMP_PREFIX):
                if now - status.st_mtime > _STALE_TEMP_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                continue
            files.append((status.st_mtime, status.st_size, entry.path))
            total += status.st_size
        if total <= self.max_bytes:
            return total
        target = int(self.max_bytes * _EVICT_TO)
        for _, size, path in sorted(files):
            if total <= target:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # another CLI may have evicted it first
            total -= size
        return total

    def _files(self) -> Iterator[os.DirEntry[str]]:
        try:
            shards = list(os.scandir(self.root))
        except OSError:
            return
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False):
                continue
            try:
                with os.scandir(shard.path) as entries:
                    yield from (entry for entry in entries if entry.is_file(follow_symlinks=False))
            except OSError:
                continue


class CachedArchive:
    """An archive whose receiver-named bodies are read through a BodyCache."""

    def __init__(self, archive: Archive, cache: BodyCache) -> None:
        self.archive = archive
        self.cache = cache
        self.url = archive.url

    def read(self, name: str) -> bytes:
        sha256 = ownership.sha256_in_name(name)
        if sha256 is None:
            return self.archive.read(name)
        cached = self.cache.get(sha256)
        if cached is not None:
            return cached
        body = self.archive.read(name)
        self.cache.put(sha256, body)
        return body

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        return self.archive.create(name, body, metadata, content_type)

    def objects(self, prefix: str) -> Iterator[StoredObject]:
        return self.archive.objects(prefix)

    def list_folders(self, prefix: str) -> list[str]:
        return self.archive.list_folders(prefix)

    def stat(self, name: str) -> StoredObject:
        return self.archive.stat(name)


def cached(archive: Archive) -> Archive:
    """Archive read through the cache in default_root(), as the environment configures it.

    Raises:
        BadCacheSetting: ALERTARCHIVE_CACHE_MAX_BYTES is not a number of bytes.
    """
    max_bytes = max_bytes_from_environment()
    if max_bytes == 0:
        return archive
    return CachedArchive(archive, BodyCache(default_root(), max_bytes))
