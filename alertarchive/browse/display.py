"""Human output for the terminal: safe text, aligned tables, times, colours on a TTY only.

Label values are whatever the alert's author (or an attacker) wrote: every cell goes
through safetext.printable, so a label cannot move the cursor, recolour or clear a reader's
terminal.
"""

from __future__ import annotations

import datetime
import itertools
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

import click

from alertarchive.archive.safetext import printable

_STATUS_COLOURS = {"firing": "red", "resolved": "green", "quarantined": "yellow"}


def plural(count: int, noun: str) -> str:
    """The noun as it goes with count: `alert` for 1, `alerts` for any other number."""
    return noun if count == 1 else f"{noun}s"


def counted(count: int, noun: str) -> str:
    """A count and its noun: `1 alert`, `3 alerts`."""
    return f"{count} {plural(count, noun)}"


def width(text: str) -> int:
    """Columns the text takes in a terminal (wide CJK/emoji count 2, combining marks 0)."""
    if text.isascii():
        return len(text)  # no ASCII character is wide or combining: the common case, fast
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def fit(text: str, columns: int) -> str:
    """Text cut to at most `columns` terminal columns, marked with … when cut."""
    if width(text) <= columns:
        return text
    kept, used = [], 0
    for char in text:
        char_width = width(char)
        if used + char_width > columns - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + "…"


class Terminal:
    """How to write for one output stream: colours and time zone."""

    def __init__(self, colour: bool, utc: bool) -> None:
        self.colour = colour
        self.utc = utc

    @property
    def zone_name(self) -> str:
        if self.utc:
            return "UTC"
        return datetime.datetime.now().astimezone().tzname() or "local"

    def time(self, moment: datetime.datetime) -> str:
        """A receipt time in the chosen zone, to the second."""
        shown = moment.astimezone(datetime.UTC) if self.utc else moment.astimezone()
        return shown.strftime("%Y-%m-%d %H:%M:%S")

    def status(self, text: str, status: str) -> str:
        """Text coloured by a notification status (only on a colour terminal)."""
        colour = _STATUS_COLOURS.get(status)
        return click.style(text, fg=colour) if self.colour and colour else text

    def bold(self, text: str) -> str:
        return click.style(text, bold=True) if self.colour else text

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[str]],
        limits: Sequence[int | None] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[str]:
        """Aligned lines: a header, then one line per row, cells cleaned and cut to limits.

        Args:
            headers: column titles.
            rows: cell texts.
            limits: maximum columns per column (None: no limit).
            statuses: per row, the status whose colour the row takes.
        """
        return list(self.table_lines(headers, rows, limits, statuses))

    def table_lines(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[str]],
        limits: Sequence[int | None] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """table()'s lines one at a time: only the cleaned cells are held, not the lines too."""
        limits = limits or [None] * len(headers)
        cells = [
            [
                fit(printable(cell), limit) if limit else printable(cell)
                for cell, limit in zip(row, limits, strict=True)
            ]
            for row in rows
        ]
        widths = [
            max([width(header), *(width(row[index]) for row in cells)])
            for index, header in enumerate(headers)
        ]
        yield self.bold(_join(headers, widths))
        for index, row in enumerate(cells):
            line = _join(row, widths)
            yield self.status(line, statuses[index]) if statuses else line


def echo_lines(lines: Iterable[str]) -> None:
    """Print lines, a thousand per write (a year's `list` is 100,000 of them)."""
    pending = iter(lines)
    while chunk := list(itertools.islice(pending, _LINES_PER_WRITE)):
        click.echo("\n".join(chunk))


_LINES_PER_WRITE = 1000


def _join(cells: Sequence[str], widths: Sequence[int]) -> str:
    # width()'s ASCII case inlined: a long table joins 700,000 cells, a call each costs.
    padded = [
        cell + " " * (size - (len(cell) if cell.isascii() else width(cell)))
        for cell, size in zip(cells, widths, strict=True)
    ]
    return "  ".join(padded).rstrip()
