"""What is in the archive: listing entries concurrently, filtering them, fetching bodies.

Filters are decided from the stored metadata whenever it can answer (status, alert name,
receiver, source); only label filters, and metadata that was cut to its size bound, need
the body. A body is downloaded only for entries the metadata could not rule out.

Only objects the receiver wrote are entries (alertarchive.archive.ownership). What else is there,
and what could not be read (a folder leading outside a local root, an unreadable body), is
left out and kept as a Notice for the command to report: one bad object never hides the
others or stops a listing.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from alertarchive.archive import layout, ownership, record
from alertarchive.archive.notification import NotJsonObject, parse_json_object, summarize
from alertarchive.archive.storage import Archive, NotFound, StorageUnavailable, StoredObject
from alertarchive.browse import timewindow
from alertarchive.browse.alerts import alerts
from alertarchive.browse.errors import ArchiveUnavailable, NoSuchObject, UserError, first_line
from alertarchive.browse.progress import Progress, Silent

if TYPE_CHECKING:
    from alertarchive.browse.listing_cache import ListingCache

DEFAULT_WORKERS = 16
_HEX = re.compile(r"[0-9a-f]+")
_MIN_ID_CHARS = 6
_BATCH = 64
# How many body reads each worker has queued ahead of the command consuming them.
_READ_AHEAD_PER_WORKER = 4

T = TypeVar("T")


# Notice kinds: what happened to the objects a listing left out or repaired.
IGNORED = "ignored"
UNREADABLE = "unreadable"
REBUILT = "rebuilt"


@dataclasses.dataclass(frozen=True)
class Notice:
    """An object (or folder) left out of a listing, or read differently, and why."""

    kind: str
    why: str
    name: str


class BadFilter(UserError):
    """A filter the CLI cannot apply (e.g. `--label` without `=`)."""


class AmbiguousName(UserError):
    """A short name that matches more than one object; the message says how to pick one."""

    def __init__(self, wanted: str, candidates: Sequence[Entry]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(_how_to_choose(wanted, self.candidates, self.one_body))

    @property
    def one_body(self) -> bool:
        """Whether every candidate holds the same bytes (one body received more than once)."""
        return len({candidate.sha256 for candidate in self.candidates}) == 1


def _how_to_choose(wanted: str, candidates: Sequence[Entry], one_body: bool) -> str:
    matches = f"{wanted!r} matches {len(candidates)} objects"
    if not one_body:
        return f"{matches}: give more of the name or ID"
    # The ID is the body's hash, so more digits cannot help: the copies differ only in
    # where (source) and when (hour partition) they were received.
    per_source = collections.Counter(candidate.source for candidate in candidates)
    unique = " or ".join(f"--source {source}" for source, count in per_source.items() if count == 1)
    if len(per_source) == len(candidates):
        return f"{matches}, one body stored under {len(candidates)} sources: add {unique}"
    either = f"add {unique}, or " if unique else ""
    return (
        f"{matches}, one body received {len(candidates)} times: "
        f"{either}give the full name of the one you want"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One archived notification as a listing describes it (no body)."""

    name: str
    size: int
    received_at: datetime.datetime
    status: str
    receiver: str
    alertnames_text: str
    alert_count: int | None
    source: str
    sha256: str
    user_agent: str
    group_key: str
    quarantined: bool
    validation_errors: tuple[str, ...]
    notification_reason: str = ""

    @property
    def alertnames(self) -> tuple[str, ...]:
        return tuple(name for name in self.alertnames_text.split(",") if name)

    @property
    def alertnames_shown(self) -> str:
        """The alert names as a list shows them: `A, B`."""
        text = self.alertnames_text
        return ", ".join(self.alertnames) if "," in text else text

    @property
    def received_stamp(self) -> str:
        """received_at as records carry it (UTC, microseconds, Z)."""
        return self.received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the body's sha256: what `show` and `replay` take."""
        return self.sha256[:12]

    def record(self) -> dict[str, Any]:
        """The entry as JSON-ready fields: one line of `list --json` and of `export` (NDJSON).

        Described by schemas/archived-notification-record.schema.json (keys in this order).
        """
        return {
            "name": self.name,
            "received_at": self.received_stamp,
            "status": self.status,
            "alertnames": list(self.alertnames),
            "alert_count": self.alert_count,
            "receiver": self.receiver,
            "source": self.source,
            "quarantined": self.quarantined,
            "sha256": self.sha256,
            "size": self.size,
            "user_agent": self.user_agent,
            "group_key": self.group_key,
            "notification_reason": self.notification_reason,
            "validation_errors": list(self.validation_errors),
        }


def entry_from(stored: StoredObject, metadata: Mapping[str, str]) -> Entry:
    """An Entry from an object's metadata (as stored, or rebuilt from its body)."""
    received_at = _parse_received_at(metadata.get("received_at", ""))
    if received_at is None:
        received_at = timewindow.partition_start(stored.name) or datetime.datetime.min.replace(
            tzinfo=datetime.UTC
        )
    errors = metadata.get("validation_errors", "")
    # A year of notifications repeats a few hundred statuses, receivers, names and senders:
    # one copy of each keeps 100,000 entries in tens of MiB.
    return Entry(
        name=stored.name,
        size=stored.size,
        received_at=received_at,
        status=_shared(metadata.get("status", "")),
        receiver=_shared(metadata.get("receiver", "")),
        alertnames_text=_shared(metadata.get("alertnames", "")),
        alert_count=_int_or_none(metadata.get("alert_count")),
        source=_shared(metadata.get("source") or _source_from_name(stored.name)),
        sha256=metadata.get("body_sha256") or ownership.sha256_in_name(stored.name) or "",
        user_agent=_shared(metadata.get("user_agent", "")),
        group_key=_shared(metadata.get("group_key", "")),
        quarantined=stored.name.startswith(f"{layout.QUARANTINED}/"),
        validation_errors=tuple(_json_list(errors)) if errors else (),
        notification_reason=_shared(metadata.get("notification_reason", "")),
    )


def _shared(text: str) -> str:
    return sys.intern(text) if type(text) is str else str(text)


def _metadata_from_body(name: str, body: bytes) -> dict[str, str]:
    """What the receiver would have recorded, recomputed (a local sidecar lost in a crash)."""
    fields = {"body_sha256": hashlib.sha256(body).hexdigest(), "source": _source_from_name(name)}
    try:
        summary = summarize(parse_json_object(body))
    except NotJsonObject:
        return fields
    return {
        **fields,
        "status": summary.status,
        "receiver": summary.receiver,
        "alertnames": ",".join(summary.alertnames),
        "alert_count": str(summary.alert_count),
        "group_key": summary.group_key,
        "notification_reason": summary.notification_reason,
    }


def _parse_received_at(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _source_from_name(name: str) -> str:
    match = re.search(r"/source=([^/]+)/", name)
    return match.group(1) if match else ""


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _json_list(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


@dataclasses.dataclass(frozen=True)
class Filters:
    """What to keep: each given option must match; repeated values of one option are ORed."""

    statuses: tuple[str, ...] = ()
    alertnames: tuple[str, ...] = ()
    receivers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(
        cls,
        statuses: Iterable[str] = (),
        alertnames: Iterable[str] = (),
        receivers: Iterable[str] = (),
        sources: Iterable[str] = (),
        labels: Iterable[str] = (),
    ) -> Filters:
        """Filters from CLI values; `labels` are `key=value` strings.

        Raises:
            BadFilter: a label without `=` or with an empty key.
        """
        return cls(
            tuple(statuses),
            tuple(alertnames),
            tuple(receivers),
            tuple(sources),
            tuple(parse_label(label) for label in labels),
        )

    def decide(self, entry: Entry) -> bool | None:
        """Whether the entry matches, from metadata alone; None when only the body can tell."""
        if self.statuses and entry.status not in self.statuses:
            return False
        if self.sources and entry.source not in self.sources:
            return False
        undecided = False
        for decision in (self._receiver(entry), self._alertname(entry)):
            if decision is False:
                return False
            undecided |= decision is None
        if undecided or self.labels:
            return None
        return True

    def matches_body(self, document: Mapping[str, Any] | None) -> bool:
        """The full check against a parsed body (None: the body is not a JSON object)."""
        if document is None:
            return not (self.alertnames or self.receivers or self.labels)
        summary = summarize(dict(document))
        if self.receivers and not any(
            receiver_matches(summary.receiver, wanted) for wanted in self.receivers
        ):
            return False
        if self.alertnames and not set(self.alertnames) & set(summary.alertnames):
            return False
        if self.labels:
            return any(self._labels_match(alert.labels) for alert in alerts(document))
        return True

    def _labels_match(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in self.labels)

    def _receiver(self, entry: Entry) -> bool | None:
        if not self.receivers:
            return True
        if any(receiver_matches(entry.receiver, wanted) for wanted in self.receivers):
            return True
        return None if record.was_cut(entry.receiver) else False

    def _alertname(self, entry: Entry) -> bool | None:
        if not self.alertnames:
            return True
        text = entry.alertnames_text
        if record.was_cut(text):
            return None
        if "," in text:
            # Names are comma-joined; a name that itself holds a comma makes the split
            # ambiguous, so a match there is confirmed from the body.
            if not any(wanted in text for wanted in self.alertnames):
                return False
            return None
        return text in self.alertnames


def parse_label(text: str) -> tuple[str, str]:
    """A `key=value` label filter as (key, value).

    Raises:
        BadFilter: no `=`, or an empty key.
    """
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise BadFilter(f"{text!r} is not key=value (e.g. --label severity=critical)")
    return key, value


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    """Storage's own errors as the UserErrors they are to someone browsing."""
    try:
        yield
    except NotFound as error:
        raise NoSuchObject(str(error)) from None
    except StorageUnavailable as error:
        raise ArchiveUnavailable(str(error)) from None


def receiver_matches(stored: str, wanted: str) -> bool:
    """Whether a stored receiver name is the one asked for, as configured or as sent."""
    # Alertmanager sends the receiver name regex-quoted (`team\.db`); accept either form.
    return stored == wanted or re.sub(r"\\(.)", r"\1", stored) == wanted


def case_hints(listed: Sequence[Entry], filters: Filters) -> list[str]:
    """Lines for the filter values that would match `listed` only in another case.

    One for each --alertname/--receiver/--source value that matches nothing as typed but
    differs only in case from a stored value (filters stay case-sensitive). Decided from
    the metadata (no body is read), so a name cut to the metadata's size bound gives no hint.
    """
    fields: list[tuple[str, tuple[str, ...], Callable[[Entry], Iterable[str]], Any]] = [
        ("--alertname", filters.alertnames, lambda entry: entry.alertnames, str.__eq__),
        ("--receiver", filters.receivers, lambda entry: (entry.receiver,), receiver_matches),
        ("--source", filters.sources, lambda entry: (entry.source,), str.__eq__),
    ]
    hints = []
    for option, wanted_values, values_of, matches in fields:
        if not wanted_values:
            continue
        present = list(dict.fromkeys(value for entry in listed for value in values_of(entry)))
        for wanted in wanted_values:
            if any(matches(value, wanted) for value in present):
                continue
            folded = wanted.casefold()
            near = [value for value in present if matches(value.casefold(), folded)]
            if near:
                shown = ", ".join(near[:5]) + (
                    f" and {len(near) - 5} more" if len(near) > 5 else ""
                )
                hints.append(
                    f"{option} {wanted} matches nothing in the window (filters are "
                    f"case-sensitive); it differs only in case from {shown}"
                )
    return hints


def listed_prefixes(archive: Archive, span: timewindow.Window, kind: str) -> list[str]:
    """The partitions of `kind/` to list for a window (see timewindow.prefixes).

    A long window first lists the days present, so a window to the year 9999 costs the days
    that exist, not one prefix per calendar day.
    """
    days = archive.list_folders(f"{kind}/") if timewindow.needs_folder_listing(span) else None
    return timewindow.prefixes(span, kind, days)


class Catalog:
    """Lists, filters and reads one archive, with a thread pool for the slow parts."""

    def __init__(
        self,
        archive: Archive,
        workers: int = DEFAULT_WORKERS,
        progress: Progress | None = None,
        listing_cache: ListingCache | None = None,
    ) -> None:
        """Browse archive.

        Args:
            archive: where the notifications are.
            workers: threads for listing and reading (1: none).
            progress: what shows long reads on a terminal.
            listing_cache: earlier listings of a local archive to reuse while unchanged.
        """
        self.archive = archive
        self.workers = workers
        self.progress = progress or Silent()
        self.listing_cache = listing_cache
        self._bodies: dict[str, bytes] = {}
        # Every entry, listed once for all the short names one command looks up.
        self._everything: list[Entry] | None = None
        # Appended to from the pool's threads (list.append is atomic).
        self.notices: list[Notice] = []
        # Filter values that match nothing but would in another case (case_hints).
        self.hints: list[str] = []

    def prefixes(self, span: timewindow.Window, kind: str) -> list[str]:
        """The partitions to list for a window (see listed_prefixes)."""
        with _storage_errors():
            return listed_prefixes(self.archive, span, kind)

    def entries(
        self,
        span: timewindow.Window,
        filters: Filters = Filters(),  # frozen, so one shared default is safe
        quarantined: bool = False,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries received in span that match, newest first, at most `limit`."""
        kind = layout.QUARANTINED if quarantined else layout.ARCHIVED
        prefixes = self.prefixes(span, kind)
        listed = [entry for entry in self._list(prefixes) if entry.received_at in span]
        listed.sort(key=lambda entry: (entry.received_at, entry.name), reverse=True)
        self.hints.extend(case_hints(listed, filters))
        return self._filter(listed, filters, limit)

    def _list(self, prefixes: Sequence[str]) -> list[Entry]:
        # A prefix at a time: a year's objects and their metadata are never all held at once.
        listed: list[Entry] = []
        if self.listing_cache is not None:
            for prefix in prefixes:
                listed.extend(self._list_kept(prefix, self.listing_cache))
            return listed
        for stored in self._map(self._list_prefix, prefixes):
            listed.extend(self._receivers_entries(stored))
        return listed

    def _list_kept(self, prefix: str, cache: ListingCache) -> list[Entry]:
        """A prefix's entries as listed before, if nothing in it changed; else listed, kept."""
        signature = getattr(self.archive, "listing_signature", None)
        try:
            now = signature(prefix) if signature else None
        except (ValueError, OSError):
            now = None  # listed below, where what is wrong becomes a Notice
        if now is None:
            return self._receivers_entries(self._list_prefix(prefix))
        kept = cache.get(prefix, now)
        if kept is not None:
            entries, notices = kept
            self.notices.extend(notices)
            return entries
        before = len(self.notices)
        entries = self._receivers_entries(self._list_prefix(prefix))
        notices = self.notices[before:]
        # What could not be read may be readable next time (EIO, permissions being fixed):
        # such a listing is not kept, so it is never repeated from the cache.
        if not any(notice.kind == UNREADABLE for notice in notices):
            cache.put(prefix, now, entries, notices)
        return entries

    def _list_prefix(self, prefix: str) -> list[StoredObject]:
        try:
            with _storage_errors():
                return list(self.archive.objects(prefix))
        except (ValueError, OSError) as error:
            # A local folder that leads outside the root, or one we may not read: the rest
            # of the window is still listed. (An unreachable bucket still stops the command.)
            self.notices.append(Notice(UNREADABLE, first_line(error), prefix))
            return []

    def _receivers_entries(self, stored: Sequence[StoredObject]) -> list[Entry]:
        """Entries for the objects the receiver wrote; a Notice for each other one."""
        named = []
        for item in stored:
            sha256 = ownership.sha256_in_name(item.name)
            if sha256 is None:
                self.notices.append(Notice(IGNORED, ownership.NOT_ITS_NAME, item.name))
            else:
                named.append((item, sha256, ownership.usable_metadata(item.metadata)))
        without_metadata = [item.name for item, _, metadata in named if metadata is None]
        bodies = self.bodies(without_metadata, "reading bodies without metadata")
        entries = []
        for item, sha256, metadata in named:
            if metadata is None:
                body = bodies.get(item.name)
                if body is None:
                    continue  # unreadable: already a Notice
                if hashlib.sha256(body).hexdigest() != sha256:
                    self.notices.append(Notice(IGNORED, ownership.NOT_ITS_BODY, item.name))
                    continue
                if item.metadata is not None and item.metadata != {}:
                    why = "with metadata that is not alertarchive's, read from its body"
                    self.notices.append(Notice(REBUILT, why, item.name))
                metadata = _metadata_from_body(item.name, body)
            else:
                problem = ownership.mismatch(metadata, sha256, item.size)
                if problem:
                    self.notices.append(Notice(IGNORED, problem, item.name))
                    continue
            entries.append(entry_from(item, metadata))
        return entries

    def _filter(self, listed: list[Entry], filters: Filters, limit: int | None) -> list[Entry]:
        decided = [(entry, filters.decide(entry)) for entry in listed]
        candidates = [(entry, decision) for entry, decision in decided if decision is not False]
        if not any(decision is None for _, decision in candidates):
            settled = [entry for entry, _ in candidates]
            return settled[:limit] if limit is not None else settled
        kept: list[Entry] = []
        # Newest first, a batch at a time, so a --limit stops the downloads early; bodies are
        # parsed as they come and not kept (a label filter over a year reads every body).
        batch_size = _BATCH if limit is not None else max(len(candidates), 1)
        for start in range(0, len(candidates), batch_size):
            batch = candidates[start : start + batch_size]
            undecided = [entry for entry, decision in batch if decision is None]
            matching = {
                entry.name
                for entry, document in self.read_ahead(undecided, "checking bodies")
                if filters.matches_body(document)
            }
            for entry, decision in batch:
                if decision or entry.name in matching:
                    kept.append(entry)
                    if limit is not None and len(kept) >= limit:
                        return kept
        return kept

    def read_ahead(
        self, entries: Sequence[Entry], label: str = "reading bodies"
    ) -> Iterator[tuple[Entry, dict[str, Any] | None]]:
        """Each entry with its parsed body (None: not a JSON object), in the order given.

        Each body is parsed once and not kept: a year's worth never sits in memory. Up to
        `workers` reads run ahead of the consumer (one at a time on a local disk, where
        threads only contend for the interpreter). An unreadable body is left out (and
        becomes a Notice); one already read by bodies() is not read again.
        """
        self.progress.start(label, len(entries))
        try:
            if self.workers <= 1:
                for entry in entries:
                    body = self._kept_or_read(entry.name)
                    if body is not None:
                        yield entry, _parse_or_none(body)
                return
            pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="catalog"
            )
            try:
                pending = iter(entries)
                ahead = collections.deque(
                    (entry, pool.submit(self._kept_or_read, entry.name))
                    for entry in itertools.islice(pending, self.workers * _READ_AHEAD_PER_WORKER)
                )
                while ahead:
                    entry, future = ahead.popleft()
                    following = next(pending, None)
                    if following is not None:
                        ahead.append((following, pool.submit(self._kept_or_read, following.name)))
                    body = future.result()
                    if body is not None:
                        yield entry, _parse_or_none(body)
            finally:
                # A consumer that stops early (a --limit met) waits for no queued read.
                pool.shutdown(cancel_futures=True)
        finally:
            self.progress.finish()

    def bodies(self, names: Sequence[str], label: str = "reading bodies") -> dict[str, bytes]:
        """The exact stored bytes of each name, downloaded concurrently and kept for reuse.

        A body that cannot be read is left out (and becomes a Notice).
        """
        missing = [name for name in names if name not in self._bodies]
        if missing:
            self.progress.start(label, len(missing))
            try:
                for name, body in zip(missing, self._map(self._read, missing), strict=True):
                    if body is not None:
                        self._bodies[name] = body
            finally:
                self.progress.finish()
        return {name: self._bodies[name] for name in names if name in self._bodies}

    def documents(
        self, entries: Sequence[Entry], label: str = "reading bodies"
    ) -> dict[str, dict[str, Any] | None]:
        """Parsed bodies by name (None for a body that is not a JSON object)."""
        bodies = self.bodies([entry.name for entry in entries], label)
        return {name: _parse_or_none(body) for name, body in bodies.items()}

    def _kept_or_read(self, name: str) -> bytes | None:
        kept = self._bodies.get(name)
        if kept is not None:
            self.progress.advance()
            return kept
        return self._read(name)

    def _read(self, name: str) -> bytes | None:
        try:
            with _storage_errors():
                return self.archive.read(name)
        except (NoSuchObject, ValueError, OSError) as error:
            # Gone since the listing, not a file, or leading outside a local root.
            self.notices.append(Notice(UNREADABLE, first_line(error), name))
            return None
        finally:
            self.progress.advance()

    def read(self, name: str) -> bytes:
        """One object's exact bytes.

        Raises:
            NoSuchObject: gone since it was listed.
            ArchiveUnavailable: it could not be read.
        """
        try:
            with _storage_errors():
                return self.archive.read(name)
        except (ValueError, OSError) as error:
            raise ArchiveUnavailable(_unreadable(name, error)) from None

    def find(self, text: str, sources: Sequence[str] = ()) -> Entry:
        """The one object a full name, a unique name suffix or a sha256 prefix points to.

        Args:
            text: what the user typed.
            sources: when given, only objects stored under one of these sources count
                (the same body received under two sources has one ID).

        Raises:
            NoSuchObject: nothing matches.
            AmbiguousName: several objects match.
        """
        wanted = text.strip()
        if not wanted:
            raise NoSuchObject("no object name given")
        if wanted.startswith((f"{layout.ARCHIVED}/", f"{layout.QUARANTINED}/")):
            matches = self._receivers_entries([self._stat(wanted)])
            if not matches:
                why = next(
                    (notice.why for notice in self.notices if notice.name == wanted), "unreadable"
                )
                raise NoSuchObject(f"{wanted} is not an object alertarchive wrote ({why})")
        else:
            matches = self._matching(wanted)
        chosen = [entry for entry in matches if entry.source in sources] if sources else matches
        if not chosen:
            stored_under = sorted({entry.source for entry in matches})
            others = " or ".join(f"--source {source}" for source in stored_under)
            raise NoSuchObject(
                f"no object matches {wanted!r} with --source {', '.join(sources)}; try {others}"
            )
        if len(chosen) > 1:
            chosen.sort(key=lambda entry: (entry.received_at, entry.name), reverse=True)
            raise AmbiguousName(wanted, chosen)
        return chosen[0]

    def _stat(self, name: str) -> StoredObject:
        try:
            with _storage_errors():
                return self.archive.stat(name)
        except (ValueError, OSError) as error:
            # A name leading outside a local root, or a file we may not read.
            raise NoSuchObject(_unreadable(name, error)) from None

    def _matching(self, wanted: str) -> list[Entry]:
        lowered = wanted.lower()
        by_hash = len(lowered) >= _MIN_ID_CHARS and _HEX.fullmatch(lowered) is not None
        if self._everything is None:
            self._everything = self._list([f"{layout.ARCHIVED}/", f"{layout.QUARANTINED}/"])
        matches = [
            entry
            for entry in self._everything
            if entry.name.endswith(wanted) or (by_hash and entry.sha256.startswith(lowered))
        ]
        if not matches:
            hint = ""
            if _HEX.fullmatch(lowered) and not by_hash:
                hint = f" (an ID needs at least {_MIN_ID_CHARS} hex digits)"
            raise NoSuchObject(f"no object matches {wanted!r} in {self.archive.url}{hint}")
        return matches

    def _map(self, function: Callable[[str], T], items: Sequence[str]) -> Iterator[T]:
        """function(item) for each item, in order; concurrently when workers > 1."""
        if len(items) <= 1 or self.workers <= 1:
            return map(function, items)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(self.workers, len(items)), thread_name_prefix="catalog"
        )
        try:
            return iter(list(pool.map(function, items)))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _unreadable(name: str, error: ValueError | OSError) -> str:
    # A ValueError (a name leading outside a local root) names the object itself.
    if isinstance(error, OSError):
        return f"{name} could not be read: {first_line(error)}"
    return first_line(error)


def _parse_or_none(body: bytes) -> dict[str, Any] | None:
    try:
        return parse_json_object(body)
    except NotJsonObject:
        return None
