"""Option types for the `alertarchive` command: values parsed once, bad ones refused as usage.

Each type turns the text a user typed into what the command works with (a Moment, a label
pair, a checked URL or token), so a bad value is click's usage error naming the option
(exit 2) and a command never sees it.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import click

from alertarchive.browse import replay, timewindow
from alertarchive.browse.catalog import parse_label
from alertarchive.browse.errors import UserError

_CLOCK = "alertarchive.clock"


@dataclasses.dataclass(frozen=True)
class Clock:
    """The instant a command runs at and the zone it reads times in."""

    now: datetime.datetime
    zone: datetime.tzinfo


def set_clock(ctx: click.Context, clock: Clock) -> None:
    """Make the clock the time options read relative times against (and zone-less ones in)."""
    ctx.meta[_CLOCK] = clock


class _Checked(click.ParamType):
    """A type whose check raises a UserError; its message becomes the usage error's."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # already converted (a default given as an object)
        try:
            return self.check(value, ctx)
        except UserError as error:
            self.fail(str(error), param, ctx)

    def check(self, text: str, ctx: click.Context | None) -> Any:
        raise NotImplementedError


class When(_Checked):
    """--since/--until: a duration ago or an ISO date/time, as a timewindow.Moment."""

    name = "when"

    def check(self, text: str, ctx: click.Context | None) -> timewindow.Moment:
        clock = ctx.meta.get(_CLOCK) if ctx is not None else None
        if clock is None:
            clock = Clock(datetime.datetime.now(datetime.UTC), datetime.UTC)
        return timewindow.Moment(timewindow.parse_moment(text, clock.now, clock.zone), text)


class Label(_Checked):
    """--label: `key=value`, as a (key, value) pair."""

    name = "key=value"

    def check(self, text: str, ctx: click.Context | None) -> tuple[str, str]:
        return parse_label(text)


class Target(_Checked):
    """--to: an http(s) URL with a host."""

    name = "url"

    def check(self, text: str, ctx: click.Context | None) -> str:
        return replay.check_target(text)


class Token(_Checked):
    """--token: a value an Authorization header can carry."""

    name = "token"

    def check(self, text: str, ctx: click.Context | None) -> str | None:
        return replay.check_token(text)


WHEN = When()
LABEL = Label()
TARGET = Target()
TOKEN = Token()
