"""Slow clients: a request that never finishes arriving costs a thread for seconds, not forever.

gunicorn's gthread worker serves each request on one of its threads (8 on the deployed
instance) and, left alone, waits forever for the rest of a request that has started; so 8
sockets that stop mid-request would make even the health check time out, no token needed.
"""

from __future__ import annotations

import math
import socket
import threading
import time

from tests.guarantees.helpers import TOKEN, Client, notification

THREADS = 8
READ_TIMEOUT_SECONDS = 1.0
STALLED_PER_KIND = 16
# Bodies from an authenticated sender, so the receiver reads them rather than refusing early.
_AUTHORIZATION = f"Authorization: Bearer {TOKEN}\r\n".encode()
# How a request can stop arriving: after one byte, inside its headers, inside a body of
# declared length, inside a chunked body, or by trickling its headers a byte at a time (each
# read returns in time, so only a bound on the whole request ends it).
STALLS = {
    "one byte": b"P",
    "incomplete header": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl",
    "unfinished body": (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + _AUTHORIZATION
        + b'Content-Length: 1000\r\n\r\n{"receiver":'
    ),
    "unfinished chunked body": (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + _AUTHORIZATION
        + b'Transfer-Encoding: chunked\r\n\r\n10\r\n{"receiver":'
    ),
    "trickled header": b"G",
}
TRICKLE_INTERVAL_SECONDS = 0.2
# The worker frees THREADS stalled requests per read timeout, so the last stalled socket is
# read for at most this long after it was opened; a few seconds more absorb a slow machine.
STALLED = STALLED_PER_KIND * len(STALLS)
DRAINED_WITHIN_SECONDS = (math.ceil(STALLED / THREADS) + 1) * READ_TIMEOUT_SECONDS + 5.0


def _open_stalled(port: int) -> tuple[list[socket.socket], list[socket.socket]]:
    stalled, trickling = [], []
    for kind, first_bytes in STALLS.items():
        for _ in range(STALLED_PER_KIND):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(first_bytes)
            stalled.append(connection)
            if kind == "trickled header":
                trickling.append(connection)
    return stalled, trickling


def _trickle(sockets: list[socket.socket], until: float) -> None:
    """Send one more header byte on each socket every interval, until the server closes it."""
    header = b"ET / HTTP/1.1\r\nX-Slow: " + b"a" * 4000
    position = 0
    while sockets and time.monotonic() < until and position < len(header):
        for connection in list(sockets):
            try:
                connection.sendall(header[position : position + 1])
            except OSError:
                sockets.remove(connection)
        position += 1
        time.sleep(TRICKLE_INTERVAL_SECONDS)


def _closed_by_server(connection: socket.socket, until: float) -> bool:
    """Whether the server closes the connection (EOF or reset, after any answer) by `until`."""
    while (remaining := until - time.monotonic()) > 0:
        connection.settimeout(remaining)
        try:
            if not connection.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
    return False


def test_stalled_and_trickling_requests_are_dropped_within_the_read_timeout_and_others_served(
    serve,
):
    served = serve(THREADS=str(THREADS), REQUEST_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_SECONDS))
    opened = time.monotonic()
    stalled, trickling = _open_stalled(served.port)
    trickler = threading.Thread(
        target=_trickle, args=(trickling, opened + DRAINED_WITHIN_SECONDS + 5), daemon=True
    )
    trickler.start()
    try:
        client = Client(served.url, timeout=DRAINED_WITHIN_SECONDS)
        health = client.request("GET", "/-/healthy")
        stored = client.post(notification(1))
        answered = time.monotonic() - opened
        assert health.status == 200, health
        assert stored.status == 201, stored
        assert answered < DRAINED_WITHIN_SECONDS, (
            f"{STALLED} stalled sockets delayed the health check and a notification "
            f"{answered:.1f} s, beyond {DRAINED_WITHIN_SECONDS:.1f} s"
        )
        still_open = [
            kind
            for kind, connection in zip(
                (kind for kind in STALLS for _ in range(STALLED_PER_KIND)), stalled, strict=True
            )
            if not _closed_by_server(connection, opened + DRAINED_WITHIN_SECONDS)
        ]
        assert not still_open, f"the server kept stalled sockets open: {set(still_open)}"
    finally:
        for connection in stalled:
            connection.close()
        trickler.join(timeout=DRAINED_WITHIN_SECONDS + 10)
