"""Re-sending archived notifications, byte for byte, to another webhook receiver.

The request looks like Alertmanager's: POST, `Content-Type: application/json`, the
User-Agent the original sender gave (kept in the object's metadata), and optionally a
bearer token. Redirects are not followed: a 3xx is reported as the answer it is.
"""

from __future__ import annotations

import dataclasses
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence

from alertarchive import __version__
from alertarchive.catalog import Entry

FALLBACK_USER_AGENT = f"alertarchive-replay/{__version__}"
_ERROR_BODY_CHARS = 200


class BadTarget(ValueError):
    """A --to value that is not an http(s) URL."""


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
        raise BadTarget(f"--to {url!r} is not an http:// or https:// URL")
    return url


def headers(entry: Entry, token: str | None) -> dict[str, str]:
    """The headers Alertmanager sent (as far as the archive knows them), plus the token."""
    sent = {
        "Content-Type": "application/json",
        "User-Agent": entry.user_agent or FALLBACK_USER_AGENT,
    }
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
    """POST each entry's exact body to url, oldest first; one Delivery per entry."""
    opener = urllib.request.build_opener(_NoRedirect)
    for entry in sorted(entries, key=lambda entry: (entry.received_at, entry.name)):
        body = read(entry.name)
        # The scheme was checked by check_target: http or https only.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=headers(entry, token), method="POST"
        )
        try:
            with opener.open(request, timeout=timeout_seconds) as response:
                yield Delivery(entry.name, len(body), response.status)
        except urllib.error.HTTPError as error:
            yield Delivery(entry.name, len(body), error.code, _answer(error))
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            yield Delivery(entry.name, len(body), None, f"not delivered: {reason}")


def _answer(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(_ERROR_BODY_CHARS * 4).decode("utf-8", "replace")
    except OSError:
        return ""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line[:_ERROR_BODY_CHARS]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a 301/302 into a body-less GET: the replay would look delivered
    # while nothing was posted.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
