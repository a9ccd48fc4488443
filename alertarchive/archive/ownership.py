"""Which listed objects the receiver wrote, so that nothing else is read as a notification.

A bucket or folder can hold what others put there: the GCS console's folder placeholders
(`…/hour=19/`, empty), a `notes.txt`, a copy under the wrong name. The receiver's objects
are recognised by their name (layout.object_name's pattern, ending in the body's sha256)
and by their metadata naming that same body, or, without metadata, by the body's hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from alertarchive.archive import layout
_NAME = re.compile(
    rf"(?:{layout.ARCHIVED}/(?=.*\.json$)|{layout.QUARANTINED}/)"
    r"dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/hour=(?:[01][0-9]|2[0-3])/"
    r"source=[A-Za-z0-9][A-Za-z0-9_.-]{0,62}/"
    r"(?:firing|resolved|unknown)-[A-Za-z0-9_-]{1,60}-(?P<sha256>[0-9a-f]{64})\.(?:json|bin)"
)
# Why an object is not the receiver's, said of "N objects …".
NOT_ITS_NAME = "named unlike the objects alertarchive writes"
NOT_ITS_BODY = "with a body that does not match the sha256 in its name"
NOT_ITS_METADATA = "with metadata describing another body"


def sha256_in_name(name: str) -> str | None:
    """The body hash a receiver-written name ends with; None for names it would not write."""
    match = _NAME.fullmatch(name)
    return match.group("sha256") if match else None


def usable_metadata(metadata: Any) -> Mapping[str, str] | None:
    """The metadata if it has the receiver's shape (strings, naming a body), else None."""
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("body_sha256"), str):
        return None
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()):
        return None
    return metadata


def mismatch(metadata: Mapping[str, str], name_sha256: str, size: int) -> str | None:
    """Why usable metadata does not describe the object it is stored with, or None."""
    if metadata["body_sha256"] != name_sha256:
        return NOT_ITS_METADATA
    recorded = metadata.get("body_size")
    if recorded is not None and recorded != str(size):
        return f"with a size other than the {recorded} bytes alertarchive stored"
    return None
