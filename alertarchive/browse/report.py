"""A self-contained HTML page about a window: alert episodes on a timeline, counts, notifications.

Everything is inline (CSS, SVG, no script, no fonts or images from anywhere), so the file
opens offline and can be attached to an incident review. Every piece of archived text is
escaped: label values are untrusted and must never become markup.
"""

from __future__ import annotations

import datetime
import html
import importlib.resources
import string
from collections.abc import Sequence

from alertarchive.archive.safetext import printable
from alertarchive.browse.catalog import Entry
from alertarchive.browse.display import counted, fit, plural
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


def render(
    stats: Stats,
    entries: Sequence[Entry],
    title: str,
    zone: datetime.tzinfo,
    generated_at: datetime.datetime,
) -> str:
    """The report page as one HTML string."""
    template = string.Template(
        importlib.resources.files("alertarchive.browse.templates")
        .joinpath("page.html")
        .read_text(encoding="utf-8")
    )
    histories = stats.histories
    shown = histories[:MAX_ROWS]
    episodes = sum(len(history.episodes) for history in histories)
    timeline_note = ""
    if len(histories) > len(shown):
        timeline_note = (
            f'<p class="note">Showing the first {len(shown)} of {len(histories)} alerts.</p>'
        )
    return template.substitute(
        title=_text(title),
        summary=_summary(stats, episodes, zone, generated_at),
        timeline=_timeline(shown, stats, zone),
        timeline_note=timeline_note,
        alertnames=_alertname_table(stats),
        flapping=_flapping_table(stats),
        notifications=_notifications_table(entries, zone),
    )


def _text(value: object, limit: int | None = None) -> str:
    shown = printable(str(value))
    return html.escape(fit(shown, limit) if limit else shown, quote=True)


def _time(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _summary(
    stats: Stats, episodes: int, zone: datetime.tzinfo, generated_at: datetime.datetime
) -> str:
    zone_name = stats.window.end.astimezone(zone).tzname() or ""
    firing = sum(1 for history in stats.histories if history.episodes[-1].open)
    parts = [
        f"{_text(_time(stats.window.start, zone))} → {_text(_time(stats.window.end, zone))} "
        f"{_text(zone_name)}",
        f"<strong>{stats.notifications}</strong> {plural(stats.notifications, 'notification')}",
        f"<strong>{len(stats.histories)}</strong> {plural(len(stats.histories), 'alert')}",
        f"<strong>{episodes}</strong> {plural(episodes, 'episode')}",
        f"<strong>{firing}</strong> still firing",
        f"<strong>{stats.quarantined}</strong> quarantined",
        f"generated {_text(_time(generated_at, zone))}",
    ]
    return " · ".join(parts)


def _timeline(histories: Sequence[AlertHistory], stats: Stats, zone: datetime.tzinfo) -> str:
    if not histories:
        return '<p class="empty">No alerts in this window.</p>'
    start, end = stats.window.start, stats.window.end
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime.datetime) -> float:
        seconds = (moment - start).total_seconds()
        fraction = min(max(seconds / span, 0.0), 1.0)
        return round(_CHART_LEFT + fraction * (_CHART_RIGHT - _CHART_LEFT), 1)

    height = _AXIS_HEIGHT + len(histories) * _ROW_HEIGHT + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="Alert episodes timeline">',
        _axis(start, end, height, x, zone),
        '<g class="rows">',
    ]
    for index, history in enumerate(histories):
        parts.append(_row(index, history, x, end))
    parts.append("</g>")
    parts.append(
        f'<g class="now"><line x1="{_CHART_RIGHT}" x2="{_CHART_RIGHT}" y1="{_AXIS_HEIGHT - 6}" '
        f'y2="{height}"></line></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _axis(start, end, height, x, zone: datetime.tzinfo) -> str:
    step = next(
        (step for step in _TICK_STEPS if (end - start) / step <= _MAX_TICKS), _TICK_STEPS[-1]
    )
    local_start = start.astimezone(zone)
    # Ticks on round local times: midnight-aligned for day steps, hour-aligned below.
    tick = local_start.replace(minute=0, second=0, microsecond=0)
    if step >= datetime.timedelta(days=1):
        tick = tick.replace(hour=0)
    daily = step >= datetime.timedelta(days=1)
    parts = ['<g class="axis">']
    while tick <= end:
        if tick >= start:
            position = x(tick)
            parts.append(
                f'<line x1="{position}" x2="{position}" y1="{_AXIS_HEIGHT - 6}" y2="{height}">'
                f'</line><text x="{position}" y="{_AXIS_HEIGHT - 10}" text-anchor="middle">'
                f"{_text(_tick_label(tick, daily))}</text>"
            )
        tick = (tick + step).astimezone(zone)
    parts.append("</g>")
    return "".join(parts)


def _tick_label(tick: datetime.datetime, daily: bool) -> str:
    # Dates only where the day changes, so labels stay short enough not to collide.
    if daily or (tick.hour == 0 and tick.minute == 0):
        return tick.strftime("%b %d")
    return tick.strftime("%H:%M")


def _row(index: int, history: AlertHistory, x, window_end: datetime.datetime) -> str:
    top = _AXIS_HEIGHT + index * _ROW_HEIGHT
    bar_top = top + (_ROW_HEIGHT - _BAR_HEIGHT) / 2
    severity = history.severity if history.severity in _SEVERITIES else "other"
    others = ", ".join(
        f"{key}={value}" for key, value in sorted(history.labels.items()) if key != "alertname"
    )
    full_labels = ", ".join(f"{key}={value}" for key, value in sorted(history.labels.items()))
    name = history.alertname or "(no alertname)"
    parts = [
        f'<g class="episode-row" data-fingerprint="{_text(history.fingerprint)}" '
        f'data-alertname="{_text(history.alertname)}" data-episodes="{len(history.episodes)}">',
        f"<title>{_text(full_labels)}</title>",
        f'<rect class="row-bg" x="0" y="{top}" width="{_WIDTH}" height="{_ROW_HEIGHT}"></rect>',
        f'<text x="8" y="{top + 16}"><tspan class="row-name">{_text(name, 30)}</tspan>'
        f'<tspan class="row-labels" dx="8">{_text(others, max(10, 54 - min(len(name), 30)))}'
        "</tspan></text>",
    ]
    for episode in history.episodes:
        parts.append(_bar(episode, severity, name, x, bar_top, window_end))
    parts.append("</g>")
    return "".join(parts)


def _bar(episode: Episode, severity: str, name: str, x, bar_top: float, window_end) -> str:
    left = x(episode.starts_at)
    right = _CHART_RIGHT if episode.open else x(episode.ends_at)
    width = max(right - left, 2.0)
    state = "open" if episode.open else "resolved"
    ends = "still firing" if episode.open else episode.ends_at.isoformat()
    duration = (episode.ends_at or window_end) - episode.starts_at
    tooltip = (
        f"{name}: {episode.starts_at.isoformat()} → {ends} "
        f"({_duration(duration)}, {counted(episode.notifications, 'notification')})"
    )
    bar = (
        f'<rect class="bar {severity} {state}" x="{left}" y="{bar_top}" width="{width:.1f}" '
        f'height="{_BAR_HEIGHT}" data-starts-at="{_text(episode.starts_at.isoformat())}" '
        f'data-ends-at="{_text("" if episode.open else episode.ends_at.isoformat())}">'
        f"<title>{_text(tooltip)}</title></rect>"
    )
    if episode.open:
        half = _BAR_HEIGHT / 2 + 1
        bar += (
            f'<path class="open-mark" d="M{_CHART_RIGHT + 3} {bar_top - 1} l7 {half} l-7 {half} z">'
            "</path>"
        )
    return bar


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


def _alertname_table(stats: Stats) -> str:
    if not stats.by_alertname:
        return '<p class="empty">No notifications.</p>'
    top = max(stats.by_alertname.values())
    rows = []
    for name, count in stats.by_alertname.most_common():
        bar_width = max(2, round(120 * count / top))
        rows.append(
            f'<tr class="alertname-row" data-alertname="{_text(name)}"><td>{_text(name, 60)}</td>'
            f'<td class="num">{count}</td>'
            f'<td class="num">{stats.episodes_by_alertname.get(name, 0)}</td>'
            f'<td><span class="countbar" style="width:{bar_width}px"></span></td></tr>'
        )
    return (
        '<table class="alertnames"><thead><tr><th>Alert name</th><th class="num">Notifications'
        '</th><th class="num">Episodes</th><th></th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _flapping_table(stats: Stats) -> str:
    flapping = stats.flapping
    if not flapping:
        return f'<p class="empty">No alert fired {stats.flap_episodes} or more separate times.</p>'
    rows = [
        f"<tr><td>{_text(history.alertname or '(no alertname)', 40)}</td>"
        f"<td>{_text(_labels_without_name(history), 60)}</td>"
        f'<td class="num">{len(history.episodes)}</td></tr>'
        for history in flapping
    ]
    return (
        '<table class="flapping"><thead><tr><th>Alert name</th><th>Labels</th>'
        '<th class="num">Episodes</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _labels_without_name(history: AlertHistory) -> str:
    return ", ".join(
        f"{key}={value}" for key, value in sorted(history.labels.items()) if key != "alertname"
    )


def _notifications_table(entries: Sequence[Entry], zone: datetime.tzinfo) -> str:
    if not entries:
        return '<p class="empty">No notifications in this window.</p>'
    shown = entries[:MAX_NOTIFICATIONS]
    rows = [
        f'<tr class="notification"><td>{_text(_time(entry.received_at, zone))}</td>'
        f'<td class="status-{_text(entry.status)}">{_text(entry.status)}</td>'
        f"<td>{_text(', '.join(entry.alertnames), 80)}</td>"
        f'<td class="num">{"" if entry.alert_count is None else entry.alert_count}</td>'
        f"<td>{_text(entry.receiver, 40)}</td><td>{_text(entry.source)}</td>"
        f'<td class="name">{_text(entry.name)}</td></tr>'
        for entry in shown
    ]
    note = ""
    if len(entries) > len(shown):
        note = f'<p class="note">Newest {len(shown)} of {len(entries)} shown.</p>'
    return (
        '<table class="notifications"><thead><tr><th>Received</th><th>Status</th>'
        '<th>Alert names</th><th class="num">Alerts</th><th>Receiver</th><th>Source</th>'
        "<th>Object</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + note
    )
