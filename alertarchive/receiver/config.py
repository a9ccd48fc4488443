"""Receiver settings, read once from the environment at the edge (main.py)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping

from alertarchive.archive.storage import DEFAULT_ARCHIVE_URL, parse_archive_url

# Every environment variable Settings.from_environ reads (K_SERVICE is set by the platform).
VARIABLES = (
    "ARCHIVE_URL",
    "WEBHOOK_TOKENS",
    "ALLOW_UNAUTHENTICATED",
    "MAX_BODY_BYTES",
    "STORAGE_TIMEOUT_SECONDS",
    "REQUEST_READ_TIMEOUT_SECONDS",
    "K_SERVICE",
)
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_STORAGE_TIMEOUT_SECONDS = 8.0
# How long a request's headers and body may take to arrive: Alertmanager sends a whole
# notification at once, while a stalled sender would otherwise hold one of gunicorn's threads.
DEFAULT_REQUEST_READ_TIMEOUT_SECONDS = 10.0
# The ranges a value must fall in. float() reads "nan", "inf" and "1e10" as numbers: nan
# makes every deadline check false (503 after storing, retried forever) and huge values
# overflow time arithmetic (500 after storing), so only finite values in range start.
# 3600 s is Cloud Run's longest request; a body limit over 1 GiB is held in memory whole.
MAX_BODY_BYTES_RANGE = (100, 1024 * 1024 * 1024)
STORAGE_TIMEOUT_SECONDS_RANGE = (0.1, 3600.0)
REQUEST_READ_TIMEOUT_SECONDS_RANGE = (0.1, 3600.0)


class ConfigError(Exception):
    """The environment does not describe a receiver that can safely run."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the receiver needs to know about its deployment."""

    archive_url: str
    tokens: tuple[str, ...]
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    storage_timeout_seconds: float = DEFAULT_STORAGE_TIMEOUT_SECONDS
    request_read_timeout_seconds: float = DEFAULT_REQUEST_READ_TIMEOUT_SECONDS
    # On Cloud Functions/Cloud Run (K_SERVICE set), where the instance disk is discarded.
    on_cloud: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; fail loudly on unsafe combinations.

        Raises:
            ConfigError: with a message naming the variable to set.
        """
        on_cloud = bool(environ.get("K_SERVICE"))
        archive_url = environ.get("ARCHIVE_URL", "").strip()
        if not archive_url:
            if on_cloud:
                raise ConfigError(
                    "ARCHIVE_URL is not set: on Cloud Functions/Cloud Run the instance disk is "
                    "discarded, so archiving there would lose every notification. "
                    "Set ARCHIVE_URL=gs://BUCKET[/PREFIX]."
                )
            archive_url = DEFAULT_ARCHIVE_URL
        try:
            parse_archive_url(archive_url)
        except ValueError as error:
            raise ConfigError(f"ARCHIVE_URL={archive_url!r}: {error}.") from None

        tokens = parse_tokens(environ.get("WEBHOOK_TOKENS", ""))
        _check_tokens_can_be_sent(tokens)
        allow_unauthenticated = _parse_bool(environ, "ALLOW_UNAUTHENTICATED", default=False)
        if not tokens and on_cloud and not allow_unauthenticated:
            given = environ.get("WEBHOOK_TOKENS", "").strip()
            raise ConfigError(
                ("WEBHOOK_TOKENS holds no token" if given else "WEBHOOK_TOKENS is not set")
                + ": anyone who finds the URL could write to the archive. "
                "Set WEBHOOK_TOKENS=<token>[,<token>...] (or ALLOW_UNAUTHENTICATED=true to accept "
                "that risk)."
            )
        return cls(
            archive_url=archive_url,
            tokens=tokens,
            max_body_bytes=int(
                _parse_number(
                    environ, "MAX_BODY_BYTES", int, DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_RANGE
                )
            ),
            storage_timeout_seconds=_parse_number(
                environ,
                "STORAGE_TIMEOUT_SECONDS",
                float,
                DEFAULT_STORAGE_TIMEOUT_SECONDS,
                STORAGE_TIMEOUT_SECONDS_RANGE,
            ),
            request_read_timeout_seconds=_parse_number(
                environ,
                "REQUEST_READ_TIMEOUT_SECONDS",
                float,
                DEFAULT_REQUEST_READ_TIMEOUT_SECONDS,
                REQUEST_READ_TIMEOUT_SECONDS_RANGE,
            ),
            on_cloud=on_cloud,
        )


def parse_tokens(value: str) -> tuple[str, ...]:
    """Split a comma-separated token list; surrounding whitespace and empty items are ignored."""
    return tuple(token.strip() for token in value.split(",") if token.strip())


def _check_tokens_can_be_sent(tokens: tuple[str, ...]) -> None:
    """Refuse tokens no sender can present; the message never repeats a token (a secret).

    Go's net/http refuses to send a header holding a control character other than a tab,
    and header parsing trims tabs and spaces, so such a token could never be matched.
    Any other character works: the header carries the token's UTF-8 bytes (see auth.py).
    """
    for position, token in enumerate(tokens, start=1):
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in token):
            raise ConfigError(
                f"WEBHOOK_TOKENS: token {position} of {len(tokens)} holds a control character "
                "(a tab, newline or other byte below 0x20, or DEL), which no HTTP client sends "
                "in a header; generate it again from printable characters."
            )


def _parse_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false.")


_KIND_NAMES = {int: "whole number of bytes", float: "number of seconds"}
# Plain decimal spellings only: int() would also take "1_000", float() "nan" and "1e10".
_KIND_PATTERNS = {int: re.compile(r"[0-9]+"), float: re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")}


def _parse_number(
    environ: Mapping[str, str],
    name: str,
    kind: type,
    default: float,
    allowed: tuple[float, float],
) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    low, high = allowed
    in_range = f"between {_plain(low)} and {_plain(high)}"
    if not _KIND_PATTERNS[kind].fullmatch(value):
        raise ConfigError(
            f"{name}={value!r} is not a {_KIND_NAMES[kind]} written in decimal digits; "
            f"use one {in_range}."
        )
    number = kind(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise ConfigError(
            f"{name}={value!r} is out of range; use a {_KIND_NAMES[kind]} {in_range}."
        )
    return number


def _plain(number: float) -> str:
    """3600.0 as 3600 and 1 GiB as 1073741824: the spellings the variable itself accepts."""
    return str(int(number)) if number == int(number) else str(number)
