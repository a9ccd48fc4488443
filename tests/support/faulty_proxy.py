"""An HTTP proxy that makes a storage server unreliable on purpose (stdlib only).

It forwards each request to the upstream (fake-gcs-server) unless the dice say otherwise;
then it answers 500 or 503, resets the connection before forwarding, or forwards and resets
instead of relaying the answer (the write landed, the client never heard). The dice come
from a seeded generator, so a run makes the same sequence of decisions every time.
"""

from __future__ import annotations

import collections
import http.client
import http.server
import random
import socket
import struct
import threading

FAULTS = ("500", "503", "reset-before", "reset-after")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


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
        self._server.shutdown()
        self._server.server_close()

    def decide(self) -> str:
        """`forward` or one of FAULTS, drawn from the seeded dice."""
        with self._lock:
            roll, pick = self._dice.random(), self._dice.choice(self.faults)
            decision = pick if roll < self.fault_rate else "forward"
            self.counts[decision] += 1
            return decision


def _handler_for(proxy: FaultyProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            pass

        def _relay(self) -> None:
            body = self._read_body()
            decision = proxy.decide()
            if decision in ("500", "503"):
                message = f'{{"error":{{"code":{decision},"message":"injected fault"}}}}'.encode()
                self.send_response(int(decision))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)
                return
            if decision == "reset-before":
                self._reset()
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
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
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
