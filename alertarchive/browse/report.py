"""A self-contained HTML page about a window: alert episodes on a timeline, counts, notifications.

Everything is inline (CSS, SVG, no script, no fonts or images from anywhere), so the file
opens offline and can be attached to an incident review. The markup is a Jinja2 template with
autoescape on: archived text (label values are untrusted) is escaped wherever it lands, with
no call to forget. Python keeps what is arithmetic: the timeline's geometry.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Callable, Sequence

import jinja2

from alertarchive.archive.safetext import printable
from alertarchive.browse.catalog import Entry
from alertarchive.browse.display import counted, fit
from alertarchive.browse.episodes import AlertHistory, Episode
from alertarchive.browse.stats import Stats

MAX_ROWS = 400
MAX_NOTIFICATIONS = 2000
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

    @property
    def state(self) -> str:
        return "open" if self.episode.open else "resolved"

    @property
    def open_mark(self) -> str:
        """The ▶ path past the right edge for an episode still firing."""
        half = _BAR_HEIGHT / 2 + 1
        return f"M{_CHART_RIGHT + 3} {self.y - 1} l7 {half} l-7 {half} z"


@dataclasses.dataclass(frozen=True)
class Row:
    """One alert's row on the timeline."""

    history: AlertHistory
    top: int
    name: str
    name_room: int
    labels_room: int
    bars: list[Bar]


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
) -> str:
    """The report page as one HTML string."""
    histories = stats.histories
    shown = histories[:MAX_ROWS]

    def time(moment: datetime.datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    return (
        _templates()
        .get_template("page.html")
        .render(
            title=title,
            stats=stats,
            time=time,
            zone_name=stats.window.end.astimezone(zone).tzname() or "",
            generated=time(generated_at),
            episodes=stats.episodes,
            still_firing=sum(1 for history in histories if history.episodes[-1].open),
            timeline=_timeline(shown, stats, zone) if shown else None,
            alerts_not_shown=len(histories) - len(shown),
            countbar_width=functools.partial(
                _countbar_width, max(stats.by_alertname.values(), default=1)
            ),
            entries=entries[:MAX_NOTIFICATIONS],
            entries_total=len(entries),
        )
    )


def _countbar_width(top: int, count: int) -> int:
    """Pixels of an alert name's bar: the most frequent name gets 120."""
    return max(2, round(120 * count / top))


def _text(value: object, limit: int | None = None) -> str:
    """Archived text as the page shows it: controls made visible, cut to limit characters."""
    shown = printable(str(value))
    return fit(shown, limit) if limit else shown


def _timeline(histories: Sequence[AlertHistory], stats: Stats, zone: datetime.tzinfo) -> Timeline:
    start, end = stats.window.start, stats.window.end
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime.datetime) -> float:
        seconds = (moment - start).total_seconds()
        fraction = min(max(seconds / span, 0.0), 1.0)
        return round(_CHART_LEFT + fraction * (_CHART_RIGHT - _CHART_LEFT), 1)

    height = _AXIS_HEIGHT + len(histories) * _ROW_HEIGHT + 8
    rows = [_row(index, history, x, end) for index, history in enumerate(histories)]
    return Timeline(height=height, ticks=_ticks(start, end, x, zone), rows=rows)


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
    history: AlertHistory,
    x: Callable[[datetime.datetime], float],
    window_end: datetime.datetime,
) -> Row:
    top = _AXIS_HEIGHT + index * _ROW_HEIGHT
    bar_top = top + (_ROW_HEIGHT - _BAR_HEIGHT) / 2
    severity = history.severity if history.severity in _SEVERITIES else "other"
    name = history.alertname or "(no alertname)"
    bars = [_bar(episode, severity, name, x, bar_top, window_end) for episode in history.episodes]
    # The name and the other labels share the label column: a short name leaves more room.
    name_room = 30
    return Row(history, top, name, name_room, max(10, 54 - min(len(name), name_room)), bars)


def _bar(
    episode: Episode,
    severity: str,
    name: str,
    x: Callable[[datetime.datetime], float],
    bar_top: float,
    window_end: datetime.datetime,
) -> Bar:
    left = x(episode.starts_at)
    right = _CHART_RIGHT if episode.open else x(episode.ends_at)
    ends = "still firing" if episode.open else episode.ends_at.isoformat()
    duration = (episode.ends_at or window_end) - episode.starts_at
    tooltip = (
        f"{name}: {episode.starts_at.isoformat()} → {ends} "
        f"({_duration(duration)}, {counted(episode.notifications, 'notification')})"
    )
    return Bar(episode, severity, left, bar_top, max(right - left, 2.0), tooltip)


def _duration(delta: datetime.timedelta) -> str:
    seconds = int(max(delta.total_seconds(), 0))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes = seconds // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
