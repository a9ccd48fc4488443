"""What `alertarchive` prints for people: tables, notifications, notices and candidates.

Every archived string goes through safetext.printable (directly or in Terminal.table), so
nothing a sender wrote can drive the reader's terminal.
"""

from __future__ import annotations

import collections
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import click

from alertarchive.archive import timestamps
from alertarchive.archive.safetext import printable
from alertarchive.browse import catalog, history, quiet, recorded, why
from alertarchive.browse.alerts import Alert, alerts
from alertarchive.browse.catalog import Entry, Notice
from alertarchive.browse.display import Terminal, counted, echo_lines
from alertarchive.browse.episodes import AlertHistory, row_labels, shared_by_name, split_labels
from alertarchive.browse.stats import Stats

# An ambiguous name lists this many of the objects it matches.
CANDIDATES_SHOWN = 10
# An unreadable object is named; past this many, the rest are counted.
NOTICES_NAMED = 5
# Labels of an alert alone of its name are cut to this many columns in `stats` tables.
LABELS_SHOWN = 60


def print_entries(terminal: Terminal, entries: Sequence[Entry], quarantined: bool) -> None:
    """`list`: one aligned row per notification (or quarantined body, with its problem)."""
    headers = [
        f"RECEIVED ({terminal.zone_name})",
        "STATUS",
        "ALERTNAME",
        "ALERTS",
        "RECEIVER",
        "SOURCE",
        "ID",
    ]
    limits: list[int | None] = [None, None, 40, None, 28, 20, None]
    if quarantined:
        headers.append("PROBLEM")
        limits.append(70)
    statuses = ["quarantined" if quarantined else entry.status for entry in entries]
    rows = (_entry_row(terminal, entry, quarantined) for entry in entries)
    echo_lines(terminal.table_lines(headers, rows, limits, statuses))


def _entry_row(terminal: Terminal, entry: Entry, quarantined: bool) -> list[str]:
    row = [
        terminal.time(entry.received_at),
        entry.status or "-",
        entry.alertnames_shown or "-",
        "" if entry.alert_count is None else str(entry.alert_count),
        entry.receiver or "-",
        entry.source,
        entry.short_id,
    ]
    if quarantined:
        row.append(entry.validation_errors[0] if entry.validation_errors else "")
    return row


def print_notification(
    terminal: Terminal, entry: Entry, document: dict[str, Any] | None, size: int
) -> None:
    """`show`: the stored metadata, then each alert with its labels and annotations."""
    fields = [
        ("object", entry.name),
        ("received", zoned(terminal, entry.received_at)),
        ("status", "quarantined" if entry.quarantined else entry.status),
        ("receiver", entry.receiver),
        ("source", entry.source),
        ("sender", entry.user_agent),
        ("group key", entry.group_key),
        *(
            []
            if entry.quarantined
            else [
                ("reason", entry.notification_reason or "(none: Alertmanager sends one from 0.32)")
            ]
        ),
        ("body", f"{counted(size, 'byte')}, sha256 {entry.sha256}"),
    ]
    for problem in entry.validation_errors:
        fields.append(("problem", problem))
    for label, value in fields:
        click.echo(f"{terminal.bold(f'{label:<10}')} {printable(value)}")
    if document is None:
        click.echo("\nthe body is not a JSON object; `show --raw` prints its exact bytes")
        return
    shown = alerts(document)
    truncated = document.get("truncatedAlerts")
    click.echo(
        f"\n{counted(len(shown), 'alert')}"
        + (
            f" ({truncated} more truncated by the sender)"
            if isinstance(truncated, int) and truncated
            else ""
        )
    )
    for alert in shown:
        _print_alert(terminal, alert)


def _print_alert(terminal: Terminal, alert: Alert) -> None:
    # A quarantined body's alert status can be any text: escaped before it is padded.
    status = printable(alert.status)
    name = alert.labels.get("alertname", "(no alertname)")
    ends = "" if alert.ends_at.startswith("0001-") else f" → {moment(terminal, alert.ends_at)}"
    click.echo("")
    click.echo(
        f"  {terminal.status(f'{status:<8}', status)} {terminal.bold(printable(name))}  "
        f"{moment(terminal, alert.starts_at)}{ends}  {printable(alert.fingerprint)}"
    )
    for key, value in sorted(alert.labels.items()):
        if key != "alertname":
            click.echo(f"    {printable(key)}={printable(value)}")
    for key, value in sorted(alert.annotations.items()):
        click.echo(f"    @{printable(key)}: {printable(value)}")
    if alert.generator_url:
        click.echo(f"    source: {printable(alert.generator_url)}")


def moment(terminal: Terminal, text: str) -> str:
    """An alert timestamp in the display zone (`2026-11-27 02:54:24 UTC`); as sent if invalid."""
    parsed = timestamps.parse(text)
    if parsed is None:
        return printable(text)
    try:
        return zoned(terminal, parsed)
    except (OverflowError, ValueError):  # the calendar's edges do not move to every zone
        return printable(text)


def zoned(terminal: Terminal, instant: datetime.datetime) -> str:
    """An instant in the display zone, named by the zone's name at that instant (EST, EDT)."""
    local = instant.astimezone(datetime.UTC if terminal.utc else None)
    return f"{terminal.time(instant)} {'UTC' if terminal.utc else local.tzname() or 'local'}"


def print_stats(terminal: Terminal, figures: Stats) -> None:
    """`stats`: the totals, then one table per breakdown."""
    window = (
        f"{terminal.time(figures.window.start)} → {terminal.time(figures.window.end)} "
        f"{terminal.zone_name}"
    )
    click.echo(f"{terminal.bold(window)}")
    click.echo(
        f"{counted(figures.notifications, 'notification')}, "
        f"{counted(len(figures.histories), 'alert')}, {counted(figures.episodes, 'episode')}, "
        f"{figures.quarantined} quarantined"
    )
    if figures.quiet.unrecorded_deliveries:
        click.echo(quiet.unrecorded_text(figures.quiet.unrecorded_deliveries))
    sections = [
        ("BY STATUS", ["STATUS", "NOTIFICATIONS"], figures.by_status.most_common()),
        ("BY RECEIVER", ["RECEIVER", "NOTIFICATIONS"], figures.by_receiver.most_common()),
        ("BY SEVERITY", ["SEVERITY", "EPISODES"], figures.episodes_by_severity.most_common()),
    ]
    for title, headers, counts in sections:
        _section(terminal, title, headers, [[key, str(count)] for key, count in counts])
    _section(
        terminal,
        "BY ALERTNAME",
        ["ALERTNAME", "NOTIFICATIONS", "EPISODES"],
        [
            [name, str(count), str(figures.episodes_by_alertname.get(name, 0))]
            for name, count in figures.by_alertname.most_common()
        ],
    )
    labels = row_labels(figures.histories)
    shared = shared_by_name(figures.histories)
    _section(
        terminal,
        "NOISIEST ALERTS",
        ["ALERTNAME", "LABELS", "NOTIFICATIONS", "EPISODES"],
        [
            [
                h.alertname or "-",
                labels[h.fingerprint].cell(LABELS_SHOWN),
                str(h.notifications),
                str(len(h.episodes)),
            ]
            for h in figures.noisiest
        ],
        _shared_lines(shared, figures.noisiest),
    )
    _section(
        terminal,
        f"FLAPPING (fired {figures.flap_episodes}+ times)",
        ["ALERTNAME", "LABELS", "EPISODES", "NOW"],
        [
            [
                h.alertname or "-",
                labels[h.fingerprint].cell(LABELS_SHOWN),
                str(len(h.episodes)),
                "firing" if h.episodes[-1].open else "resolved",
            ]
            for h in figures.flapping
        ],
        _shared_lines(shared, figures.flapping),
    )
    if figures.quiet.has_events:
        muted = figures.quiet.alerts
        _section(
            terminal,
            "MUTED (silenced or inhibited; hours with a mute event)",
            ["ALERTNAME", "LABELS", "HOURS", "MUTED BY"],
            [
                [q.alertname or "-", labels_text, str(q.muted_hours), f"{q.how}: {q.by}"]
                for q, labels_text in zip(muted, quiet.distinct_labels(muted), strict=True)
            ],
        )
        if figures.quiet.note:
            click.echo(f"  note: {figures.quiet.note}")


def _shared_lines(shared: dict[str, list[str]], rows: Sequence[AlertHistory]) -> list[str]:
    """Above a table: what every alert of a name carries, so its rows show only what differs."""
    names = dict.fromkeys(h.alertname for h in rows if h.alertname in shared)
    return [
        f"{name or '-'}: every alert of this name carries "
        + (",".join(shared[name]) or "no other label")
        for name in names
    ]


def _section(
    terminal: Terminal,
    title: str,
    headers: list[str],
    rows: list[list[str]],
    notes: Sequence[str] = (),
) -> None:
    click.echo(f"\n{terminal.bold(title)}")
    if not rows:
        click.echo("  (none)")
        return
    for note in notes:
        click.echo(f"  {printable(note)}")
    # The labels cell is cut (or not) by RowLabels.cell: what tells rows apart is never cut.
    limits = [40, None if headers[1] == "LABELS" else 60, None, None][: len(headers)]
    for line in terminal.table(headers, rows, limits):
        click.echo(f"  {line}")


def notice_lines(notices: Sequence[Notice]) -> list[str]:
    """Lines for what a catalog left out: counts by reason, with an example each."""
    unique = list(dict.fromkeys(notices))
    lines = []
    ignored = [notice for notice in unique if notice.kind == catalog.IGNORED]
    if ignored:
        reasons = collections.Counter(notice.why for notice in ignored)
        examples = {notice.why: notice.name for notice in reversed(ignored)}
        detail = "; ".join(f"{count} {why}, e.g. {examples[why]}" for why, count in reasons.items())
        lines.append(
            f"{counted(len(ignored), 'object')} not written by alertarchive ignored: {detail}"
        )
    rebuilt = [notice for notice in unique if notice.kind == catalog.REBUILT]
    if rebuilt:
        lines.append(
            f"{counted(len(rebuilt), 'object')} with metadata that is not alertarchive's read "
            f"from {'its' if len(rebuilt) == 1 else 'their'} body, e.g. {rebuilt[0].name}"
        )
    unreadable = [notice for notice in unique if notice.kind == catalog.UNREADABLE]
    for notice in unreadable[:NOTICES_NAMED]:
        lines.append(f"{notice.name} could not be read and is left out: {notice.why}")
    if len(unreadable) > NOTICES_NAMED:
        lines.append(f"… and {len(unreadable) - NOTICES_NAMED} more that could not be read")
    return lines


def candidate_lines(terminal: Terminal, candidates: Sequence[Entry]) -> list[str]:
    """Lines under an ambiguous-name error: when and where each match was stored."""
    shown = candidates[:CANDIDATES_SHOWN]
    source_width = max(len(entry.source) for entry in shown)
    lines = [
        f"  {terminal.time(entry.received_at)} {terminal.zone_name}  "
        f"{entry.source:<{source_width}}  {entry.name}"
        for entry in shown
    ]
    if len(candidates) > len(shown):
        lines.append(f"  … and {len(candidates) - len(shown)} more")
    return lines


def print_why(
    terminal: Terminal,
    explanation: why.Explanation,
    labels: dict[str, str],
    unrecorded: int = 0,
) -> None:
    """`why`: the verdict first, then each step in time order, then how to get events.

    Under the verdict, how many of the alert's deliveries have no notification event.
    """
    wanted = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    subject = explanation.alertname + (f"{{{wanted}}}" if wanted else "")
    click.echo(f"{terminal.bold(printable(subject))}: {printable(explanation.verdict)}")
    if unrecorded:
        click.echo(f"  note: {quiet.unrecorded_text(unrecorded)}")
    for step in explanation.steps:
        # An archived step names the object: `show` it for the exact body that was sent.
        link = f"  {step.object_name}" if step.what == "archived" else ""
        click.echo(f"  {terminal.time(step.at)}  {step.what:<9}  {printable(step.text + link)}")
    if not explanation.has_events:
        click.echo("")
        click.echo(why.RECORDER_HOWTO)


def history_subject(timeline: history.AlertTimeline) -> str:
    """`HighLatency{instance=api-1,severity=critical}`: the alert as people name it."""
    others = ",".join(
        f"{key}={value}" for key, value in sorted(timeline.labels.items()) if key != "alertname"
    )
    return (timeline.alertname or "(no alertname)") + (f"{{{others}}}" if others else "")


def change_lines(terminal: Terminal, change: history.Change) -> str:
    """One change as a diff line: `+ key=value`, `- key=value`, `~ field: before → after`."""
    prefix = {"label": "", "annotation": "@"}.get(change.field)
    if prefix is not None:
        name = f"{prefix}{change.key}"
        if change.before is None:
            return f"+ {printable(name)}: {printable(change.after or '')}"
        if change.after is None:
            return f"- {printable(name)}: {printable(change.before)}"
        return f"~ {printable(name)}: {printable(change.before)} → {printable(change.after)}"

    def shown(value: str | None) -> str:
        if value is None or value.startswith("0001-01-01T00:00:00"):
            return "(none)"
        return (
            moment(terminal, value) if change.field in ("startsAt", "endsAt") else printable(value)
        )

    return f"~ {change.field}: {shown(change.before)} → {shown(change.after)}"


def print_history(terminal: Terminal, timeline: history.AlertTimeline) -> None:
    """`history`: the alert, its episodes with durations, then each notification and its diff."""
    window = timeline.window
    click.echo(
        f"{terminal.bold(printable(history_subject(timeline)))}  fingerprint "
        f"{printable(timeline.fingerprint)}"
    )
    click.echo(
        f"{terminal.time(window.start)} → {terminal.time(window.end)} {terminal.zone_name}: "
        f"{counted(timeline.total_sightings, 'notification')}, "
        f"{counted(len(timeline.episodes), 'episode')}"
    )
    click.echo(f"\n{terminal.bold('EPISODES')}")
    rows = []
    for episode in timeline.episodes:
        lasted = history.duration_text(episode.duration(window.end))
        rows.append(
            [
                terminal.time(episode.starts_at),
                terminal.time(episode.ends_at) if episode.ends_at else "no resolved notification",
                lasted if episode.resolved else f"{lasted}+",
                str(episode.notifications),
                episode.unresolved_why,
            ]
        )
    for line in terminal.table(
        ["STARTED", "RESOLVED", "LASTED", "NOTIFICATIONS", "WHY NOT RESOLVED"], rows
    ):
        click.echo(f"  {line}")
    click.echo(f"\n{terminal.bold('NOTIFICATIONS')}")
    for sighting in timeline.sightings:
        reason = f"  ({printable(sighting.reason)})" if sighting.reason else ""
        click.echo(
            f"  {terminal.time(sighting.received_at)}  "
            f"{terminal.status(f'{printable(sighting.status):<8}', sighting.status)}  "
            f"to {printable(sighting.receiver)}  from {printable(sighting.source)}{reason}  "
            f"{sighting.short_id}"
        )
        if sighting.first:
            click.echo(
                "      first in the window: firing since "
                f"{moment(terminal, sighting.alert.starts_at)}"
            )
            for key, value in sorted(sighting.alert.annotations.items()):
                click.echo(f"      @{printable(key)}: {printable(value)}")
            if sighting.alert.generator_url:
                click.echo(f"      generatorURL: {printable(sighting.alert.generator_url)}")
        elif sighting.same_body_as_previous:
            click.echo("      the same body again (an HA peer, another source or a later hour)")
        elif not sighting.changes:
            click.echo("      no change")
        for change in sighting.changes:
            click.echo(f"      {change_lines(terminal, change)}")


def history_subject_of(alertname: str, labels: dict[str, str]) -> str:
    """`Name{k=v}` for what `history` was asked about."""
    wanted = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return printable(alertname + (f"{{{wanted}}}" if wanted else ""))


def history_candidate_lines(found: Sequence[history.AlertTimeline]) -> list[str]:
    """Under an ambiguous `history`: each alert's fingerprint and the labels that tell it apart."""
    return candidate_alert_lines({timeline.fingerprint: timeline.labels for timeline in found})


def candidate_alert_lines(candidates: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Each alert's fingerprint and its labels that differ from the others' (absent: left out)."""
    _, distinct = split_labels(list(candidates.values()))
    lines = [
        f"  {printable(fingerprint)}  "
        + printable(",".join(f"{key}={labels[key]}" for key in distinct if key in labels))
        for fingerprint, labels in list(candidates.items())[:CANDIDATES_SHOWN]
    ]
    if len(candidates) > CANDIDATES_SHOWN:
        lines.append(f"  … and {len(candidates) - CANDIDATES_SHOWN} more")
    return lines


def print_recorded(terminal: Terminal, found: Sequence[recorded.RecordedEntry]) -> None:
    """`events`: one row per kept recorder event."""
    rows = [
        [
            terminal.time(entry.received_at),
            entry.kind,
            entry.alertnames,
            entry.instance,
            ",".join(entry.fingerprints),
            entry.name,
        ]
        for entry in found
    ]
    for line in terminal.table(
        ["RECEIVED", "KIND", "ALERTNAME", "INSTANCE", "FINGERPRINTS", "OBJECT"],
        [[printable(cell) for cell in row] for row in rows],
    ):
        click.echo(line)
