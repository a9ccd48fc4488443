"""Token checks: Bearer or Basic (token as password), several tokens, constant time."""

from __future__ import annotations

import base64
import hmac

import pytest

from alertarchive.receiver.auth import TokenSet

TOKENS = TokenSet(("old-token", "new-token"))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer old-token",
        "Bearer new-token",
        "bearer new-token",
        "Bearer  new-token ",
        basic("alertmanager", "new-token"),
        basic("", "old-token"),
    ],
)
def test_configured_tokens_are_accepted(header):
    assert TOKENS.accepts(header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        "Bearer old-token2",
        "Bearer old-toke",
        "Token old-token",
        "old-token",
        basic("old-token", ""),
        basic("old-token", "wrong"),
        "Basic !!notbase64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer old-token,new-token",
    ],
)
def test_anything_else_is_refused(header):
    assert not TOKENS.accepts(header)


def test_no_tokens_means_the_set_is_empty():
    assert not TokenSet(())


def test_every_token_is_compared_in_constant_time(monkeypatch):
    compared = []
    original = hmac.compare_digest

    def counting_compare(a, b):
        compared.append(b)
        return original(a, b)

    monkeypatch.setattr("alertarchive.receiver.auth.hmac.compare_digest", counting_compare)

    TOKENS.accepts("Bearer old-token")

    # A match on the first token does not skip the second: timing does not tell which matched.
    assert compared == [b"old-token", b"new-token"]


NON_ASCII_TOKEN = "jeton-été-🔑-ключ"


def as_wsgi_header(raw: bytes) -> str:
    """What a WSGI server hands over for raw header bytes: each byte as one latin-1 char."""
    return raw.decode("latin-1")


@pytest.mark.parametrize(
    "raw_header",
    [
        # Go's Alertmanager writes the credentials' UTF-8 bytes into the header as they are.
        b"Bearer " + NON_ASCII_TOKEN.encode(),
        b"Basic " + base64.b64encode(b"am:" + NON_ASCII_TOKEN.encode()),
    ],
)
def test_a_non_ascii_token_is_accepted_as_the_utf8_bytes_go_sends(raw_header):
    tokens = TokenSet((NON_ASCII_TOKEN,))

    assert tokens.accepts(as_wsgi_header(raw_header))


@pytest.mark.parametrize(
    "header",
    [
        # The same characters in another encoding are other bytes, not the token.
        as_wsgi_header(b"Bearer " + "jeton-été".encode("latin-1")),
        # Not something WSGI can hand over, but must be a refusal rather than an error.
        "Bearer " + NON_ASCII_TOKEN,
    ],
)
def test_a_non_ascii_token_in_any_other_form_is_refused(header):
    assert not TokenSet((NON_ASCII_TOKEN, "jeton-été")).accepts(header)
