"""Archives written by the real receiver (not hand-made files), at chosen receipt times.

Bodies go through alertarchive.receiver.receive.Receiver behind a Flask test client, as
functions-framework hands them over in production; only the receiver's clock is set.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from collections.abc import Iterable
from typing import Any

import flask

from alertarchive.archive.storage import Archive, open_archive
from alertarchive.receiver.auth import TokenSet
from alertarchive.receiver.receive import Receiver
from alertarchive.receiver.schema import NotificationValidator

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
ALERTMANAGER_USER_AGENT = "Alertmanager/0.25.0"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_VALIDATOR = None


def _validator() -> NotificationValidator:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = NotificationValidator()
    return _VALIDATOR


class ArchiveWriter:
    """Posts bodies to a real Receiver archiving to `archive_url`, at the time of our choosing."""

    def __init__(self, archive_url: str | None = None, archive: Archive | None = None) -> None:
        self.archive = archive or open_archive(archive_url)
        self.now = datetime.datetime.now(datetime.UTC)
        self.receiver = Receiver(
            archive=self.archive,
            tokens=TokenSet(()),
            max_body_bytes=10 * 1024 * 1024,
            validator=_validator(),
            clock=lambda: self.now,
        )
        app = flask.Flask("archive-writer")

        def receive(source: str = "") -> Any:
            return self.receiver.handle(flask.request)

        app.add_url_rule("/", "root", receive, methods=["GET", "POST"])
        app.add_url_rule("/<path:source>", "source", receive, methods=["GET", "POST"])
        self.client = app.test_client()

    def post(
        self,
        body: bytes,
        at: datetime.datetime,
        source: str = "",
        user_agent: str = ALERTMANAGER_USER_AGENT,
    ) -> dict[str, Any]:
        """Deliver one body as received at `at`; returns the receiver's answer (and status)."""
        self.now = at
        response = self.client.post(
            f"/{source}",
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": user_agent},
        )
        answer = {"status_code": response.status_code, "text": response.get_data(as_text=True)}
        if response.is_json:
            answer.update(response.get_json())
        return answer


def fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint: FNV-1a 64 over the sorted label pairs, 0xff-separated."""
    value = 0xCBF29CE484222325
    for key in sorted(labels):
        for chunk in (key.encode(), b"\xff", labels[key].encode(), b"\xff"):
            for byte in chunk:
                value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def go_time(moment: datetime.datetime | None) -> str:
    """A timestamp as Go's encoder writes it (RFC 3339, nanoseconds, trailing zeros trimmed)."""
    if moment is None:
        return GO_ZERO_TIME
    text = moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0")
    return text.rstrip(".") + "Z"


def alert(
    labels: dict[str, str],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alert as Alertmanager sends it: resolved when ends_at is given."""
    return {
        "status": "resolved" if ends_at else "firing",
        "labels": dict(labels),
        "annotations": annotations or {},
        "startsAt": go_time(starts_at),
        "endsAt": go_time(ends_at),
        "generatorURL": "",
        "fingerprint": fingerprint(labels),
    }


def notification(alerts: Iterable[dict[str, Any]], receiver: str = "team-a") -> bytes:
    """A webhook body in Alertmanager's shape and encoding (compact, HTML-escaped, newline)."""
    alerts = list(alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for item in alerts[1:]:
        common = {k: v for k, v in common.items() if item["labels"].get(k) == v}
    group = {"alertname": common["alertname"]} if "alertname" in common else {}
    document = {
        "receiver": receiver,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": group,
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}:" + "{" + ",".join(f'{k}="{v}"' for k, v in group.items()) + "}",
        "truncatedAlerts": 0,
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # Go's encoding/json escapes these even inside strings; byte-level tests should see them.
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return (text + "\n").encode()


HOSTILE_NAME = "<script>document.title='pwned'</script>"
UNICODE_NAME = "Crème brûlée 🔥 日本"
ANSI_VALUE = "\x1b[2J\x1b[31mred"


class Scenario:
    """A day of realistic traffic, relative to `now`, with the bodies and names it produced.

    - HighLatency (critical): fired 5h ago, repeated, resolved 3h ago   → 1 closed episode
    - DiskFull (warning): fired 2h ago, repeated 1h ago, still firing   → 1 open episode
    - Flappy (info): fired and resolved three times, 10h to 5h ago      → flapping
    - OldAlert: 3 days ago, receiver team-b                            → outside 24h, inside 7d
    - the captured firing-group-of-3 (receiver bearer\\.receiver), 30m ago, source eu
    - hostile labels (<script>, ANSI escapes, unicode), 20m ago
    - quarantined: a non-JSON body 15m ago, a schema-invalid JSON object 10m ago
    """

    url: str = ""

    def __init__(self, writer: ArchiveWriter, now: datetime.datetime, captured: bytes) -> None:
        self.now = now
        self.bodies: dict[str, bytes] = {}

        def ago(**delta: float) -> datetime.datetime:
            return now - datetime.timedelta(**delta)

        def post(key: str, body: bytes, at: datetime.datetime, **options: Any) -> None:
            answer = writer.post(body, at, **options)
            assert answer["status_code"] in (200, 201, 400, 422), answer
            self.bodies[key] = body
            setattr(self, f"{key}_answer", answer)

        latency = {"alertname": "HighLatency", "severity": "critical", "instance": "api-1"}
        post("latency_firing", notification([alert(latency, ago(hours=5))]), ago(hours=5))
        post("latency_repeat", notification([alert(latency, ago(hours=5))]) + b" ", ago(hours=4))
        post(
            "latency_resolved",
            notification([alert(latency, ago(hours=5), ends_at=ago(hours=3, minutes=1))]),
            ago(hours=3),
        )
        disk = {"alertname": "DiskFull", "severity": "warning", "instance": "db-1"}
        post(
            "disk_firing",
            notification([alert(disk, ago(hours=2))], receiver="team\\.db"),
            ago(hours=2),
        )
        post(
            "disk_repeat",
            notification([alert(disk, ago(hours=2))], receiver="team\\.db") + b"\n",
            ago(hours=1),
        )
        flappy = {"alertname": "Flappy", "severity": "info", "instance": "web-1"}
        for index, hours in enumerate((10, 8, 6)):
            started = ago(hours=hours)
            post(f"flappy_firing_{index}", notification([alert(flappy, started)]), started)
            post(
                f"flappy_resolved_{index}",
                notification(
                    [alert(flappy, started, ends_at=started + datetime.timedelta(minutes=25))]
                ),
                started + datetime.timedelta(minutes=30),
            )
        old = {"alertname": "OldAlert", "severity": "warning", "instance": "batch-1"}
        post("old", notification([alert(old, ago(days=3))], receiver="team-b"), ago(days=3))
        post("captured", captured, ago(minutes=30), source="eu")
        hostile_labels = {
            "alertname": HOSTILE_NAME,
            "severity": "critical",
            "note": ANSI_VALUE,
            "city": UNICODE_NAME,
        }
        post(
            "hostile",
            notification(
                [
                    alert(hostile_labels, ago(minutes=20)),
                    alert({"alertname": UNICODE_NAME, "severity": "warning"}, ago(minutes=20)),
                ],
                receiver="team-a",
            ),
            ago(minutes=20),
        )
        post("not_json", b"not json at all \x00\xff\xfe", ago(minutes=15))
        post("invalid", b'{"version":"4","status":"exploded","alerts":"nope"}', ago(minutes=10))

    def name(self, key: str) -> str:
        """The object name the receiver answered with (or logged, for quarantined bodies)."""
        answer = getattr(self, f"{key}_answer")
        return answer.get("object", "")


def build_scenario(root: pathlib.Path, now: datetime.datetime | None = None) -> Scenario:
    """The Scenario archived into a fresh local directory (scenario.url)."""
    writer = ArchiveWriter(str(root))
    scenario = Scenario(
        writer,
        now or datetime.datetime.now(datetime.UTC),
        (DATA / "firing-group-of-3.json").read_bytes(),
    )
    scenario.url = str(root)
    return scenario


class Copies:
    """Bodies received more than once, as Alertmanager resends and `replay` can produce.

    - `two_sources`: one body posted to `/` 2h ago and to `/eu-west` 1h ago
    - `repeated`: one body posted to `/` 5h and 4h ago (a repeat_interval resend), and to
      `/eu-west` 1h ago
    """

    def __init__(self, root: pathlib.Path, now: datetime.datetime) -> None:
        writer = ArchiveWriter(str(root))
        self.url = str(root)
        self.times: dict[str, datetime.datetime] = {}
        self.names: dict[str, str] = {}
        started = now - datetime.timedelta(hours=6)
        self.bodies = {
            "two_sources": notification([alert({"alertname": "TwoSources"}, started)]),
            "repeated": notification([alert({"alertname": "Repeated"}, started)]),
        }
        deliveries = [
            ("two_sources", "default", 2),
            ("two_sources", "eu-west", 1),
            ("repeated", "default", 5),
            ("repeated", "default", 4),
            ("repeated", "eu-west", 1),
        ]
        for key, source, hours in deliveries:
            at = now - datetime.timedelta(hours=hours)
            answer = writer.post(self.bodies[key], at, source="" if source == "default" else source)
            assert answer["status_code"] == 201, answer
            self.names[f"{key}/{source}/{hours}h"] = answer["object"]
            self.times[f"{key}/{source}/{hours}h"] = at

    def id(self, key: str) -> str:
        """The ID column `list` shows for the body."""
        return hashlib.sha256(self.bodies[key]).hexdigest()[:12]


class CountingArchive:
    """Wraps an archive and records what was listed and read (for pruning and download tests)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self.url = archive.url
        self.listed: list[str] = []
        self.folder_listings: list[str] = []
        self.reads: list[str] = []

    def objects(self, prefix: str):
        self.listed.append(prefix)
        return self._archive.objects(prefix)

    def list_folders(self, prefix: str) -> list[str]:
        self.folder_listings.append(prefix)
        return self._archive.list_folders(prefix)

    def read(self, name: str) -> bytes:
        self.reads.append(name)
        return self._archive.read(name)

    def __getattr__(self, attribute: str):
        return getattr(self._archive, attribute)
