"""A local object's metadata on disk, in whichever form the archive wrote it (attribute or sidecar).

Tests that inspect, lose or spoil metadata go through these, so that they act on what the
readers read, on a filesystem with user xattrs or without.
"""

from __future__ import annotations

import json
import os
import pathlib

from alertarchive.archive.storage.local_metadata import ATTRIBUTE, SIDECAR_SUFFIX


def in_attribute(body: pathlib.Path) -> bool:
    try:
        os.getxattr(body, ATTRIBUTE)
    except OSError:
        return False
    return True


def stored_metadata(body: pathlib.Path) -> dict:
    """The metadata JSON stored with body, read straight from disk."""
    if in_attribute(body):
        return json.loads(os.getxattr(body, ATTRIBUTE))
    return json.loads(sidecar(body).read_bytes())


def drop_metadata(body: pathlib.Path) -> None:
    """Lose body's metadata, as a crash between its link and its sidecar would."""
    if in_attribute(body):
        os.removexattr(body, ATTRIBUTE)
    else:
        sidecar(body).unlink()


def overwrite_metadata(body: pathlib.Path, raw: bytes) -> None:
    """Replace body's stored metadata with raw bytes, where readers will read them."""
    if in_attribute(body):
        os.setxattr(body, ATTRIBUTE, raw)
    else:
        sidecar(body).write_bytes(raw)


def sidecar(body: pathlib.Path) -> pathlib.Path:
    return body.with_name(body.name + SIDECAR_SUFFIX)
