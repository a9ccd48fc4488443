"""The webhook endpoint: method, auth, size, parse, validate, store, answer.

Status codes follow Alertmanager's retry contract (notify/webhook): only 5xx and network
errors are retried; any other answer ends the attempt and the whole notification is sent
again at the next group_interval. So:
- 2xx only once the body is durably stored (or was already);
- 503 whenever storage did not confirm the write, so Alertmanager retries soon;
- 4xx only for requests that will never be accepted as they are;
- never 3xx (Go turns 301/302 into a body-less GET that counts as delivered) or 429.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import orjson

from alertarchive.archive import events, layout, record
from alertarchive.archive.notification import NotJsonObject, Summary, parse_json_object, summarize
from alertarchive.archive.safetext import printable
from alertarchive.archive.storage import Archive, StorageUnavailable, open_archive
from alertarchive.receiver import deadline, logs, recorder
from alertarchive.receiver.auth import CHALLENGE, TokenSet
from alertarchive.receiver.config import ConfigError, Settings
from alertarchive.receiver.health import ReadinessCheck
from alertarchive.receiver.schema import NotificationValidator, explain

# The Prometheus ecosystem's probe paths. Not /healthz: Cloud Run reserves some paths ending
# in "z" and may answer them itself, never passing them to the container
# (https://cloud.google.com/run/docs/known-issues, "Reserved URL paths").
LIVENESS_PATH = "/-/healthy"
READINESS_PATH = "/-/ready"
HEALTH_PATHS = (LIVENESS_PATH, READINESS_PATH)
# Answered 404 with the paths to use instead, never taken as a source called "healthz".
RETIRED_HEALTH_PATH = "/healthz"
# The event recorder's webhook output posts here (optionally /-/events/SOURCE): under /-/, so
# it can never be taken for a notification's source path.
EVENTS_PATH = "/-/events"
_READ_CHUNK_BYTES = 64 * 1024
# How much of a request's own header or method an answer repeats: enough to recognise it.
_ECHO_CHARS = 40
_JSON = {"Content-Type": "application/json"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


class Request(Protocol):
    """The parts of a flask.Request the receiver uses."""

    method: str
    path: str
    args: Mapping[str, str]
    headers: Mapping[str, str]
    content_length: int | None
    mimetype: str
    stream: Any


class OutcomeName(enum.StrEnum):
    """A request log line's `outcome`: what Terraform's log-based metrics filter on.

    tests/test_terraform_contract.py checks that the filters name only these.
    """

    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    HEALTH = "health"
    EVENT_STORED = "event_stored"
    EVENT_DUPLICATE = "event_duplicate"


@dataclasses.dataclass
class Outcome:
    """What happened to one request: the answer and what the log line says about it."""

    status_code: int
    outcome: OutcomeName
    body: bytes
    headers: dict[str, str]
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def text(cls, status_code: int, outcome: OutcomeName, line: str, **headers: str) -> Outcome:
        """A one-line answer, which the log line repeats as its `reason`."""
        return cls(
            status_code, outcome, (line + "\n").encode(), {**_TEXT, **headers}, {"reason": line}
        )


@dataclasses.dataclass(frozen=True)
class Receipt:
    """A body as received: its bytes, their hash, and when, from where and from whom."""

    body: bytes
    body_sha256: str
    received_at: datetime.datetime
    source: str
    user_agent: str


class Rejected(Exception):
    """A request answered without storing anything."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.body)
        self.outcome = outcome


class Receiver:
    """Turns webhook requests into archived objects and honest status codes."""

    def __init__(
        self,
        archive: Archive,
        tokens: TokenSet,
        max_body_bytes: int,
        validator: NotificationValidator | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.archive = archive
        self.tokens = tokens
        self.max_body_bytes = max_body_bytes
        self.validator = validator or NotificationValidator()
        # Injectable so tests and benchmarks can write archives spanning days and hours.
        self.clock = clock or _utc_now
        self.readiness = ReadinessCheck(archive)

    @classmethod
    def from_settings(cls, settings: Settings) -> Receiver:
        """The receiver the settings describe.

        Raises:
            ConfigError: ARCHIVE_URL names nothing this can write to.
        """
        try:
            archive = open_archive(settings.archive_url, settings.storage_timeout_seconds)
        except ValueError as error:
            raise ConfigError(f"ARCHIVE_URL={settings.archive_url!r}: {error}.") from None
        receiver = cls(
            archive=deadline.bounded(archive, settings.storage_timeout_seconds),
            tokens=TokenSet(settings.tokens),
            max_body_bytes=settings.max_body_bytes,
        )
        logs.emit("INFO", f"alertarchive receiver archiving to {archive.url}", archive=archive.url)
        if settings.on_cloud and not settings.archive_url.startswith("gs://"):
            logs.emit(
                "WARNING",
                f"ARCHIVE_URL={settings.archive_url} is a local path on Cloud Functions/Cloud Run: "
                "the instance disk is discarded, so only a mounted volume keeps what is archived "
                "there; use gs://BUCKET[/PREFIX] otherwise",
            )
        if not settings.tokens:
            logs.emit(
                "WARNING",
                "WEBHOOK_TOKENS is not set: accepting unauthenticated notifications; "
                "set it before exposing this receiver",
            )
        return receiver

    def handle(self, request: Request) -> tuple[bytes, int, dict[str, str]]:
        """Answer one HTTP request and write its log line."""
        started = time.perf_counter()
        try:
            outcome = self._answer(request)
        except Rejected as rejection:
            outcome = rejection.outcome
        _log(request, outcome, time.perf_counter() - started)
        return outcome.body, outcome.status_code, outcome.headers

    def _answer(self, request: Request) -> Outcome:
        events_path = _is_events_path(request.path)
        # Before the token check: probes carry no token, and these answers reveal nothing.
        if not events_path and (
            request.path.startswith("/-/") or _is_retired_health_path(request.path)
        ):
            return self._probe(request)
        if request.method != "POST":
            return Outcome.text(
                405,
                OutcomeName.REJECTED,
                f"method {_echo(request.method)} not allowed; POST notifications",
                Allow="POST",
            )
        source = _source(request, EVENTS_PATH if events_path else "")
        if self.tokens and not self.tokens.accepts(request.headers.get("Authorization")):
            return Outcome.text(
                401,
                OutcomeName.UNAUTHORIZED,
                "missing or wrong token: send Authorization: Bearer <token> "
                "(or Basic auth with the token as password)",
                **{"WWW-Authenticate": CHALLENGE},
            )
        _check_content_headers(request)
        body = self._read_body(request)
        user_agent = request.headers.get("User-Agent", "")
        if events_path:
            return self._record_events(body, source, user_agent)
        return self._archive(body, source, user_agent)

    def _record_events(self, body: bytes, source: str, user_agent: str) -> Outcome:
        """Keep each event of an event recorder POST under the name of the fact it records."""
        receipt = Receipt(body, hashlib.sha256(body).hexdigest(), self.clock(), source, user_agent)
        try:
            documents = recorder.parse_events(body)
        except NotJsonObject as error:
            return self._quarantine(400, str(error), [str(error)], receipt, summarize({}), False)
        problems = recorder.problems(documents)
        if problems:
            reasons = [str(problem) for problem in problems]
            # A notification posted here by mistake reads as a broken event: say where it goes.
            line = explain(
                problems, "not an event recorder event (notifications go to /, events to /-/events)"
            )
            return self._quarantine(422, line, reasons, receipt, summarize({}), True)
        kept = [self._keep_event(receipt, documents, index) for index in range(len(documents))]
        created = sum(1 for _, is_new in kept if is_new)
        answer = {
            "objects": [name for name, _ in kept],
            "events": len(kept),
            "duplicates": len(kept) - created,
        }
        return Outcome(
            201 if created else 200,
            OutcomeName.EVENT_STORED if created else OutcomeName.EVENT_DUPLICATE,
            orjson.dumps(answer) + b"\n",
            dict(_JSON),
            {"object": kept[0][0], "source": source, "events": len(kept)},
        )

    def _keep_event(self, receipt: Receipt, documents: list, index: int) -> tuple[str, bool]:
        """Store one event create-only; its name and whether it is new (a 503 if not stored)."""
        event = events.read(documents[index])
        data = recorder.event_bytes(receipt.body, documents, index)
        name = events.object_name(event, receipt.received_at, receipt.source)
        metadata = record.event_metadata(
            event=event,
            received_at=receipt.received_at,
            body_sha256=hashlib.sha256(data).hexdigest(),
            body_size=len(data),
            user_agent=receipt.user_agent,
            source=receipt.source,
        )
        try:
            return name, self.archive.create(name, data, metadata, "application/json")
        except StorageUnavailable as error:
            raise Rejected(
                Outcome(
                    503,
                    OutcomeName.UNAVAILABLE,
                    b"archive unavailable, event not stored; retry later\n",
                    dict(_TEXT),
                    {"object": name, "source": receipt.source, "reason": str(error)},
                )
            ) from None

    def _probe(self, request: Request) -> Outcome:
        """Liveness, readiness, or a 404 naming them; never a source, never archived."""
        probe_paths = f"GET {LIVENESS_PATH} (alive) or GET {READINESS_PATH} (archive writable)"
        if request.path not in HEALTH_PATHS:
            reason = (
                'Cloud Run reserves paths ending in "z" and may never pass them on'
                if _is_retired_health_path(request.path)
                else "no such path"
            )
            path = request.path[:80]
            return Outcome.text(404, OutcomeName.REJECTED, f"{path}: {reason}; probe {probe_paths}")
        if request.method not in ("GET", "HEAD"):
            return Outcome.text(
                405,
                OutcomeName.REJECTED,
                f"method {_echo(request.method)} not allowed on {request.path}; GET it",
                Allow="GET, HEAD",
            )
        if request.path == LIVENESS_PATH:
            return Outcome(
                200, OutcomeName.HEALTH, b'{"status":"ok"}\n', dict(_JSON), {"check": "liveness"}
            )
        readiness = self.readiness.check()
        if readiness.ready:
            return Outcome(
                200,
                OutcomeName.HEALTH,
                b'{"status":"ready"}\n',
                dict(_JSON),
                {"check": "readiness"},
            )
        # The answer says only what a caller can act on; the cause (it names the bucket)
        # goes to the log, as for a notification's 503.
        return Outcome(
            503,
            OutcomeName.HEALTH,
            b'{"status":"unavailable","reason":"the archive did not accept a write; '
            b'notifications would be answered 503 and retried"}\n',
            dict(_JSON),
            {"check": "readiness", "reason": readiness.reason},
        )

    def _read_body(self, request: Request) -> bytes:
        too_large = Outcome.text(
            413,
            OutcomeName.REJECTED,
            f"body larger than {self.max_body_bytes} bytes; lower max_alerts in the "
            "webhook_config or raise MAX_BODY_BYTES",
        )
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            raise Rejected(too_large)
        # Read at most one byte past the limit, so an undeclared (chunked) oversized body
        # is refused without holding it all in memory.
        chunks, size = [], 0
        try:
            while size <= self.max_body_bytes:
                chunk = request.stream.read(min(_READ_CHUNK_BYTES, self.max_body_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except Exception as error:  # werkzeug's ClientDisconnected and friends
            raise Rejected(
                Outcome.text(
                    400, OutcomeName.REJECTED, f"could not read the body: {_first_line(error)}"
                )
            ) from None
        if size > self.max_body_bytes:
            raise Rejected(too_large)
        # gunicorn ends the stream quietly when the client closes early, so a truncated body
        # would otherwise be archived (or quarantined) as if it were the whole notification.
        if request.content_length is not None and size < request.content_length:
            raise Rejected(
                Outcome.text(
                    400,
                    OutcomeName.REJECTED,
                    f"body ended after {size} of {request.content_length} bytes (Content-Length)",
                )
            )
        return b"".join(chunks)

    def _archive(self, body: bytes, source: str, user_agent: str) -> Outcome:
        receipt = Receipt(body, hashlib.sha256(body).hexdigest(), self.clock(), source, user_agent)
        try:
            document = parse_json_object(body)
        except NotJsonObject as error:
            return self._quarantine(400, str(error), [str(error)], receipt, summarize({}), False)
        summary = summarize(document)
        problems = self.validator.problems(document)
        if problems:
            reasons = [str(problem) for problem in problems]
            return self._quarantine(422, explain(problems), reasons, receipt, summary, True)
        name, created = self._keep(layout.ARCHIVED, receipt, summary)
        answer = {"object": name, "alerts": summary.alert_count, "duplicate": not created}
        return Outcome(
            201 if created else 200,
            OutcomeName.STORED if created else OutcomeName.DUPLICATE,
            orjson.dumps(answer) + b"\n",
            dict(_JSON),
            {"object": name, "source": source, "alerts": summary.alert_count},
        )

    def _quarantine(
        self,
        status_code: int,
        reason: str,
        problems: list[str],
        receipt: Receipt,
        summary: Summary,
        is_json: bool,
    ) -> Outcome:
        """Keep an authenticated body our schema refuses, then tell the sender why.

        The sender keeps re-sending a rejected notification every group_interval; keeping
        it means nothing is lost to our schema while the cause is fixed.
        """
        name, _ = self._keep(layout.QUARANTINED, receipt, summary, problems, is_json)
        return Outcome(
            status_code,
            OutcomeName.QUARANTINED,
            (reason + "\n").encode(),
            dict(_TEXT),
            {
                "object": name,
                "source": receipt.source,
                "alerts": summary.alert_count,
                "reason": reason,
            },
        )

    def _keep(
        self,
        kind: str,
        receipt: Receipt,
        summary: Summary,
        problems: Sequence[str] = (),
        is_json: bool = True,
    ) -> tuple[str, bool]:
        """Store a body under its name with its metadata; the name and whether it is new.

        Raises:
            Rejected: a 503 when storage did not confirm the write.
        """
        name = layout.object_name(
            kind,
            receipt.received_at,
            receipt.source,
            receipt.body_sha256,
            summary.status,
            summary.title,
            extension="json" if is_json else "bin",
        )
        metadata = record.metadata(
            received_at=receipt.received_at,
            body_sha256=receipt.body_sha256,
            body_size=len(receipt.body),
            user_agent=receipt.user_agent,
            source=receipt.source,
            summary=summary,
            problems=problems,
        )
        content_type = "application/json" if is_json else "application/octet-stream"
        try:
            return name, self.archive.create(name, receipt.body, metadata, content_type)
        except StorageUnavailable as error:
            raise Rejected(
                Outcome(
                    503,
                    OutcomeName.UNAVAILABLE,
                    b"archive unavailable, nothing stored; retry later\n",
                    dict(_TEXT),
                    {
                        "object": name,
                        "source": receipt.source,
                        "alerts": summary.alert_count,
                        "reason": str(error),
                    },
                )
            ) from None


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _source(request: Request, endpoint: str = "") -> str:
    """The source tag from `POST [endpoint]/<source>` or `?source=`; `default` if neither."""
    from_path = request.path.removeprefix(endpoint).strip("/")
    from_query = request.args.get("source", "")
    if from_path and from_query and from_path != from_query:
        raise Rejected(
            Outcome.text(
                400,
                OutcomeName.REJECTED,
                "source given twice (path and ?source=) with different values",
            )
        )
    source = from_path or from_query
    if not source:
        return layout.DEFAULT_SOURCE
    try:
        return layout.validate_source(source)
    except layout.InvalidSource as error:
        raise Rejected(Outcome.text(400, OutcomeName.REJECTED, str(error))) from None


def _check_content_headers(request: Request) -> None:
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Rejected(
            Outcome.text(
                415,
                OutcomeName.REJECTED,
                f"Content-Type {_echo(mimetype)} is not JSON; send Content-Type: application/json",
            )
        )
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise Rejected(
            Outcome.text(
                415,
                OutcomeName.REJECTED,
                f"Content-Encoding {_echo(encoding)} is not supported; send the body uncompressed",
            )
        )


def _is_events_path(path: str) -> bool:
    return path == EVENTS_PATH or path.startswith(EVENTS_PATH + "/")


def _is_retired_health_path(path: str) -> bool:
    # The source is the path without its slashes, so "/healthz/" would otherwise be one.
    return path.strip("/") == RETIRED_HEALTH_PATH.strip("/")


def _echo(sender_text: str) -> str:
    """A sender's header or method as an answer may repeat it: short, and inert on a terminal.

    Headers reach the answer (and the log's `reason`) whole otherwise: 100 KB of them, or
    escape sequences that act on the screen of whoever reads the answer or the log.
    """
    escaped = printable(sender_text[:_ECHO_CHARS])
    cut = len(sender_text) > _ECHO_CHARS or len(escaped) > _ECHO_CHARS
    return escaped[:_ECHO_CHARS] + "…" if cut else escaped


def _log(request: Request, outcome: Outcome, elapsed_seconds: float) -> None:
    if outcome.outcome == OutcomeName.HEALTH:
        # A probe loses nothing: a readiness 503 warns, while the notifications answered
        # 503 meanwhile log errors of their own.
        severity = "DEBUG" if outcome.status_code < 400 else "WARNING"
    elif outcome.status_code >= 500:
        severity = "ERROR"
    else:
        severity = "WARNING" if outcome.status_code >= 400 else "INFO"
    message = f"{outcome.outcome} {outcome.status_code}"
    if "object" in outcome.fields:
        message += f" {outcome.fields['object']}"
    logs.emit(
        severity,
        message,
        outcome=outcome.outcome,
        status_code=outcome.status_code,
        duration_ms=round(elapsed_seconds * 1000, 2),
        httpRequest={
            "requestMethod": request.method,
            # The path only: a query string is the sender's, and could carry a secret.
            "requestUrl": request.path[:200],
            "status": outcome.status_code,
            "userAgent": request.headers.get("User-Agent", "")[:200],
            "latency": f"{elapsed_seconds:.6f}s",
        },
        **outcome.fields,
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:120] if text else type(error).__name__
