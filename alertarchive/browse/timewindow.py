"""Time windows for the CLI: parsing --since/--until, and the partitions a window touches.

Objects live under `<kind>/dt=YYYY-MM-DD/hour=HH/` by receipt time (UTC), so a window maps
to a short list of prefixes: a whole day inside the window is one `dt=` prefix, a day cut by
either end is listed hour by hour. Days with nothing stored are skipped by asking for the
`dt=` folders first, so a year-long window costs one folder listing, not 8,760 empty ones.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable

from alertarchive.browse.errors import UserError

_RELATIVE = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DAY = datetime.timedelta(days=1)
_HOUR = datetime.timedelta(hours=1)
# Above this many days, one folder listing to find the days that exist is cheaper than
# listing each hour of each day.
_DAYS_WITHOUT_FOLDER_LISTING = 2


class BadWindow(UserError):
    """A --since/--until value that is not a time, or a window that cannot hold anything."""


@dataclasses.dataclass(frozen=True)
class Moment:
    """A --since/--until value: the instant it means, and the text it was given as."""

    at: datetime.datetime
    text: str


@dataclasses.dataclass(frozen=True)
class Window:
    """Receipt times from start to end, both inclusive, timezone-aware."""

    start: datetime.datetime
    end: datetime.datetime

    def __contains__(self, moment: datetime.datetime) -> bool:
        return self.start <= moment <= self.end


def parse_moment(
    text: str, now: datetime.datetime, zone: datetime.tzinfo | None = None
) -> datetime.datetime:
    """A point in time from `90m`/`24h`/`7d`/`2w` (ago) or an ISO 8601 date or date-time.

    Date-times without an offset are read in `zone` (the zone the CLI displays times in;
    the machine's local zone when None).

    Raises:
        BadWindow: with the accepted forms.
    """
    try:
        return _parse_moment(text, now, zone).astimezone(datetime.UTC)
    except OverflowError:
        # Python's datetime holds years 1 to 9999, in UTC too.
        raise BadWindow(
            f"{text!r} is beyond the calendar: times must fall between the years 1 and 9999 "
            "(in UTC)"
        ) from None


def _parse_moment(
    text: str, now: datetime.datetime, zone: datetime.tzinfo | None
) -> datetime.datetime:
    value = text.strip()
    relative = _RELATIVE.fullmatch(value.lower())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return now - datetime.timedelta(seconds=amount * _UNIT_SECONDS[unit])
    try:
        moment = datetime.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise BadWindow(
            f"{text!r} is not a time: use a duration ago (90m, 24h, 7d, 2w) "
            "or an ISO date/date-time (2026-11-27, 2026-11-27T04:00, 2026-11-27T04:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
    return moment


def window(
    since: str,
    until: str | None,
    now: datetime.datetime,
    zone: datetime.tzinfo | None = None,
) -> Window:
    """The window between --since and --until (default: now), from their texts.

    Raises:
        BadWindow: unparsable values, a start in the future, or an end before the start.
    """
    start = Moment(parse_moment(since, now, zone), since)
    end = Moment(parse_moment(until, now, zone), until) if until else None
    return window_between(start, end, now, zone)


def window_between(
    since: Moment,
    until: Moment | None,
    now: datetime.datetime,
    zone: datetime.tzinfo | None = None,
) -> Window:
    """The window between parsed --since and --until (None: now).

    Raises:
        BadWindow: a start in the future, or an end before the start.
    """
    if since.at > now:
        # Whatever the end, such a window is empty; a typo or a wrong zone is the likely cause.
        raise BadWindow(
            f"--since {since.text} is in the future (now is {_minute(now, zone)}); "
            "nothing can have been received yet"
        )
    end = until.at if until else now
    if until and end < since.at:
        raise BadWindow(f"--until {until.text} is before --since {since.text}")
    return Window(since.at, end)


def _minute(moment: datetime.datetime, zone: datetime.tzinfo | None) -> str:
    """A moment in the zone times are read in, to the minute: `2026-11-27T07:10Z`."""
    shown = moment.astimezone(zone).isoformat(timespec="minutes")
    return shown.removesuffix("+00:00") + "Z" if shown.endswith("+00:00") else shown


def day_folder(kind: str, day: datetime.date) -> str:
    """The prefix holding one UTC day of one kind, e.g. `alerts/dt=2026-11-27/`."""
    return f"{kind}/dt={day:%Y-%m-%d}/"


def prefixes(span: Window, kind: str, days_present: Iterable[str] | None = None) -> list[str]:
    """The smallest set of prefixes under `kind/` that holds every object received in span.

    Args:
        span: the receipt-time window.
        kind: `alerts` or `quarantine`.
        days_present: the `kind/dt=.../` folders that exist, when known; other days are skipped.
    """
    if days_present is None:
        days = _days(span.start.date(), span.end.date())
    else:
        # Only the days that exist: a window may run to the year 9999.
        present = {day for folder in days_present if (day := _folder_day(kind, folder))}
        days = sorted(day for day in present if span.start.date() <= day <= span.end.date())
    found: list[str] = []
    for day in days:
        folder = day_folder(kind, day)
        day_start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
        if span.start <= day_start and _ends_within(day_start, _DAY, span):
            found.append(folder)
        else:
            found.extend(_hours(folder, day_start, span))
    return found


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _folder_day(kind: str, folder: str) -> datetime.date | None:
    match = re.fullmatch(rf"{re.escape(kind)}/dt=(\d{{4}}-\d{{2}}-\d{{2}})/", folder)
    try:
        return datetime.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def _ends_within(start: datetime.datetime, length: datetime.timedelta, span: Window) -> bool:
    """Whether [start, start + length) lies before span's end (also on the calendar's last day)."""
    return span.end - start >= length


def _hours(folder: str, day_start: datetime.datetime, span: Window) -> list[str]:
    hours = []
    for hour in range(24):
        hour_start = day_start + hour * _HOUR
        if hour_start <= span.end and span.start - hour_start < _HOUR:
            hours.append(f"{folder}hour={hour:02d}/")
    return hours


def needs_folder_listing(span: Window) -> bool:
    """Whether the window spans enough days that finding the days present first pays off."""
    return (span.end.date() - span.start.date()).days >= _DAYS_WITHOUT_FOLDER_LISTING


def partition_start(name: str) -> datetime.datetime | None:
    """The start of the hour a name's partition stands for, or None for names outside one."""
    match = re.search(r"/dt=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/", name)
    if not match:
        return None
    try:
        day = datetime.date.fromisoformat(match.group(1))
        hour = datetime.time(int(match.group(2)))
    except ValueError:
        return None
    return datetime.datetime.combine(day, hour, datetime.UTC)
