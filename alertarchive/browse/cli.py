"""The `alertarchive` command: list, show, stats, report, replay, export and why.

It reads the same archive the receiver writes (`gs://bucket[/prefix]` or a directory) and
imports neither the receive path nor the schema validator; the GCS client is imported only
for gs:// URLs.
"""

from __future__ import annotations

import datetime
import functools
import os
import pathlib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import click

from alertarchive import __version__
from alertarchive.archive import safetext
from alertarchive.archive.safetext import printable
from alertarchive.archive.storage import (
    DEFAULT_ARCHIVE_URL,
    Archive,
    LocalLocation,
    open_archive,
    parse_archive_url,
)
from alertarchive.archive.storage.local import LocalArchive
from alertarchive.browse import (
    body_cache,
    export,
    history,
    listing_cache,
    params,
    quiet,
    recorded,
    replay,
    report,
    text,
    timewindow,
    why,
)
from alertarchive.browse.catalog import DEFAULT_WORKERS, AmbiguousName, Catalog, Entry, Filters
from alertarchive.browse.display import Terminal, counted
from alertarchive.browse.errors import NoSuchObject, UserError, first_line
from alertarchive.browse.progress import Progress
from alertarchive.browse.stats import Stats, compute

# Reads may wait longer than the receiver's writes (nobody is waiting on the other end),
# but a CLI that hangs for minutes on an unreachable bucket is worse than an error.
STORAGE_TIMEOUT_SECONDS = 20.0


class CommandError(click.ClickException):
    """An error a user can act on: one line (then any detail lines), exit code 1."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)

    def show(self, file: Any = None) -> None:
        click.echo(f"alertarchive: error: {printable(self.format_message())}", err=True)
        for line in self.details:
            click.echo(printable(line), err=True)


class ArchiveCommands(click.Group):
    """The command group; a UserError is one line, any other exception a bug's traceback.

    Every subcommand also takes the group's --archive, --utc/--local and --no-cache
    (global_options).
    """

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "archive_url" for param in cmd.params):
            cmd.params.extend(global_options())
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            _report_notices(ctx)
            return result
        except BrokenPipeError:
            # `alertarchive list | head`: the reader left; that is not an error.
            sys.stderr.close()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("alertarchive: interrupted", err=True)
            ctx.exit(130)
        except UserError as error:
            _report_notices(ctx)
            raise CommandError(first_line(error)) from None
        except click.ClickException:
            _report_notices(ctx)
            raise


def _report_notices(ctx: click.Context) -> None:
    """Say on stderr what the listings left out (and why), after the command's output."""
    app = ctx.find_object(App)
    if app is None or "catalog" not in app.__dict__:
        return
    for line in text.notice_lines(app.catalog.notices):
        click.echo(f"alertarchive: {printable(line)}", err=True)
    for line in dict.fromkeys(app.catalog.hints):
        click.echo(f"alertarchive: {printable(line)}", err=True)


def _stdout_is_a_terminal() -> bool:
    return sys.stdout.isatty()


class App:
    """What every command shares: the archive, how to print, the clock."""

    def __init__(self, archive_url: str, utc: bool, no_cache: bool = False) -> None:
        self.now = datetime.datetime.now(datetime.UTC)
        self.progress = Progress(sys.stderr)
        self.no_cache = no_cache
        self.configure(archive_url, utc)

    def configure(
        self, archive_url: str | None = None, utc: bool | None = None, no_cache: bool = False
    ) -> None:
        """Set the archive and the time zone (a subcommand's --archive/--utc override the group's).

        Only before the command has opened the archive: called while its options are parsed.
        """
        if archive_url is not None:
            self.archive_url = archive_url
        if no_cache:
            self.no_cache = True
        if utc is not None:
            self.utc = utc
            colour = _stdout_is_a_terminal() and not os.environ.get("NO_COLOR")
            self.terminal = Terminal(colour=colour, utc=utc)
            self.zone: datetime.tzinfo = (
                datetime.UTC if utc else datetime.datetime.now().astimezone().tzinfo or datetime.UTC
            )

    @functools.cached_property
    def archive(self) -> Archive:
        try:
            location = parse_archive_url(self.archive_url)
        except ValueError as error:
            raise CommandError(f"--archive {self.archive_url}: {error}") from None
        if isinstance(location, LocalLocation) and not location.path.is_dir():
            raise NoSuchObject(
                f"no archive at {self.archive_url} (set --archive or ARCHIVE_URL to "
                "gs://BUCKET[/PREFIX] or the receiver's archive directory)"
            )
        try:
            archive = open_archive(self.archive_url, timeout_seconds=STORAGE_TIMEOUT_SECONDS)
        except ValueError as error:
            # A path that is a file, or a gs:// URL without a bucket.
            raise CommandError(f"--archive {self.archive_url}: {error}") from None
        if isinstance(location, LocalLocation) or self.no_cache:
            return archive  # a local archive is already on this disk
        return body_cache.cached(archive)

    @functools.cached_property
    def catalog(self) -> Catalog:
        # A local disk answers faster than threads hand work over: they would only contend
        # for the interpreter (listing and reading 10,000: 1.1 s alone, 1.3 s with 16 threads).
        local = isinstance(self.archive, LocalArchive)
        kept = None
        if local and not self.no_cache:
            kept = listing_cache.ListingCache(
                listing_cache.default_root(), os.path.realpath(self.archive.url)
            )
        return Catalog(
            self.archive,
            workers=1 if local else DEFAULT_WORKERS,
            progress=self.progress,
            listing_cache=kept,
        )

    @property
    def clock(self) -> params.Clock:
        return params.Clock(self.now, self.zone)

    def window(
        self, since: timewindow.Moment, until: timewindow.Moment | None
    ) -> timewindow.Window:
        return timewindow.window_between(since, until, self.now, self.zone)

    def find(self, name: str, sources: Sequence[str] = (), any_copy: bool = False) -> Entry:
        """The object NAME points to; an ambiguous NAME is an error listing what it matches.

        Args:
            name: an object name, a unique end of one, or an ID.
            sources: only objects stored under these sources.
            any_copy: when NAME matches copies of one body, the newest will do (the caller
                prints only the body, which is the same bytes in every copy).
        """
        try:
            return self.catalog.find(name, sources)
        except AmbiguousName as error:
            if any_copy and error.one_body:
                return error.candidates[0]
            raise CommandError(
                str(error), text.candidate_lines(self.terminal, error.candidates)
            ) from None


pass_app = click.make_pass_decorator(App)

_ARCHIVE_HELP = (
    "gs://BUCKET[/PREFIX] (Application Default Credentials) or a local archive directory."
)
_UTC_HELP = "Show and read times in UTC or local time."
_NO_CACHE_HELP = (
    "Read everything from the archive, neither reading nor filling the local caches: the "
    "bodies of a gs:// archive ($XDG_CACHE_HOME/alertarchive/bodies, at most "
    "ALERTARCHIVE_CACHE_MAX_BYTES) and the listings of a local one (…/alertarchive/listings)."
)


def _override(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A subcommand's --archive/--utc/--local, given after its name: it wins over the group's."""
    if value is None:
        return
    app = ctx.find_object(App)
    if app is None:  # --help: nothing to configure
        return
    if param.name == "archive_url":
        app.configure(archive_url=value)
    elif param.name == "no_cache":
        app.configure(no_cache=value)
    else:
        app.configure(utc=value)
        params.set_clock(ctx, app.clock)


def global_options() -> list[click.Parameter]:
    """--archive, --utc/--local and --no-cache for a subcommand: `list --utc` is `--utc list`.

    Eager, so --utc is in effect before --since/--until are read; not from ARCHIVE_URL,
    which the group's --archive already reads (the group's value stands unless given here).
    """

    def late(declarations: list[str], **settings: Any) -> click.Option:
        return click.Option(
            declarations, is_eager=True, expose_value=False, callback=_override, **settings
        )

    return [
        late(
            ["--archive", "archive_url"],
            metavar="URL",
            help=_ARCHIVE_HELP + " [default: ARCHIVE_URL or ./archive]",
        ),
        late(["--utc/--local", "utc"], default=None, help=_UTC_HELP),
        late(["--no-cache", "no_cache"], is_flag=True, default=None, help=_NO_CACHE_HELP),
    ]


def window_options(default_since: str | None) -> Callable:
    """--since/--until, with the command's default window in the help."""

    def decorate(command: Callable) -> Callable:
        since_help = (
            "Start of the window: a duration ago (90m, 24h, 7d, 2w) or an ISO date/time "
            "(2026-11-27, 2026-11-27T04:00Z; without an offset, in the display time zone)."
        )
        command = click.option(
            "--until", type=params.WHEN, metavar="WHEN", help="End of the window [default: now]."
        )(command)
        return click.option(
            "--since",
            type=params.WHEN,
            metavar="WHEN",
            default=default_since,
            show_default=default_since is not None,
            help=since_help,
        )(command)

    return decorate


# stats and report count flapping the same way.
flap_option = click.option(
    "--flap-episodes",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="An alert flaps when it fired this many separate times in the window.",
)


def filter_options(command: Callable) -> Callable:
    """The metadata and label filters shared by list, stats, report, replay and export."""
    options = [
        click.option(
            "--label",
            "labels",
            multiple=True,
            type=params.LABEL,
            metavar="KEY=VALUE",
            help="Keep notifications with an alert carrying all these labels (repeatable; "
            "needs the bodies).",
        ),
        click.option("--source", "sources", multiple=True, help="Source tag (repeatable)."),
        click.option(
            "--receiver",
            "receivers",
            multiple=True,
            help=r"Receiver name, as configured or as sent (team\.db) (repeatable).",
        ),
        click.option("--alertname", "alertnames", multiple=True, help="Alert name (repeatable)."),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(["firing", "resolved"]),
            help="Notification status (repeatable).",
        ),
    ]
    for option in options:
        command = option(command)
    return command


def _filters(options: dict[str, Any]) -> Filters:
    """The Filters filter_options parsed (taken out of the command's keyword arguments)."""
    return Filters(
        statuses=options.pop("statuses", ()),
        alertnames=options.pop("alertnames", ()),
        receivers=options.pop("receivers", ()),
        sources=options.pop("sources", ()),
        labels=options.pop("labels", ()),
    )


@click.group(
    cls=ArchiveCommands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--archive",
    "archive_url",
    envvar="ARCHIVE_URL",
    default=DEFAULT_ARCHIVE_URL,
    show_default=True,
    metavar="URL",
    help=_ARCHIVE_HELP + " Env: ARCHIVE_URL.",
)
@click.option("--utc/--local", default=False, help=_UTC_HELP)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    envvar="ALERTARCHIVE_NO_CACHE",
    help=_NO_CACHE_HELP + " Env: ALERTARCHIVE_NO_CACHE=1.",
)
@click.version_option(__version__, prog_name="alertarchive")
@click.pass_context
def cli(ctx: click.Context, archive_url: str, utc: bool, no_cache: bool) -> None:
    """Browse the Alertmanager notifications archived by alertarchive.

    \b
    Examples:
      alertarchive --archive gs://my-alerts list --since 2h --status firing
      alertarchive list --alertname KubeJobFailed --label namespace=prod --json
      alertarchive show 3f9a1c2b7e10            # by sha256 prefix, or full object name
      alertarchive show 3f9a1c2b7e10 --raw > body.json
      alertarchive stats --since 7d
      alertarchive report --since 7d -o report.html
      alertarchive replay --since 1h --to http://127.0.0.1:8080/ --dry-run
      alertarchive export --since 30d --format csv > alerts.csv
    """  # noqa: D301
    ctx.obj = App(archive_url, utc, no_cache)
    params.set_clock(ctx, ctx.obj.clock)


@cli.command("list")
@window_options("24h")
@filter_options
@click.option(
    "--quarantined",
    is_flag=True,
    help="List quarantined bodies (not JSON, or refused by the schema) instead of archived ones.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many (newest).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (NDJSON).")
@pass_app
def list_command(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    quarantined: bool,
    limit: int | None,
    as_json: bool,
    **filter_values: Any,
) -> None:
    """List notifications, newest first.

    Filters on status, alert name, receiver and source use the stored metadata, so no body
    is downloaded for them; --label reads the bodies the other filters let through.

    \b
    Examples:
      alertarchive list                                 # the last 24 hours
      alertarchive list --since 7d --status firing --alertname HighLatency
      alertarchive list --since 2026-11-01 --until 2026-11-02 --receiver team-db
      alertarchive list --label severity=critical --label namespace=prod --limit 20
      alertarchive list --quarantined --since 30d
      alertarchive list --json | jq -r .name
    """  # noqa: D301
    filters = _filters(filter_values)
    span = app.window(since, until)
    entries = app.catalog.entries(span, filters, quarantined=quarantined, limit=limit)
    if as_json:
        out = sys.stdout.buffer
        for entry in entries:
            out.write((safetext.dumps_line(entry.record()) + "\n").encode())
        return
    if not entries:
        what = "quarantined bodies" if quarantined else "notifications"
        click.echo(
            f"no {what} between {app.terminal.time(span.start)} and "
            f"{app.terminal.time(span.end)} {app.terminal.zone_name}",
            err=True,
        )
        return
    text.print_entries(app.terminal, entries, quarantined)


@cli.command()
@click.argument("name")
@click.option(
    "--source",
    metavar="SOURCE",
    help="The copy stored under this source tag, when one body was received under several.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="Write the exact bytes received to stdout (any copy of the body will do).",
)
@click.option("--json", "as_json", is_flag=True, help="The body as indented JSON.")
@pass_app
def show(app: App, name: str, source: str | None, raw: bool, as_json: bool) -> None:
    """Show one notification: NAME is the object name, a unique end of it, or the ID from list.

    The ID is the start of the body's sha256, so one body received under two sources (or
    again in a later hour) has one ID; --source or the full name tells the copies apart.

    \b
    Examples:
      alertarchive show 3f9a1c2b7e10
      alertarchive show 3f9a1c2b7e10 --source eu-west
      alertarchive show alerts/dt=2026-11-27/hour=04/source=default/firing-X-<sha256>.json
      alertarchive show 3f9a1c2b7e10 --raw | sha256sum
    """  # noqa: D301
    entry = app.find(name, (source,) if source else (), any_copy=raw or as_json)
    body = app.catalog.read(entry.name)
    if raw:
        out = sys.stdout.buffer
        out.write(body)
        out.flush()
        return
    document = _parse(body)
    if as_json:
        if document is None:
            raise CommandError("the body is not a JSON object; use --raw for its exact bytes")
        click.echo(_indented_json(body))
        return
    text.print_notification(app.terminal, entry, document, len(body))


def _parse(body: bytes) -> dict[str, Any] | None:
    from alertarchive.archive.notification import NotJsonObject, parse_json_object

    try:
        return parse_json_object(body)
    except NotJsonObject:
        return None


def _indented_json(body: bytes) -> str:
    """The body indented, every number exactly as sent (a 400-digit integer stays one)."""
    try:
        return safetext.dumps(safetext.loads_exact(body), indent=2)
    except RecursionError:
        raise CommandError(
            "the body nests too deep to indent; use --raw for its exact bytes"
        ) from None


def _stats_for(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    filters: Filters,
    flap_episodes: int,
    timelines: history.Timelines | None = None,
) -> tuple[Stats, list[Entry]]:
    """The window's figures, reading each body once; `timelines` is fed the same pass."""
    span = app.window(since, until)
    entries = app.catalog.entries(span, filters)
    # The same selection `list --quarantined` makes with these options.
    quarantined = len(app.catalog.entries(span, filters, quarantined=True))
    read = app.catalog.read_ahead(entries[::-1])  # oldest first, as episodes unfold
    if timelines is not None:
        read = _feeding(timelines, read)
    figures = compute(span, entries, read, quarantined, flap_episodes)
    figures.quiet = quiet.read(app.archive, span, entries, filters)
    return figures, entries


def _feeding(
    timelines: history.Timelines, read: Iterable[tuple[Entry, dict[str, Any] | None]]
) -> Iterator[tuple[Entry, dict[str, Any] | None]]:
    for entry, document in read:
        timelines.add(entry, document)
        yield entry, document


@cli.command()
@window_options("7d")
@filter_options
@flap_option
@click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object.")
@pass_app
def stats(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    flap_episodes: int,
    as_json: bool,
    **filter_values: Any,
) -> None:
    """Count by status, receiver, alert name and severity; find noisy and flapping alerts.

    Reads the bodies (concurrently) for fingerprints, severities and episode times.

    \b
    Examples:
      alertarchive stats                      # the last 7 days
      alertarchive stats --since 24h --receiver team-db
      alertarchive stats --since 30d --json | jq .flapping
    """  # noqa: D301
    figures, _ = _stats_for(app, since, until, _filters(filter_values), flap_episodes)
    if as_json:
        click.echo(safetext.dumps(figures.record()))
        return
    text.print_stats(app.terminal, figures)


@cli.command("events")
@window_options("24h")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Event kind, e.g. silenceMutedAlert, inhibitionMutedAlert, notification (repeatable).",
)
@click.option("--alertname", "alertnames", multiple=True, help="Alert name (repeatable).")
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="SOURCE",
    help="Only the events received under this source tag (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (NDJSON).")
@pass_app
def events_command(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    kinds: tuple[str, ...],
    alertnames: tuple[str, ...],
    sources: tuple[str, ...],
    as_json: bool,
) -> None:
    """List the event recorder's events (Alertmanager 0.33+), newest first, from metadata.

    Each row is one fact, kept once per hour it was recorded; `why` tells an alert's story.

    \b
    Examples:
      alertarchive events --since 7d --kind silenceMutedAlert
      alertarchive events --alertname KubeJobFailed --json | jq .kind
    """  # noqa: D301
    span = app.window(since, until)
    window = recorded.listed(app.archive, span)
    found = recorded.select(window, kinds, alertnames, sources)
    for line in recorded.hints(window, kinds, alertnames, sources):
        click.echo(f"alertarchive: {printable(line)}", err=True)
    if as_json:
        out = sys.stdout.buffer
        for entry in found:
            out.write((safetext.dumps(entry.record()) + "\n").encode())
        return
    if not found:
        between = (
            f"between {app.terminal.time(span.start)} and "
            f"{app.terminal.time(span.end)} {app.terminal.zone_name}"
        )
        click.echo(
            f"no recorder events {between} match the filters ({len(window)} in the window)"
            if window
            else f"no recorder events {between}",
            err=True,
        )
        return
    text.print_recorded(app.terminal, found)


@cli.command("why")
@click.argument("alertname")
@window_options("24h")
@click.option(
    "--label",
    "labels",
    multiple=True,
    type=params.LABEL,
    metavar="KEY=VALUE",
    help="Only the alerts carrying all these labels (repeatable).",
)
@click.option(
    "--fingerprint",
    metavar="HEX",
    help="The alert's fingerprint (16 hex digits), when several alerts share the name.",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="SOURCE",
    help="Only the events and notifications received under this source tag (repeatable).",
)
@pass_app
def why_command(
    app: App,
    alertname: str,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    labels: tuple[tuple[str, str], ...],
    fingerprint: str | None,
    sources: tuple[str, ...],
) -> None:
    """Why ALERTNAME did or did not reach anyone: created, grouped, silenced, inhibited, sent.

    Reads the event recorder's events (Alertmanager 0.33+, posted to the function's
    /-/events) and the archived notifications; without events, says how to turn them on.

    \b
    Examples:
      alertarchive why KubeJobFailed --label namespace=batch
      alertarchive why CPUThrottlingHigh --since 2026-12-01T19:00Z --until 2026-12-01T23:00Z
    """  # noqa: D301
    wanted = dict(labels)
    span = app.window(since, until)
    try:
        explanation = why.explain(
            app.archive, span, alertname, wanted, fingerprint=fingerprint, sources=sources
        )
    except why.SeveralAlerts as several:
        # One verdict for several alerts would mix their stories (one sent, one inhibited).
        raise CommandError(str(several), text.candidate_alert_lines(several.candidates)) from None
    named = [
        entry
        for entry in app.catalog.entries(span, Filters(sources=sources))
        if alertname in entry.alertnames
    ]
    documents = app.catalog.documents(named)
    # The deliveries that carried the alert asked for: its name and every --label.
    carrying = [
        entry
        for entry in named
        if any(
            alert.get("labels", {}).get("alertname") == alertname
            and all(alert.get("labels", {}).get(k) == v for k, v in wanted.items())
            and fingerprint in (None, alert.get("fingerprint"))
            for alert in (documents.get(entry.name) or {}).get("alerts") or []
            if isinstance(alert, dict) and isinstance(alert.get("labels"), dict)
        )
    ]
    text.print_why(app.terminal, explanation, wanted, quiet.unrecorded(app.archive, span, carrying))


@cli.command("history")
@click.argument("alertname", required=False)
@window_options("24h")
@click.option(
    "--fingerprint",
    metavar="HEX",
    help="The alert's fingerprint (16 hex digits, as `show` prints it) instead of ALERTNAME.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    type=params.LABEL,
    metavar="KEY=VALUE",
    help="Only the alert carrying all these labels (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="The history as one JSON object.")
@pass_app
def history_command(
    app: App,
    alertname: str | None,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    fingerprint: str | None,
    labels: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """One alert's history: each notification that carried it, what changed, its episodes.

    Select the alert by ALERTNAME (and --label to tell it from others of that name) or by
    --fingerprint. An episode with no resolved notification says which cause is likely:
    muted (from the event recorder's events), send_resolved off, or still firing.

    \b
    Examples:
      alertarchive history KubePodCrashLooping --label pod=api-7d9f --since 7d
      alertarchive history --fingerprint 4eaea61d9291a3b1
    """  # noqa: D301
    if alertname is None and fingerprint is None:
        raise click.UsageError("give ALERTNAME (with --label) or --fingerprint")
    if alertname is not None and fingerprint is not None:
        raise click.UsageError("give ALERTNAME (with --label) or --fingerprint, not both")
    span = app.window(since, until)
    every = app.catalog.entries(span)
    carrying = [e for e in every if alertname is None or alertname in e.alertnames]
    found = history.timelines(
        span,
        app.catalog.read_ahead(carrying[::-1]),
        fingerprint=fingerprint.lower() if fingerprint else None,
        alertname=alertname,
        labels=dict(labels),
        resolving_receivers={e.receiver for e in every if e.status == "resolved"},
        mutes=history.mutes(app.archive, span),
    )
    wanted = fingerprint or text.history_subject_of(alertname or "", dict(labels))
    if not found:
        raise NoSuchObject(f"no notification in the window carried {wanted}")
    if len(found) > 1:
        raise CommandError(
            f"{counted(len(found), 'alert')} match {wanted}: add --label or give --fingerprint",
            text.history_candidate_lines(found),
        )
    if as_json:
        click.echo(safetext.dumps(found[0].record()))
        return
    text.print_history(app.terminal, found[0])


@cli.command("report")
@window_options("7d")
@filter_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=pathlib.Path),
    default="report.html",
    show_default=True,
    help="Where to write the HTML page.",
)
@click.option("--title", default="Alert report", show_default=True, help="The page title.")
@flap_option
@pass_app
def report_command(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    output: pathlib.Path,
    title: str,
    flap_episodes: int,
    **filter_values: Any,
) -> None:
    """Write a self-contained HTML report of a window, for incident reviews.

    The page has a timeline of alert episodes (one row per alert, bars from startsAt to
    endsAt), counts per alert name, flapping alerts, each alert's history (what it said, its
    episodes and what changed, as `history` shows it) and the notifications table. It opens
    offline: no scripts, fonts or images from the network.

    \b
    Examples:
      alertarchive report --since 7d -o report.html
      alertarchive report --since 2026-11-26T22:00Z --until 2026-11-27T02:00Z \\
          --title "Incident 2026-11-27: checkout latency" -o incident.html
    """  # noqa: D301
    # The page shows MAX_CARDS alerts' histories, each cut to MAX_SIGHTINGS notifications.
    builder = history.Timelines(keep_sightings=report.MAX_SIGHTINGS, keep_alerts=report.MAX_CARDS)
    filters = _filters(filter_values)
    figures, entries = _stats_for(app, since, until, filters, flap_episodes, builder)
    timelines = builder.finish(
        figures.window,
        history.mutes(app.archive, figures.window),
        resolving_receivers={e.receiver for e in entries if e.status == "resolved"},
    )
    page = report.chunks(figures, entries, title, app.zone, app.now, timelines)
    try:
        with output.open("w", encoding="utf-8") as written:
            written.writelines(page)
    except OSError as error:
        raise CommandError(f"cannot write {output}: {first_line(error)}") from None
    click.echo(
        f"wrote {printable(str(output))}: {counted(figures.notifications, 'notification')}, "
        f"{counted(len(figures.histories), 'alert')}, {counted(figures.episodes, 'episode')}"
    )


@cli.command("replay")
@click.argument("names", nargs=-1)
@window_options(None)
@filter_options
@click.option(
    "--to", "url", type=params.TARGET, required=True, metavar="URL", help="The webhook to POST to."
)
@click.option(
    "--token",
    type=params.TOKEN,
    envvar="REPLAY_TOKEN",
    metavar="TOKEN",
    help="Send Authorization: Bearer TOKEN. Env: REPLAY_TOKEN.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@pass_app
def replay_command(
    app: App,
    names: tuple[str, ...],
    since: timewindow.Moment | None,
    until: timewindow.Moment | None,
    url: str,
    token: str | None,
    dry_run: bool,
    **filter_values: Any,
) -> None:
    """Re-POST archived notifications, byte for byte, to another webhook.

    Oldest first, with Alertmanager's Content-Type and the original User-Agent; prints each
    answer's status code and exits 1 if any is not 2xx. With NAMEs, --source picks the copy
    of a body that was received under several sources.

    \b
    Examples:
      alertarchive replay 3f9a1c2b7e10 --to http://127.0.0.1:8080/
      alertarchive replay 3f9a1c2b7e10 --source eu-west --to http://127.0.0.1:8080/
      alertarchive replay --since 1h --status firing --to https://new-receiver.example/hook \\
          --token "$NEW_TOKEN" --dry-run
    """  # noqa: D301
    filters = _filters(filter_values)
    if names and since:
        raise click.UsageError("give object NAMEs or --since, not both")
    if names:
        entries = [app.find(name, filters.sources) for name in names]
    elif since:
        entries = app.catalog.entries(app.window(since, until), filters)
    else:
        raise click.UsageError("give object NAMEs or --since to choose what to replay")
    if not entries:
        click.echo("nothing to replay", err=True)
        return
    if dry_run:
        for entry in sorted(entries, key=lambda entry: (entry.received_at, entry.name)):
            click.echo(f"would POST {counted(entry.size, 'byte')}  {printable(entry.name)}")
        click.echo(f"dry run: {counted(len(entries), 'notification')}, nothing sent", err=True)
        return
    failed = 0
    for delivery in replay.replay(entries, app.catalog.read, url, token):
        answer = delivery.status_code if delivery.status_code is not None else "---"
        detail = f"  {printable(delivery.detail)}" if delivery.detail else ""
        line = f"{answer}  {printable(delivery.name)}{detail}"
        click.echo(app.terminal.status(line, "resolved" if delivery.ok else "firing"))
        failed += not delivery.ok
    if failed:
        were = "was" if failed == 1 else "were"
        raise CommandError(
            f"{failed} of {counted(len(entries), 'notification')} {were} not accepted"
        )
    every = "accepted" if len(entries) == 1 else "all accepted"
    click.echo(f"replayed {counted(len(entries), 'notification')}, {every}", err=True)


@cli.command("export")
@window_options("24h")
@filter_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["ndjson", "csv"]),
    default="ndjson",
    show_default=True,
)
@click.option(
    "--alerts",
    "per_alert",
    is_flag=True,
    help="One row per alert (reads the bodies) instead of one per notification.",
)
@click.option("--quarantined", is_flag=True, help="Export quarantined bodies' metadata instead.")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="File to write [default: stdout].",
)
@pass_app
def export_command(
    app: App,
    since: timewindow.Moment,
    until: timewindow.Moment | None,
    output_format: str,
    per_alert: bool,
    quarantined: bool,
    output: Any,
    **filter_values: Any,
) -> None:
    """Export notifications (or their alerts) as NDJSON or CSV, oldest first.

    \b
    Examples:
      alertarchive export --since 30d --format csv -o notifications.csv
      alertarchive export --since 7d --alerts --format csv > alerts.csv
      alertarchive export --since 24h | duckdb -c "select * from read_json('/dev/stdin')"
    """  # noqa: D301
    span = app.window(since, until)
    entries = app.catalog.entries(span, _filters(filter_values), quarantined=quarantined)
    entries.reverse()
    if per_alert:
        rows = export.alert_rows(app.catalog.read_ahead(entries))
        columns = export.ALERT_COLUMNS
    else:
        rows = export.notification_rows(entries)
        columns = export.NOTIFICATION_COLUMNS
    if output_format == "csv":
        # CSV keeps cells exact for files and pipes; a terminal gets them escaped.
        to_terminal = output is sys.stdout or getattr(output, "name", "-") == "-"
        escaped = to_terminal and _stdout_is_a_terminal()
        count = export.write_csv(rows, columns, output, escaped=escaped)
    else:
        count = export.write_ndjson(rows, output)
    if output is not sys.stdout and getattr(output, "name", "-") != "-":
        click.echo(f"wrote {counted(count, 'row')} to {printable(output.name)}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="alertarchive")
