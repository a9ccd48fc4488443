"""Caller authentication: bearer tokens, or Basic auth with the token as password."""

from __future__ import annotations

import base64
import binascii
import hmac

# Both schemes are offered because Alertmanager can send either
# (http_config.authorization or http_config.basic_auth).
CHALLENGE = 'Bearer realm="alertarchive", Basic realm="alertarchive"'


class TokenSet:
    """The tokens currently accepted; several at once allow rotation without downtime."""

    def __init__(self, tokens: tuple[str, ...]) -> None:
        self._tokens = tuple(token.encode() for token in tokens)

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def accepts(self, authorization: str | None) -> bool:
        """Whether an Authorization header value carries one of the tokens."""
        presented = _presented_secret(authorization or "")
        if presented is None:
            return False
        # Compare against every token, without stopping at a match, so the time taken
        # does not tell which token (or how much of one) was right.
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(presented, token)
        return matched


def _presented_secret(authorization: str) -> bytes | None:
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return None
    scheme = scheme.lower()
    if scheme == "bearer":
        # WSGI hands header bytes over as latin-1 characters, one per byte, so this gives
        # back the bytes sent: Go's Alertmanager writes a UTF-8 token's bytes as they are.
        # A character beyond latin-1 cannot have come from the wire and matches nothing.
        try:
            return credentials.encode("latin-1")
        except UnicodeEncodeError:
            return None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return None
        _user, separator, password = decoded.partition(b":")
        return password if separator else None
    return None
