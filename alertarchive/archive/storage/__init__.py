"""Where notifications are kept: one small interface, a GCS and a local implementation.

Names passed to an archive are relative to its root (`gs://bucket/prefix` or a directory)
and come from alertarchive.archive.layout; an archive never writes outside its root.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Protocol


class StorageUnavailable(Exception):
    """The archive could not be written or read now; the caller may retry later."""


class NotFound(Exception):
    """No object of that name, or no such bucket/directory."""


@dataclasses.dataclass(frozen=True)
class StoredObject:
    """An archived object as listings describe it."""

    name: str
    size: int
    metadata: Mapping[str, str]


class Archive(Protocol):
    """The operations the receiver and the CLI need from a store."""

    url: str

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        """Store body under name unless something is already there.

        Returns:
            True if this call created the object, False if it already existed.

        Raises:
            StorageUnavailable: nothing is known to be stored; answer so the sender retries.
        """

    def objects(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose name starts with prefix, with its metadata."""

    def list_folders(self, prefix: str) -> list[str]:
        """The immediate sub-folders of prefix (which ends with `/`), as full prefixes."""

    def read(self, name: str) -> bytes:
        """The exact bytes stored under name.

        Raises:
            NotFound: no such object.
        """

    def stat(self, name: str) -> StoredObject:
        """One object's size and metadata, without its body.

        Raises:
            NotFound: no such object.
        """


# Where the receiver archives, and the CLI reads, when ARCHIVE_URL and --archive are unset.
DEFAULT_ARCHIVE_URL = "./archive"
URL_FORMS = "gs://BUCKET[/PREFIX], file:///path or a directory path"
# A scheme followed by `:` and one slash or none (`s3:/b`, `file:x`): a URL mistyped, which
# as a path would become a folder named after the scheme. `./s3:/b` still names that folder.
_MISTYPED_URL = re.compile(r"(?i)(gs|gcs|file|[a-z][a-z0-9+.-]*(?=:/))(:)")


class BadArchiveUrl(ValueError):
    """An ARCHIVE_URL or --archive value that names no archive; the message says what works."""


@dataclasses.dataclass(frozen=True)
class GcsLocation:
    """`gs://BUCKET[/PREFIX]`: objects named PREFIX/... in BUCKET."""

    bucket: str
    prefix: str


@dataclasses.dataclass(frozen=True)
class LocalLocation:
    """A directory: a plain path (relative to the working directory) or `file:///path`."""

    path: pathlib.Path


def parse_archive_url(url: str) -> GcsLocation | LocalLocation:
    """The one reading of an archive URL, shared by the receiver and the CLI.

    `gs://BUCKET[/PREFIX]`; `file:///ABSOLUTE/PATH`, %-decoded; or a relative or absolute
    path, `~` expanded. Everything else is refused rather than read some other way: `file://./x`
    and `file://host/x` (a host, where a path would go to /x), `file:/x` and `s3:/x` (would be
    a folder named `file:` or `s3:`), other schemes.

    Raises:
        BadArchiveUrl: naming the forms that work.
    """
    scheme, separator, rest = url.partition("://")
    if separator:
        if scheme == "gs":
            bucket, _, prefix = rest.partition("/")
            if not bucket:
                raise BadArchiveUrl(f"names no bucket; use {URL_FORMS}")
            return GcsLocation(bucket, prefix)
        if scheme == "file":
            return LocalLocation(_file_url_path(rest))
        raise BadArchiveUrl(f"{scheme}:// is not supported; use {URL_FORMS}")
    if not url:
        raise BadArchiveUrl(f"names no archive; use {URL_FORMS}")
    mistyped = _MISTYPED_URL.match(url)
    if mistyped:
        written = mistyped.group(1)
        kind = f"a {written.lower()}://" if written.lower() in ("gs", "file") else "an archive"
        raise BadArchiveUrl(f"not {kind} URL; use {URL_FORMS}")
    return LocalLocation(pathlib.Path(url).expanduser())


def _file_url_path(rest: str) -> pathlib.Path:
    """The path of `file:///...`: what follows the empty host, %-decoded."""
    if not rest.startswith("/"):
        host = rest.partition("/")[0]
        named = f"the host {host!r}" if host else "no path"
        raise BadArchiveUrl(
            f"names {named}: file:// URLs take an empty host and an absolute path "
            f"(file:///ABSOLUTE/PATH), and a relative directory is given as a plain path; "
            f"use {URL_FORMS}"
        )
    if "?" in rest or "#" in rest:
        raise BadArchiveUrl(
            f"a file:// URL's path cannot hold a raw ? or # (write %3F, %23); use {URL_FORMS}"
        )
    # As os.fsdecode reads file names: bytes that are not UTF-8 name the same file.
    path = urllib.parse.unquote(rest, errors="surrogateescape")
    if "\0" in path:
        raise BadArchiveUrl(f"a path cannot hold a NUL byte (%00); use {URL_FORMS}")
    return pathlib.Path(path)


def open_archive(url: str, timeout_seconds: float = 8.0) -> Archive:
    """The archive an ARCHIVE_URL names (see parse_archive_url).

    The GCS client is imported only for gs:// URLs: it costs ~0.3 s of start-up.

    Raises:
        BadArchiveUrl: the URL names no archive (see parse_archive_url).
        ValueError: a local path that is a file.
    """
    location = parse_archive_url(url)
    if isinstance(location, GcsLocation):
        from alertarchive.archive.storage.gcs import GcsArchive

        return GcsArchive(location.bucket, location.prefix, timeout_seconds=timeout_seconds)
    from alertarchive.archive.storage.local import LocalArchive

    archive = LocalArchive(location.path)
    if archive.root.exists() and not archive.root.is_dir():
        raise ValueError(f"{archive.root} is a file, not a directory; use {URL_FORMS}")
    return archive
