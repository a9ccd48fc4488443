"""What a valid alert timestamp is: one definition for the schema and for the CLI.

Alertmanager's Go encoder writes time.Time as RFC 3339 (time.RFC3339Nano): uppercase `T`,
0–9 fractional digits, `Z` or a `±hh:mm` offset, years 0001–9999, and Go's zero time
`0001-01-01T00:00:00Z` for "not yet". Go's parser refuses days a month does not have and
second 60. PATTERN says exactly that, calendar included, and
schema/alertmanager-webhook-v4.schema.json holds it verbatim (tests/test_timestamps.py
checks), so whatever the receiver accepts, the CLI can read: no alert passes validation and
then vanishes from `stats` and `report`.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
# Years divisible by 4 but not by 100, or by 400 (0000 is not a year Go's encoder writes).
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.][0-9]{1,9})?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
# The end of the text: Python's `$` (so the jsonschema reference) also matches before a
# final newline, ECMA 262's (so jsonschema-rs) does not; "no character follows" is the same
# in every engine.
_END = r"(?![\s\S])"
# Only syntax ECMA 262 (JSON Schema's dialect), Python's re and Rust's regex read alike.
PATTERN = f"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_TIME}{_OFFSET}{_END}"

_VALID = re.compile(PATTERN)
_FRACTION = re.compile(r"[.]([0-9]+)")
GO_ZERO_TIME = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)


def parse(value: Any) -> datetime.datetime | None:
    """The instant a valid timestamp names, timezone-aware; None for anything else.

    In UTC where Python can hold it; the few instants beyond year 1–9999 in UTC (such as
    `9999-12-31T23:59:59-14:00`) keep their own offset, which names the same instant.
    """
    if not isinstance(value, str) or not _VALID.match(value):
        return None
    # Python keeps microseconds: nanoseconds are cut, as the receiver's own times are.
    text = _FRACTION.sub(lambda digits: "." + digits.group(1)[:6].ljust(6, "0"), value)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        return moment


def is_go_zero_time(moment: datetime.datetime) -> bool:
    """Whether the instant is Go's zero time, Alertmanager's "no end yet"."""
    return moment == GO_ZERO_TIME
