"""A self-contained HTML page about a window: alert episodes on a timeline, counts, notifications.

Everything is inline (CSS, SVG, no script, no fonts or images from anywhere), so the file
opens offline and can be attached to an incident review. The markup is a Jinja2 template with
autoescape on: archived text (label values are untrusted) is escaped wherever it lands, with
no call to forget. Python keeps what is arithmetic: the timeline's geometry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import urllib.parse
from collections.abc import Callable, Iterator, Sequence

import jinja2

from alertarchive.archive.safetext import printable
from alertarchive.browse import history
from alertarchive.browse import quiet as quieting
from alertarchive.browse.catalog import Entry
from alertarchive.browse.display import counted, fit
from alertarchive.browse.episodes import AlertHistory, Episode, RowLabels, row_labels, split_labels
from alertarchive.browse.stats import Stats

MAX_ROWS = 400
MAX_NOTIFICATIONS = 2000
# The alerts section: this many alerts, each with at most this many notifications.
MAX_CARDS = 200
MAX_SIGHTINGS = 60
_WIDTH = 1200
_LABEL_WIDTH = 380
_CHART_LEFT = _LABEL_WIDTH + 10
_CHART_RIGHT = _WIDTH - 60
_AXIS_HEIGHT = 28
_ROW_HEIGHT = 24
_BAR_HEIGHT = 12
_SEVERITIES = ("critical", "warning", "info")
_TICK_STEPS = [
    datetime.timedelta(minutes=minutes)
    for minutes in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
]
_MAX_TICKS = 8
# Pixels per character of the 11px duration text beside a bar (a generous average).
_TEXT_WIDTH = 6.2


@dataclasses.dataclass(frozen=True)
class Tick:
    """One axis mark: where, and its label."""

    x: float
    label: str


@dataclasses.dataclass(frozen=True)
class Bar:
    """One episode drawn: its box, its class names and its tooltip."""

    episode: Episode
    severity: str
    x: float
    y: float
    width: float
    tooltip: str
    lasted: str  # the time to resolve (or, still firing, so far) written beside the bar
    lasted_x: float | None  # where that text goes; None when the next bar leaves no room
    before_window: bool  # it started before the window: the bar is cut at the left edge

    @property
    def state(self) -> str:
        return "open" if self.episode.open else "resolved"

    @property
    def before_mark(self) -> str:
        """The ◀ path left of the chart for an episode that started before the window."""
        half = _BAR_HEIGHT / 2 + 1
        return f"M{_CHART_LEFT - 3} {self.y - 1} l-7 {half} l7 {half} z"

    @property
    def open_mark(self) -> str:
        """The ▶ path past the right edge for an episode still firing."""
        half = _BAR_HEIGHT / 2 + 1
        return f"M{_CHART_RIGHT + 3} {self.y - 1} l7 {half} l-7 {half} z"


@dataclasses.dataclass(frozen=True)
class MuteBand:
    """Hours an alert was muted, drawn hatched over its row, with what muted it."""

    x: float
    width: float
    hatch: str  # the path of the diagonal lines
    tooltip: str


@dataclasses.dataclass(frozen=True)
class Row:
    """One alert's row on the timeline."""

    history: AlertHistory
    top: int
    name: str
    name_room: int
    labels_room: int
    bars: list[Bar]
    labels: RowLabels
    mutes: list[MuteBand] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Timeline:
    """The SVG's geometry: size, axis ticks, rows."""

    height: int
    ticks: list[Tick]
    rows: list[Row]
    width: int = _WIDTH
    right: int = _CHART_RIGHT
    axis_height: int = _AXIS_HEIGHT
    row_height: int = _ROW_HEIGHT
    bar_height: int = _BAR_HEIGHT


@functools.cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("alertarchive.browse", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["text"] = _text
    return environment


def render(
    stats: Stats,
    entries: Sequence[Entry],
    title: str,
    zone: datetime.tzinfo,
    generated_at: datetime.datetime,
    timelines: Sequence[history.AlertTimeline] = (),
) -> str:
    """The report page as one HTML string (arguments as for `chunks`)."""
    return "".join(chunks(stats, entries, title, zone, generated_at, timelines))


def chunks(
    stats: Stats,
    entries: Sequence[Entry],
    title: str,
    zone: datetime.tzinfo,
    generated_at: datetime.datetime,
    timelines: Sequence[history.AlertTimeline] = (),
) -> Iterator[str]:
    """The report page, piece by piece as the template renders it.

    Written as it comes, a year's page never sits in memory whole, nor twice to be encoded.

    Args:
        stats: the window's figures.
        entries: its notifications.
        title: the page title.
        zone: the zone times are shown in.
        generated_at: when the page is written.
        timelines: each alert's own history (history.timelines), for the alerts section.
    """
    labels = row_labels(stats.histories)
    # One alert name's rows together, so what tells them apart reads down one column.
    first_of_name: dict[str, int] = {}
    for index, alert in enumerate(stats.histories):
        first_of_name.setdefault(alert.alertname, index)
    ordered = sorted(
        stats.histories,
        key=lambda alert: (first_of_name[alert.alertname], alert.episodes[0].starts_at),
    )
    shown = ordered[:MAX_ROWS]

    def time(moment: datetime.datetime) -> str:
        # Year 1 or 9999 cannot move into every zone: such a time is shown in its own.
        with contextlib.suppress(OverflowError):
            moment = moment.astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    return (
        _templates()
        .get_template("page.html")
        .generate(
            title=title,
            stats=stats,
            time=time,
            zone_name=stats.window.end.astimezone(zone).tzname() or "",
            generated=time(generated_at),
            episodes=stats.episodes,
            still_firing=sum(1 for alert in stats.histories if alert.episodes[-1].open),
            timeline=_timeline(shown, stats, zone, labels) if shown else None,
            alerts_not_shown=len(stats.histories) - len(shown),
            countbar_width=functools.partial(
                _countbar_width, max(stats.by_alertname.values(), default=1)
            ),
            flapping_labels=labels,
            groups=_groups(timelines[:MAX_CARDS], time, stats.quiet),
            muted=stats.quiet.alerts,
            muted_labels=quieting.distinct_labels(stats.quiet.alerts),
            silences=stats.quiet.silences,
            short=_short_time(time),
            cards_not_shown=max(len(timelines) - MAX_CARDS, 0),
            entries=entries[:MAX_NOTIFICATIONS],
            entries_total=len(entries),
            anchor=anchor,
        )
    )


@dataclasses.dataclass(frozen=True)
class Link:
    """A link the page may carry: an http(s) URL an alert gave, and what it is."""

    label: str
    url: str


@dataclasses.dataclass(frozen=True)
class EpisodeLine:
    """One episode as the alerts section lists it."""

    started: str
    resolved: str  # "" when no resolved notification came
    lasted: str
    notifications: int
    why: str  # why no resolved notification, likely


@dataclasses.dataclass(frozen=True)
class ChangeLine:
    """One field that changed since the previous notification."""

    what: str
    before: str
    after: str


@dataclasses.dataclass(frozen=True)
class SightingLine:
    """One notification that carried the alert, and what changed in it."""

    sighting: history.Sighting
    received: str
    changes: list[ChangeLine]


@dataclasses.dataclass(frozen=True)
class Card:
    """One alert in the alerts section: what it said, its episodes, its notifications."""

    timeline: history.AlertTimeline
    anchor: str
    distinct: list[str]
    shared: list[str]
    summary: str
    description: str
    other_annotations: list[tuple[str, str]]
    links: list[Link]
    episodes: list[EpisodeLine]
    sightings: list[SightingLine]
    sightings_total: int
    quiet: list[str] = dataclasses.field(default_factory=list)  # why it was quiet, if muted


@dataclasses.dataclass(frozen=True)
class Group:
    """The cards of one alert name, with the labels all of them share."""

    alertname: str
    shared: list[str]
    cards: list[Card]


def safe_url(value: str) -> str | None:
    """The URL if it is a plain http(s) URL (no script, no data:, no controls); else None."""
    if not value or any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        return None
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def anchor(fingerprint: str) -> str:
    """The id of an alert's card, from its fingerprint (hex digits or `labels:`+hex)."""
    return "alert-" + "".join(char for char in fingerprint if char.isalnum())


def _short_time(time: Callable[[datetime.datetime], str]) -> Callable[[str], str]:
    def short(text: str) -> str:
        moment = history.parse_time(text)
        return time(moment) if moment else text

    return short


def _groups(
    timelines: Sequence[history.AlertTimeline],
    time: Callable[[datetime.datetime], str],
    quiet: quieting.Quiet,
) -> list[Group]:
    by_name: dict[str, list[history.AlertTimeline]] = {}
    for timeline in timelines:
        by_name.setdefault(timeline.alertname, []).append(timeline)
    groups = []
    for name, members in by_name.items():
        others = [{k: v for k, v in t.labels.items() if k != "alertname"} for t in members]
        shared, distinct = split_labels(others)
        if len(members) == 1:
            shared, distinct = {}, sorted(others[0])
        shared_pairs = [f"{key}={value}" for key, value in shared.items()]
        cards = [
            dataclasses.replace(
                _card(
                    member,
                    [f"{k}={labels[k]}" for k in distinct if k in labels],
                    shared_pairs,
                    time,
                ),
                quiet=[
                    f"{q.how} for {counted(q.muted_hours, 'hour')}: {q.by}"
                    for q in quiet.for_fingerprint(member.fingerprint)
                ],
            )
            for member, labels in zip(members, others, strict=True)
        ]
        groups.append(Group(name or "(no alertname)", shared_pairs, cards))
    return groups


def _card(
    timeline: history.AlertTimeline,
    distinct: list[str],
    shared: list[str],
    time: Callable[[datetime.datetime], str],
) -> Card:
    last = timeline.latest_alert
    notes = dict(last.annotations)
    links = []
    for key in sorted(notes):
        url = safe_url(notes[key])
        if url and (key.endswith("_url") or key.endswith("URL")):
            links.append(Link(key, url))
            del notes[key]
    generator = safe_url(last.generator_url)
    if generator:
        links.append(Link("generatorURL", generator))
    summary, description = notes.pop("summary", ""), notes.pop("description", "")
    end = timeline.window.end
    episodes = [
        EpisodeLine(
            started=time(episode.starts_at),
            resolved=time(episode.ends_at) if episode.ends_at else "",
            lasted=history.duration_text(episode.duration(end)) + ("" if episode.resolved else "+"),
            notifications=episode.notifications,
            why=episode.unresolved_why,
        )
        for episode in timeline.episodes
    ]
    sightings = [
        SightingLine(s, time(s.received_at), [_change(change, time) for change in s.changes])
        for s in timeline.sightings[:MAX_SIGHTINGS]
    ]
    return Card(
        timeline=timeline,
        anchor=anchor(timeline.fingerprint),
        distinct=distinct,
        shared=shared,
        summary=summary,
        description=description,
        other_annotations=sorted(notes.items()),
        links=links,
        episodes=episodes,
        sightings=sightings,
        sightings_total=timeline.total_sightings,
    )


def _change(change: history.Change, time: Callable[[datetime.datetime], str]) -> ChangeLine:
    def shown(value: str | None) -> str:
        if value is None:
            return "(none)"
        if change.field in ("startsAt", "endsAt"):
            moment = history.parse_time(value)
            return time(moment) if moment else "(none)"
        return value

    what = {"label": change.key, "annotation": f"@{change.key}"}.get(change.field, change.field)
    return ChangeLine(what, shown(change.before), shown(change.after))


def _countbar_width(top: int, count: int) -> int:
    """Pixels of an alert name's bar: the most frequent name gets 120."""
    return max(2, round(120 * count / top))


def _text(value: object, limit: int | None = None) -> str:
    """Archived text as the page shows it: controls made visible, cut to limit characters."""
    shown = printable(str(value))
    return fit(shown, limit) if limit else shown


def _timeline(
    histories: Sequence[AlertHistory],
    stats: Stats,
    zone: datetime.tzinfo,
    labels: dict[str, RowLabels],
) -> Timeline:
    start, end = stats.window.start, stats.window.end
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime.datetime) -> float:
        seconds = (moment - start).total_seconds()
        fraction = min(max(seconds / span, 0.0), 1.0)
        return round(_CHART_LEFT + fraction * (_CHART_RIGHT - _CHART_LEFT), 1)

    height = _AXIS_HEIGHT + len(histories) * _ROW_HEIGHT + 8
    rows = [
        dataclasses.replace(
            row,
            mutes=_mute_bands(stats.quiet.for_fingerprint(alert.fingerprint), row.top, x, stats),
        )
        for index, alert in enumerate(histories)
        for row in [_row(index, alert, x, start, end, labels[alert.fingerprint])]
    ]
    return Timeline(height=height, ticks=_ticks(start, end, x, zone), rows=rows)


def _mute_bands(
    muted: Sequence[quieting.QuietAlert],
    top: int,
    x: Callable[[datetime.datetime], float],
    stats: Stats,
) -> list[MuteBand]:
    """One band per run of consecutive muted hours, for each thing that muted the alert."""
    bands = []
    hour = datetime.timedelta(hours=1)
    for quiet in muted:
        starts = sorted(
            datetime.datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=datetime.UTC)
            for text in quiet.hours
        )
        runs: list[list[datetime.datetime]] = []
        for start in starts:
            if runs and runs[-1][1] == start:
                runs[-1][1] = start + hour
            else:
                runs.append([start, start + hour])
        for begin, end in runs:
            left = x(max(begin, stats.window.start))
            right = x(min(end, stats.window.end))
            if right <= left:
                continue
            height = _ROW_HEIGHT - 4
            bottom = top + 2 + height
            lines = " ".join(
                f"M{left + offset:.1f} {bottom} l{min(height, right - left - offset):.1f} "
                f"-{min(height, right - left - offset):.1f}"
                for offset in range(0, int(right - left), 6)
            )
            tooltip = (
                f"{quiet.how} {begin:%Y-%m-%d %H:%M}Z–{end:%H:%M}Z "
                f"({counted(len(quiet.hours), 'hour')} with a mute event): {quiet.by}"
            )
            bands.append(MuteBand(left, round(right - left, 1), lines, tooltip))
    return bands


def _ticks(
    start: datetime.datetime,
    end: datetime.datetime,
    x: Callable[[datetime.datetime], float],
    zone: datetime.tzinfo,
) -> list[Tick]:
    step = next(
        (step for step in _TICK_STEPS if (end - start) / step <= _MAX_TICKS), _TICK_STEPS[-1]
    )
    local_start = start.astimezone(zone)
    # Ticks on round local times: midnight-aligned for day steps, hour-aligned below.
    tick = local_start.replace(minute=0, second=0, microsecond=0)
    if step >= datetime.timedelta(days=1):
        tick = tick.replace(hour=0)
    daily = step >= datetime.timedelta(days=1)
    ticks = []
    while tick <= end:
        if tick >= start:
            ticks.append(Tick(x(tick), _tick_label(tick, daily)))
        tick = (tick + step).astimezone(zone)
    return ticks


def _tick_label(tick: datetime.datetime, daily: bool) -> str:
    # Dates only where the day changes, so labels stay short enough not to collide.
    if daily or (tick.hour == 0 and tick.minute == 0):
        return tick.strftime("%b %d")
    return tick.strftime("%H:%M")


def _row(
    index: int,
    alert: AlertHistory,
    x: Callable[[datetime.datetime], float],
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    labels: RowLabels,
) -> Row:
    top = _AXIS_HEIGHT + index * _ROW_HEIGHT
    bar_top = top + (_ROW_HEIGHT - _BAR_HEIGHT) / 2
    severity = alert.severity if alert.severity in _SEVERITIES else "other"
    name = alert.alertname or "(no alertname)"
    bars = [
        _bar(episode, severity, name, x, bar_top, window_start, window_end)
        for episode in alert.episodes
    ]
    # Room for the time to resolve beside each bar: up to the next bar, or the right edge.
    placed = []
    for bar, following in zip(bars, [*bars[1:], None], strict=True):
        limit = following.x if following else _CHART_RIGHT + (0 if bar.episode.open else 40)
        text_x = bar.x + bar.width + 4
        fits = text_x + _TEXT_WIDTH * len(bar.lasted) <= limit
        if bar.episode.open and not fits:
            text_x = bar.x + 4  # still firing up to the edge: written inside its bar
            fits = bar.width >= _TEXT_WIDTH * len(bar.lasted) + 8
        placed.append(dataclasses.replace(bar, lasted_x=round(text_x, 1) if fits else None))
    # The name and the other labels share the label column: a short name leaves more room.
    name_room = 30
    labels_room = max(10, 50 - min(len(name), name_room))
    return Row(alert, top, name, name_room, labels_room, placed, labels)


def _bar(
    episode: Episode,
    severity: str,
    name: str,
    x: Callable[[datetime.datetime], float],
    bar_top: float,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
) -> Bar:
    left = x(episode.starts_at)
    ends_at = episode.ends_at
    right = _CHART_RIGHT if ends_at is None else x(ends_at)
    ends = "still firing" if ends_at is None else ends_at.isoformat()
    duration = (episode.ends_at or window_end) - episode.starts_at
    lasted = history.duration_text(duration) + ("+" if episode.open else "")
    tooltip = (
        f"{name}: {episode.starts_at.isoformat()} → {ends} "
        f"({lasted}, {counted(episode.notifications, 'notification')})"
    )
    return Bar(
        episode,
        severity,
        left,
        bar_top,
        max(right - left, 2.0),
        tooltip,
        lasted,
        None,
        episode.starts_at < window_start,
    )
