"""Where notifications are kept: one small interface, a GCS and a local implementation.

Names passed to an archive are relative to its root (`gs://bucket/prefix` or a directory)
and come from alertarchive.archive.layout; an archive never writes outside its root.
"""

from __future__ import annotations

import dataclasses
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


URL_FORMS = "gs://BUCKET[/PREFIX], file:///path or a directory path"


def check_archive_url(url: str) -> None:
    """Refuse a URL that no backend serves, rather than archive to a folder named after it.

    Raises:
        ValueError: naming the forms that work.
    """
    scheme, separator, _ = url.partition("://")
    if separator and scheme not in ("gs", "file"):
        raise ValueError(f"{scheme}:// is not supported; use {URL_FORMS}")
    if not separator and url.lower().startswith(("gs:", "gcs:")):
        raise ValueError(f"not a gs:// URL; use {URL_FORMS}")


def open_archive(url: str, timeout_seconds: float = 8.0) -> Archive:
    """The archive an ARCHIVE_URL names: `gs://bucket[/prefix]`, `file://dir` or a path.

    The GCS client is imported only for gs:// URLs: it costs ~0.3 s of start-up.

    Raises:
        ValueError: the URL names no archive this could write (see check_archive_url), or
            a local path that is a file.
    """
    check_archive_url(url)
    if url.startswith("gs://"):
        from alertarchive.archive.storage.gcs import GcsArchive

        return GcsArchive.from_url(url, timeout_seconds=timeout_seconds)
    from alertarchive.archive.storage.local import LocalArchive

    archive = LocalArchive.from_url(url)
    if archive.root.exists() and not archive.root.is_dir():
        raise ValueError(f"{archive.root} is a file, not a directory; use {URL_FORMS}")
    return archive
