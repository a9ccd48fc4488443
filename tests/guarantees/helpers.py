"""What the guarantee tests share: notifications to send, an HTTP client, archive audits."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import http.client
import json
import os
import pathlib
import re
import threading
import time
from collections.abc import Iterable

from tests.conftest import DATA

TOKEN = "guarantee-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

# Every name the receiver may create, as alertarchive/archive/layout.py documents it; anything a
# GCS bucket would refuse (control characters, `#[]*?`, `..` segments) falls outside it.
OBJECT_NAME = re.compile(
    r"(alerts|quarantine)/dt=\d{4}-\d\d-\d\d/hour=\d\d/source=[A-Za-z0-9][A-Za-z0-9_.-]{0,62}/"
    r"(firing|resolved|unknown)-[A-Za-z0-9_-]{1,60}-(?P<sha>[0-9a-f]{64})\.(json|bin)"
)
GCS_MAX_NAME_BYTES = 1024
# How many times deliver() sends a body that keeps getting 5xx (Alertmanager keeps retrying
# until its notification times out; 8 sends span about 7 s of backoff plus the answers).
DELIVERY_ATTEMPTS = 8


def notification(index: int, alerts: int = 1, label_bytes: int = 8) -> bytes:
    """A valid, compact notification; distinct for every index."""
    template = json.loads((DATA / "firing-group-of-3.json").read_bytes())
    alert = template["alerts"][0]
    template["alerts"] = [
        {
            **alert,
            "labels": {**alert["labels"], "instance": f"i{index}-{n}", "pad": "p" * label_bytes},
            "fingerprint": f"{index:08x}{n:08x}",
        }
        for n in range(alerts)
    ]
    template["groupKey"] = f'{{}}:{{alertname="PayloadMulti", index="{index}"}}'
    return json.dumps(template, separators=(",", ":")).encode()


@dataclasses.dataclass
class Answer:
    """One HTTP answer, with how long it took."""

    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float
    # 2 when the connection dropped and the request was sent again: the first copy may have
    # been stored, so a 200 duplicate for a body sent once is then the contract holding.
    sends: int = 1

    def json(self) -> dict:
        return json.loads(self.body)


class Client:
    """A keep-alive HTTP/1.1 client per thread, so load tests measure the server."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._local.connection

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        started = time.monotonic()
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body, headers or {})
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection; a fresh one is fine, but
                # only once, so a server that resets every request still fails the test.
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                self._local.connection = None
            return Answer(
                response.status,
                payload,
                dict(response.getheaders()),
                time.monotonic() - started,
                sends=attempt,
            )
        raise AssertionError("unreachable")

    def post(self, body: bytes, path: str = "/", headers: dict | None = None) -> Answer:
        return self.request("POST", path, body, AUTH if headers is None else headers)

    def deliver(self, body: bytes) -> list[Answer]:
        """POST body as Alertmanager does: again after a 5xx, with backoff; every answer.

        A 503 under load is the receiver keeping its promise (an answer within its storage
        bound); the promise is broken only if the retries do not end with the body stored.
        """
        answers = [self.post(body)]
        for attempt in range(DELIVERY_ATTEMPTS - 1):
            if answers[-1].status < 500:
                break
            time.sleep(min(0.1 * 2**attempt, 2.0))
            answers.append(self.post(body))
        return answers

    def deliver_all(self, bodies: Iterable[bytes], concurrency: int) -> list[list[Answer]]:
        """deliver() every body over `concurrency` connections; answers in the order of bodies."""
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(self.deliver, bodies))

    def post_all(self, bodies: Iterable[bytes], concurrency: int, path: str = "/") -> list[Answer]:
        """POST every body over `concurrency` connections; answers in the order of bodies."""
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(lambda body: self.post(body, path), bodies))

    def post_all_with_headers(
        self, requests: Iterable[tuple[bytes, dict]], concurrency: int
    ) -> list[Answer]:
        """POST every (body, headers) over `concurrency` connections, answers in order."""
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            return list(
                pool.map(lambda request: self.post(request[0], headers=request[1]), requests)
            )


def delivered_once(answers: list[Answer]) -> bool:
    """Whether a body's deliveries kept the retry contract: 503s, then a 201 or 200 duplicate.

    A body sent once can find itself already stored: after a 503 whose write landed late,
    after a resend on a dropped connection (Answer.sends), or when the GCS client retried an
    upload whose first attempt landed but answered too late (its retry gets 412). Whether
    every body is then stored exactly once is for the archive audit to say.
    """
    *retried, last = answers
    if not all(answer.status == 503 for answer in retried):
        return False
    return last.status == 201 or (last.status == 200 and last.json().get("duplicate") is True)


@dataclasses.dataclass(frozen=True)
class Archived:
    """One object as a reader of the archive finds it."""

    name: str
    body: bytes
    metadata: dict[str, str]


def assert_complete(objects: Iterable[Archived]) -> None:
    """No partial objects: each body hashes to its metadata's body_sha256 and its name's hash."""
    for stored in objects:
        digest = hashlib.sha256(stored.body).hexdigest()
        match = OBJECT_NAME.fullmatch(stored.name)
        assert match, stored.name
        assert match["sha"] == digest, stored.name
        assert stored.metadata.get("body_sha256") == digest, stored.name
        assert stored.metadata.get("body_size") == str(len(stored.body)), stored.name


def local_objects(root: pathlib.Path) -> list[Archived]:
    """Every object in a local archive, read from disk the way the CLI reads it."""
    from alertarchive.archive.storage.local import LocalArchive

    archive = LocalArchive(root)
    return [Archived(o.name, archive.read(o.name), dict(o.metadata)) for o in archive.objects("")]


def gcs_objects(client, bucket_name: str) -> list[Archived]:
    """Every object in a bucket, through the real client."""
    return [
        Archived(blob.name, blob.download_as_bytes(), dict(blob.metadata or {}))
        for blob in client.list_blobs(bucket_name)
    ]


def files_under(directory: pathlib.Path) -> list[pathlib.Path]:
    """Every regular file below a directory (hidden ones included)."""
    return [pathlib.Path(d, f) for d, _, files in os.walk(directory) for f in files]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for {pid}")


def worker_pid(arbiter_pid: int) -> int:
    """The one gunicorn worker serving the function: the arbiter's child."""
    children = pathlib.Path(f"/proc/{arbiter_pid}/task/{arbiter_pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])
