"""Earlier listings of a local archive's partitions, reused while nothing in them changed.

Listing a partition reads every object's metadata (an extended attribute or a sidecar) and
checks it; a year is 100,000 of them, and most partitions are past hours that never change
again. So the entries (and notices) a partition listed to are kept under
$XDG_CACHE_HOME/alertarchive/listings/, with the partition's signature: the name, size,
inode, mtime and ctime of every folder and file in it (LocalArchive.listing_signature, one
stat per file, nothing opened). A listing is reused only when the signature is the same now,
so anything written, linked, renamed, removed or given other metadata makes it listed afresh.

- Keyed by the archive's real path and the partition; one JSON file per partition, written
  to a temporary file and renamed into place (concurrent CLIs see a whole file or none).
- Best effort: a file that cannot be read, parsed or written, or holds a field of another type,
  is a miss, never an error. It is trusted as the user's own files are (it is not checked
  against the archive: that would be the listing it saves).
- A partition where something could not be read is not kept (the error may pass).
- About 300 bytes per notification; `--no-cache` neither reads nor writes it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import orjson

from alertarchive import __version__
from alertarchive.browse import body_cache
from alertarchive.browse.catalog import Entry, Notice

# Bumped when what a listing stores, or how entries are built, changes.
_FORMAT = f"1/{__version__}"
_FIELDS = tuple(field.name for field in dataclasses.fields(Entry))
_RECEIVED_AT = _FIELDS.index("received_at")
_ERRORS = _FIELDS.index("validation_errors")
_TEXT_FIELDS = tuple(
    index
    for index, name in enumerate(_FIELDS)
    if name
    in (
        "status",
        "receiver",
        "alertnames_text",
        "source",
        "user_agent",
        "group_key",
        "notification_reason",
    )
)


def default_root() -> pathlib.Path:
    """$XDG_CACHE_HOME/alertarchive/listings (beside the body cache)."""
    return body_cache.default_root().parent / "listings"


class ListingCache:
    """The kept listings of one local archive."""

    def __init__(self, root: pathlib.Path, archive_path: str) -> None:
        self.folder = root / hashlib.sha256(archive_path.encode()).hexdigest()[:32]

    def get(
        self, prefix: str, signature: list[list[Any]]
    ) -> tuple[list[Entry], list[Notice]] | None:
        """The entries and notices prefix listed to, if its signature is still this one."""
        try:
            kept = orjson.loads(self._path(prefix).read_bytes())
            now = (_FORMAT, prefix, _digest(signature))
            if (kept["format"], kept["prefix"], kept["signature"]) != now:
                return None
            entries = [_entry(row) for row in kept["entries"]]
            notices = [_notice(row) for row in kept["notices"]]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return entries, notices

    def put(
        self,
        prefix: str,
        signature: list[list[Any]],
        entries: Sequence[Entry],
        notices: Sequence[Notice],
    ) -> None:
        """Keep a prefix's listing (best effort)."""
        document = {
            "format": _FORMAT,
            "prefix": prefix,
            "signature": _digest(signature),
            "entries": [_row(entry) for entry in entries],
            "notices": [[notice.kind, notice.why, notice.name] for notice in notices],
        }
        with contextlib.suppress(OSError, TypeError):
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            try:
                with os.fdopen(descriptor, "wb") as written:
                    written.write(orjson.dumps(document))
                os.replace(temporary, self._path(prefix))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise

    def _path(self, prefix: str) -> pathlib.Path:
        return self.folder / (hashlib.sha256(prefix.encode()).hexdigest()[:32] + ".json")


def _digest(signature: list[list[Any]]) -> str:
    return hashlib.sha256(orjson.dumps(signature)).hexdigest()


def _row(entry: Entry) -> list[Any]:
    row: list[Any] = [getattr(entry, name) for name in _FIELDS]
    row[_RECEIVED_AT] = entry.received_at.isoformat()
    row[_ERRORS] = list(entry.validation_errors)
    return row


def _entry(row: list[Any]) -> Entry:
    """An entry from a kept row, every field of the type Entry holds (else ValueError)."""
    if len(row) != len(_FIELDS) or not all(map(_of_type, row, _TYPES)):
        raise ValueError("a listing of another shape")
    received_at = datetime.datetime.fromisoformat(row[_RECEIVED_AT])
    if received_at.tzinfo is None or not all(type(error) is str for error in row[_ERRORS]):
        raise ValueError("a listing of another shape")
    row[_RECEIVED_AT] = received_at
    row[_ERRORS] = tuple(row[_ERRORS])
    for index in _TEXT_FIELDS:
        row[index] = sys.intern(row[index])
    return Entry(*row)


def _notice(row: list[Any]) -> Notice:
    if len(row) != 3 or not all(type(field) is str for field in row):
        raise ValueError("a notice of another shape")
    return Notice(*row)


def _of_type(value: Any, wanted: tuple[type, ...]) -> bool:
    return type(value) in wanted


# Each kept field's JSON type, in Entry's order (received_at as ISO text, errors as a list).
_TYPES = tuple(
    {
        "size": (int,),
        "alert_count": (int, type(None)),
        "quarantined": (bool,),
        "validation_errors": (list,),
    }.get(name, (str,))
    for name in _FIELDS
)
