"""Where a local object's metadata lives: an extended attribute of the body, or a sidecar.

The receiver keeps an object's metadata (JSON) in the body file's `user.alertarchive.metadata`
extended attribute where the filesystem has them: set before the body is flushed, it is made
durable by the body's own fsync and linked with it, so one staged file and one fsync per
request instead of two. `getfattr -n user.alertarchive.metadata --only-values FILE` shows it.
Where the filesystem has no user xattrs (or the metadata is too large for one), it goes to
`<name>.meta` beside the body, as every archive before this did. Readers take the attribute
first, then the sidecar, so archives of either form (or both) read the same.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from typing import Any

import orjson

ATTRIBUTE = "user.alertarchive.metadata"
# Far above any metadata the receiver writes (each value is bounded: record.MAX_VALUE_BYTES).
MAX_SIDECAR_BYTES = 1024 * 1024
SIDECAR_SUFFIX = ".meta"
# The filesystem has no user xattrs (tmpfs before Linux 6.6, some NFS and FUSE mounts).
_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP}
# This value does not fit (ext4 takes one block per file): a sidecar holds it instead.
_TOO_LARGE = {errno.E2BIG, errno.ERANGE, errno.ENOSPC}
# What getxattr says of a file without the attribute, or a filesystem without xattrs.
_ABSENT = {errno.ENODATA, *_UNSUPPORTED}


class AttributesUnsupported(Exception):
    """The filesystem holds no user extended attributes: use sidecars for this archive."""


def attach(descriptor: int, encoded: bytes) -> bool:
    """Set the metadata attribute on an open file; False if this value needs a sidecar.

    Raises:
        AttributesUnsupported: the filesystem has none.
        OSError: any other failure to set it.
    """
    try:
        os.setxattr(descriptor, ATTRIBUTE, encoded)
    except OSError as error:
        if error.errno in _UNSUPPORTED:
            raise AttributesUnsupported from None
        if error.errno in _TOO_LARGE:
            return False
        raise
    return True


def read(path: str) -> dict[str, Any]:
    """The metadata stored with the body at path; {} if none can be read.

    Missing, unreadable or not JSON: readers rebuild what they need from the body (and
    check the shape of what does parse: catalog and ownership).
    """
    encoded: bytes | None
    try:
        encoded = os.getxattr(path, ATTRIBUTE)
    except OSError as error:
        if error.errno not in _ABSENT:
            return {}
        encoded = _sidecar(path + SIDECAR_SUFFIX)
    if encoded is None:
        return {}
    try:
        return orjson.loads(encoded)  # a year's listing parses 100,000 of these
    except ValueError:
        pass
    try:
        return json.loads(encoded)  # what orjson refuses and json takes (a lone surrogate)
    except ValueError:
        return {}


def _sidecar(path: str) -> bytes | None:
    """A sidecar's bytes; None if missing, unreadable, not a regular file or far too large.

    Someone else's file can sit under a sidecar's name: a FIFO would block the open, a
    symlink to /dev/zero would never end.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as sidecar:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SIDECAR_BYTES:
            return None
        return sidecar.read(MAX_SIDECAR_BYTES + 1)


def present(path: str) -> bool:
    """Whether the body at path has its metadata, in either form."""
    try:
        os.getxattr(path, ATTRIBUTE)
    except OSError:
        return os.path.exists(path + SIDECAR_SUFFIX)
    return True


def repair(path: str, encoded: bytes) -> bool:
    """Give a stored body without metadata this attribute, flushed; False if it needs a sidecar.

    Create-only: a concurrent repair's value stays (either is the body's receipt).
    """
    descriptor = os.open(path, os.O_RDONLY)
    try:
        try:
            os.setxattr(descriptor, ATTRIBUTE, encoded, os.XATTR_CREATE)
        except OSError as error:
            if error.errno == errno.EEXIST:
                return True
            if error.errno in _UNSUPPORTED or error.errno in _TOO_LARGE:
                return False
            raise
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return True
