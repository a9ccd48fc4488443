"""Object names in the archive: pure functions of (body, receipt time, source).

    alerts/dt=2026-11-27/hour=04/source=default/firing-KubeJobFailed-<sha256 of body>.json

Date partitions come first (Hive style, so BigQuery and DuckDB read them as columns and the
CLI lists only the hours it needs); within a partition the name depends on the body alone,
so a byte-identical retry lands on the same name and the create-only write stores it once.
The readable part is sanitised to [A-Za-z0-9_-] and bounded; the full hash keeps distinct
bodies apart whatever the sanitising folded together.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

ARCHIVED = "alerts"
QUARANTINED = "quarantine"
DEFAULT_SOURCE = "default"

_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_TITLE_CHARS = 60
_STATUSES = ("firing", "resolved")

# Longest possible name: well under GCS's 1,024-byte limit even with a long bucket prefix.
MAX_NAME_BYTES = len(
    f"{QUARANTINED}/dt=0000-00-00/hour=00/source={'s' * 63}/resolved-{'t' * _MAX_TITLE_CHARS}-"
    f"{'0' * 64}.json"
)


class InvalidSource(ValueError):
    """A source tag outside the safe character set."""


def validate_source(source: str) -> str:
    """Return the source tag if it is safe to use as a path segment.

    Raises:
        InvalidSource: naming the allowed characters.
    """
    if not _SOURCE.fullmatch(source):
        raise InvalidSource(
            "source must be 1-63 characters of A-Z a-z 0-9 _ . - starting with a letter or digit"
        )
    return source


def partition(kind: str, received_at: datetime.datetime, source: str) -> str:
    """The folder of one hour of one source, e.g. `alerts/dt=2026-11-27/hour=04/source=eu/`."""
    utc = received_at.astimezone(datetime.UTC)
    # Fields, not strftime: it runs per request, and each strftime costs ~3 µs. The year
    # unpadded, as strftime's %Y gives it.
    return (
        f"{kind}/dt={utc.year}-{utc.month:02d}-{utc.day:02d}/hour={utc.hour:02d}/source={source}/"
    )


def object_name(
    kind: str,
    received_at: datetime.datetime,
    source: str,
    body_sha256: str,
    status: str,
    title: str,
    extension: str = "json",
) -> str:
    """The full object name for a body, relative to the archive root."""
    readable_status = status if status in _STATUSES else "unknown"
    return (
        f"{partition(kind, received_at, source)}"
        f"{readable_status}-{readable_title(title)}-{body_sha256}.{extension}"
    )


def readable_title(title: str) -> str:
    """An alert name folded to a safe, bounded file-name part (`Crème brûlée` → `Creme_brulee`)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("_", ascii_title).strip("_")[:_MAX_TITLE_CHARS]
    return safe or "unnamed"
