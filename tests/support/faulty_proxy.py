"""An HTTP proxy that makes a storage server unreliable on purpose (stdlib only).

It forwards each request to the upstream (fake-gcs-server) unless the dice say otherwise;
then it answers 500 or 503, resets the connection before forwarding, or forwards and resets
instead of relaying the answer (the write landed, the client never heard). The dice come
from a seeded generator, so a run makes the same sequence of decisions every time. Set
`hanging`, and every request is read and then never answered (storage that stopped
mid-call), until it is cleared or the proxy stops.
"""

from __future__ import annotations

import collections
import http.client
import http.server
import json
import random
import re
import socket
import struct
import threading

FAULTS = ("500", "503", "reset-before", "reset-after")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
CALLER = "alertarchive-run@test-project.iam.gserviceaccount.com"
_UPLOAD = re.compile(r"/upload/storage/v1/b/[^/]+/o\b")
_ONE_OBJECT = re.compile(r"/(download/)?storage/v1/b/[^/]+/o/[^?]+")


def forbidden_body(permission: str) -> bytes:
    """GCS's JSON error for a caller without `permission` on an object, as GCS words it
    (https://github.com/google-github-actions/upload-cloud-storage/issues/388)."""
    message = f"{CALLER} does not have {permission} access to the Google Cloud Storage object."
    error = {"message": message, "domain": "global", "reason": "forbidden"}
    return json.dumps({"error": {"code": 403, "message": message, "errors": [error]}}).encode()


class FaultyProxy:
    """Forwards to `upstream` (`http://host:port`), failing `fault_rate` of the requests."""

    def __init__(
        self,
        upstream: str,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = FAULTS,
        seed: int = 1,
    ) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.fault_rate = fault_rate
        self.faults = faults
        self.counts: collections.Counter[str] = collections.Counter()
        self.missing_permissions: set[str] = set()
        # 403s answered for missing_permissions, by permission: apart from the dice's counts.
        self.refusals: collections.Counter[str] = collections.Counter()
        self.hanging = False
        self._unhung = threading.Event()
        self._dice = random.Random(seed)
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._unhung.set()
        self._server.shutdown()
        self._server.server_close()

    def hang_while_set(self) -> None:
        """Hold a request while `hanging` is set (checked every 50 ms), never answering it."""
        while self.hanging and not self._unhung.wait(0.05):
            pass

    def decide(self) -> str:
        """`forward` or one of FAULTS, drawn from the seeded dice."""
        with self._lock:
            roll, pick = self._dice.random(), self._dice.choice(self.faults)
            decision = pick if roll < self.fault_rate else "forward"
            self.counts[decision] += 1
            return decision

    def refusal_before_forwarding(self, method: str, path: str) -> str | None:
        """The permission a request needs and the caller lacks, if it is refused unseen."""
        if _UPLOAD.match(path) and "storage.objects.create" in self.missing_permissions:
            return "storage.objects.create"
        if (
            method == "GET"
            and _ONE_OBJECT.fullmatch(path.partition("?")[0])
            and "storage.objects.get" in self.missing_permissions
        ):
            return "storage.objects.get"
        return None

    def overwrite_refused(self, path: str, status: int) -> bool:
        """Whether upstream's 412 to an upload becomes GCS's 403 for a missing delete."""
        return (
            status == 412
            and _UPLOAD.match(path) is not None
            and "storage.objects.delete" in self.missing_permissions
        )

    def count_refusal(self, permission: str) -> None:
        with self._lock:
            self.refusals[permission] += 1


def _handler_for(proxy: FaultyProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            pass

        def _relay(self) -> None:
            body = self._read_body()
            if proxy.hanging:
                proxy.hang_while_set()
                self.close_connection = True
                return
            decision = proxy.decide()
            if decision in ("500", "503"):
                message = f'{{"error":{{"code":{decision},"message":"injected fault"}}}}'.encode()
                self._answer(int(decision), message, [("Content-Type", "application/json")])
                return
            if decision == "reset-before":
                self._reset()
                return
            refused = proxy.refusal_before_forwarding(self.command, self.path)
            if refused:
                self._refuse(refused)
                return
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, self.path, body, headers)
                response = upstream.getresponse()
                payload = response.read()
            finally:
                upstream.close()
            if decision == "reset-after":
                self._reset()
                return
            if proxy.overwrite_refused(self.path, response.status):
                self._refuse("storage.objects.delete")
                return
            self._answer(response.status, payload, response.getheaders(), response.reason)

        def _refuse(self, permission: str) -> None:
            proxy.count_refusal(permission)
            self._answer(403, forbidden_body(permission), [("Content-Type", "application/json")])

        def _answer(
            self,
            status: int,
            payload: bytes,
            headers: list[tuple[str, str]],
            reason: str | None = None,
        ) -> None:
            self.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _read_body(self) -> bytes | None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else None

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout turns close() into a TCP RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

    return Handler
