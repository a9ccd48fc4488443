"""A time bound on each request's arrival, for gunicorn's workers (applied by main.py).

gunicorn's gthread worker gives each request one of its threads and then reads the headers
and body with blocking reads that never time out (its `timeout` setting watches the worker,
not a request). A sender that stops mid-request, or trickles a byte now and then, holds that
thread for as long as it keeps the socket open: 8 of them stop the receiver, health check
included. functions-framework fixes gunicorn's options, so neither a setting nor
GUNICORN_CMD_ARGS can change this; instead every read of a request is given the time left
until its deadline, and a request that has not arrived by then is treated as cut off.
"""

from __future__ import annotations

import contextlib
import socket
import time

from gunicorn.http import parser as gunicorn_parser
from gunicorn.http import unreader as gunicorn_unreader

_original_next = gunicorn_parser.Parser.__next__
_original_chunk = gunicorn_unreader.SocketUnreader.chunk


def bound_request_reads(seconds: float) -> None:
    """Make every request's headers and body arrive within `seconds` of its first byte."""

    def next_request(parser):
        # The worker parses the next request once bytes of it are readable, so the clock
        # starts at its first byte, for a new connection and a kept-alive one alike.
        parser.unreader.read_deadline = time.monotonic() + seconds
        return _original_next(parser)

    gunicorn_parser.Parser.__next__ = next_request
    gunicorn_unreader.SocketUnreader.chunk = _chunk_before_deadline


def _chunk_before_deadline(unreader, size_hint=None):
    """One recv() that waits no later than the request's deadline; b"" once it has passed."""
    deadline = getattr(unreader, "read_deadline", None)
    if deadline is None:
        return _original_chunk(unreader, size_hint)
    sock = unreader.sock
    prior = sock.gettimeout()
    remaining = deadline - time.monotonic()
    if prior is not None and prior < remaining:
        # gunicorn's own bounded drain of an unread body: it handles its timeout itself.
        return _original_chunk(unreader, size_hint)
    if remaining <= 0:
        return _cut_off(sock)
    sock.settimeout(remaining)
    try:
        return _original_chunk(unreader, size_hint)
    except TimeoutError:
        return _cut_off(sock)
    finally:
        with contextlib.suppress(OSError):  # already closed
            sock.settimeout(prior)


def _cut_off(sock: socket.socket) -> bytes:
    """End the request as if the sender had closed: gunicorn and the receiver handle that.

    A cut in the headers closes the connection quietly; a cut in the body answers 400 and
    stores nothing (see Receiver._read_body). Shutting the read side makes every later read
    on this connection see the same end, so it is never kept alive for another request.
    """
    with contextlib.suppress(OSError):  # the sender is already gone
        sock.shutdown(socket.SHUT_RD)
    return b""
