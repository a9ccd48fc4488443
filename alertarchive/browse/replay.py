"""Re-sending archived notifications, byte for byte, to another webhook receiver.

The request looks like Alertmanager's: POST, `Content-Type: application/json`, the
User-Agent the original sender gave (kept in the object's metadata), and optionally a
bearer token. Redirects are not followed: a 3xx is reported as the answer it is.

One notification that cannot be read or sent is reported as such and the others are still
sent: a replay is often run to fill a gap, and stopping at the first problem would leave it.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence

from alertarchive import __version__
from alertarchive.archive import record
from alertarchive.browse.catalog import Entry
from alertarchive.browse.display import fit
from alertarchive.browse.errors import UserError, first_line, first_line_of

FALLBACK_USER_AGENT = f"alertarchive-replay/{__version__}"
_ERROR_BODY_CHARS = 200
# What http.client sends in a header: latin-1, and no control character but tab (a CR or LF
# would end the header and start another).
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


class BadTarget(UserError):
    """A --to value that is not an http(s) URL."""


class BadToken(UserError):
    """A --token that cannot be sent in an HTTP header."""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What happened to one replayed object."""

    name: str
    size: int
    status_code: int | None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def check_target(url: str) -> str:
    """The URL, if it is an http(s) URL with a host.

    Raises:
        BadTarget: naming what is accepted.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadTarget(f"{url!r} is not an http:// or https:// URL")
    return url


def check_token(token: str | None) -> str | None:
    """The token, if it can be sent in an Authorization header.

    Raises:
        BadToken: saying what it holds that a header cannot.
    """
    if token and not _HEADER_VALUE.fullmatch(token):
        raise BadToken(
            "the token holds characters an HTTP header cannot carry (non-Latin-1 or control "
            "characters); give the token as the receiver's WEBHOOK_TOKENS has it"
        )
    return token


def user_agent(entry: Entry) -> tuple[str, str]:
    """The User-Agent to send for an entry, and a note when it is not the archived one."""
    archived = entry.user_agent
    if not archived:
        return FALLBACK_USER_AGENT, ""
    sendable, note = archived, ""
    if record.was_cut(archived):
        sendable = archived.removesuffix(record.CUT_MARK)
        note = f"User-Agent was cut at 1 KiB when archived; sent its first {len(sendable)} chars"
    if not _HEADER_VALUE.fullmatch(sendable):
        return FALLBACK_USER_AGENT, (
            f"archived User-Agent is not a valid header value; sent {FALLBACK_USER_AGENT}"
        )
    return sendable, note


def headers(entry: Entry, token: str | None) -> dict[str, str]:
    """The headers Alertmanager sent (as far as the archive knows them), plus the token."""
    sent = {"Content-Type": "application/json", "User-Agent": user_agent(entry)[0]}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return sent


def replay(
    entries: Sequence[Entry],
    read: Callable[[str], bytes],
    url: str,
    token: str | None = None,
    timeout_seconds: float = 10.0,
) -> Iterator[Delivery]:
    """POST each entry's exact body to url, oldest first; one Delivery per entry.

    A body that cannot be read (`read` raises a UserError) or sent is one failed Delivery;
    the rest are still sent.
    """
    opener = urllib.request.build_opener(_NoRedirect)
    for entry in sorted(entries, key=lambda entry: (entry.received_at, entry.name)):
        try:
            body = read(entry.name)
        except UserError as error:
            yield Delivery(entry.name, entry.size, None, f"not read: {first_line(error)}")
            continue
        yield _post(opener, url, entry, body, token, timeout_seconds)


def _post(
    opener: urllib.request.OpenerDirector,
    url: str,
    entry: Entry,
    body: bytes,
    token: str | None,
    timeout_seconds: float,
) -> Delivery:
    note = user_agent(entry)[1]
    # The scheme was checked by check_target: http or https only.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, headers=headers(entry, token), method="POST"
    )
    try:
        with opener.open(request, timeout=timeout_seconds) as response:
            return Delivery(entry.name, len(body), response.status, note)
    except urllib.error.HTTPError as error:
        return Delivery(entry.name, len(body), error.code, _joined(note, _answer(error)))
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        # HTTPException: the target answered something that is not HTTP (BadStatusLine).
        reason = getattr(error, "reason", None) or first_line(error)
        return Delivery(entry.name, len(body), None, _joined(note, f"not delivered: {reason}"))


def _joined(*details: str) -> str:
    return "; ".join(detail for detail in details if detail)


def _answer(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(_ERROR_BODY_CHARS * 4).decode("utf-8", "replace")
    except OSError:
        return ""
    return fit(first_line_of(text), _ERROR_BODY_CHARS)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a 301/302 into a body-less GET: the replay would look delivered
    # while nothing was posted.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
