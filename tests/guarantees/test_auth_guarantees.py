"""Authentication on a served function: who may write, and what never leaks.

Promises: only a configured token (Bearer, or Basic with the token as password) writes;
every other request gets 401 with a challenge and stores nothing; during a rotation the old
and the new token both work, and a token removed from WEBHOOK_TOKENS stops working; every
configured token is compared in constant time; no token and no body content ever appears
in a log line or a response.
"""

from __future__ import annotations

import base64
import gzip
import hmac
import json

import pytest
from functions_framework import create_app

from tests.guarantees.helpers import Client, files_under, notification
from tests.support.processes import REPO, ServedFunction

OLD_TOKEN = "old-S3CRET-tok-9f1c2a"
NEW_TOKEN = "new-S3CRET-tok-4e7b0d"
JSON = {"Content-Type": "application/json"}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def rotating(tmp_path_factory):
    """A served function in mid-rotation: WEBHOOK_TOKENS=old,new."""
    workdir = tmp_path_factory.mktemp("rotating")
    function = ServedFunction(
        workdir,
        {
            "WEBHOOK_TOKENS": f"{OLD_TOKEN},{NEW_TOKEN}",
            "ARCHIVE_URL": str(workdir / "archive"),
            "MAX_BODY_BYTES": str(64 * 1024),
        },
    ).start()
    function.archive_root = workdir / "archive"
    yield function
    function.stop()


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {OLD_TOKEN}",
        f"Bearer {NEW_TOKEN}",
        basic("alertmanager", OLD_TOKEN),
        basic("", NEW_TOKEN),
    ],
)
def test_both_tokens_of_a_rotation_are_accepted_as_bearer_or_basic_password(
    rotating, authorization
):
    body = notification(abs(hash(authorization)) % 10**6)

    answer = Client(rotating.url).post(body, headers={**JSON, "Authorization": authorization})

    assert answer.status == 201


@pytest.mark.parametrize(
    ("case", "path", "headers"),
    [
        ("no token", "/", {}),
        ("wrong token", "/", {"Authorization": "Bearer wrong"}),
        ("token with a suffix", "/", {"Authorization": f"Bearer {NEW_TOKEN}x"}),
        ("token prefix", "/", {"Authorization": f"Bearer {NEW_TOKEN[:-1]}"}),
        ("both tokens at once", "/", {"Authorization": f"Bearer {OLD_TOKEN},{NEW_TOKEN}"}),
        ("another scheme", "/", {"Authorization": f"Token {NEW_TOKEN}"}),
        ("digest scheme", "/", {"Authorization": f'Digest username="{NEW_TOKEN}"'}),
        ("no scheme", "/", {"Authorization": NEW_TOKEN}),
        ("token as Basic user name", "/", {"Authorization": basic(NEW_TOKEN, "")}),
        ("Basic wrong password", "/", {"Authorization": basic(NEW_TOKEN, "wrong")}),
        ("token in the query string", f"/?token={NEW_TOKEN}", {}),
        ("token in another header", "/", {"X-Api-Key": NEW_TOKEN}),
    ],
)
def test_anything_but_a_configured_token_gets_401_with_a_challenge_and_stores_nothing(
    rotating, case, path, headers
):
    before = sorted(files_under(rotating.archive_root))

    answer = Client(rotating.url).post(notification(500), path=path, headers={**JSON, **headers})

    assert answer.status == 401, case
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    assert "Basic" in answer.headers["WWW-Authenticate"]
    assert sorted(files_under(rotating.archive_root)) == before


def test_a_token_removed_from_the_configuration_is_refused(serve):
    rotated = Client(serve(WEBHOOK_TOKENS=NEW_TOKEN).url)

    assert (
        rotated.post(
            notification(1), headers={**JSON, "Authorization": f"Bearer {OLD_TOKEN}"}
        ).status
        == 401
    )
    assert (
        rotated.post(
            notification(1), headers={**JSON, "Authorization": f"Bearer {NEW_TOKEN}"}
        ).status
        == 201
    )


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {OLD_TOKEN}",
        f"Bearer {NEW_TOKEN}",
        "Bearer wrong",
        basic("u", NEW_TOKEN),
        basic("u", "x"),
    ],
)
def test_every_request_compares_against_every_token_with_compare_digest(
    tmp_path, monkeypatch, authorization
):
    """In process: hmac.compare_digest is replaced to count, which a served process hides."""
    monkeypatch.setenv("ARCHIVE_URL", str(tmp_path / "archive"))
    monkeypatch.setenv("WEBHOOK_TOKENS", f"{OLD_TOKEN},{NEW_TOKEN}")
    client = create_app("receive_alert", str(REPO / "main.py")).test_client()
    compared: list[bytes] = []
    original = hmac.compare_digest

    def counting_compare(presented, token):
        compared.append(token)
        return original(presented, token)

    monkeypatch.setattr("alertarchive.receiver.auth.hmac.compare_digest", counting_compare)

    client.post("/", data=notification(1), headers={**JSON, "Authorization": authorization})

    # Never stopping at the first match: the time taken does not tell which token matched.
    assert compared == [OLD_TOKEN.encode(), NEW_TOKEN.encode()]


MARKER = "BODY-MARK3R-5d2e9c"


def marked(index: int) -> bytes:
    """A valid notification carrying the marker in an annotation."""
    document = json.loads(notification(index))
    document["alerts"][0]["annotations"] = {"summary": MARKER, "runbook": f"{MARKER}-{NEW_TOKEN}"}
    return json.dumps(document).encode()


def test_tokens_and_body_content_never_appear_in_logs_or_responses(serve):
    served = serve(WEBHOOK_TOKENS=f"{OLD_TOKEN},{NEW_TOKEN}", MAX_BODY_BYTES=str(64 * 1024))
    client = Client(served.url)
    bearer = {**JSON, "Authorization": f"Bearer {NEW_TOKEN}"}
    missing_version = json.loads(marked(3))
    del missing_version["version"]
    marker_in_invalid_fields = json.loads(marked(8))
    marker_in_invalid_fields["status"] = MARKER
    marker_in_invalid_fields["alerts"][0]["startsAt"] = MARKER
    requests = [
        ("/", marked(1), bearer, 201),
        ("/", marked(1), {**JSON, "Authorization": basic("am", OLD_TOKEN)}, 200),
        (f"/?token={NEW_TOKEN}&access_token={OLD_TOKEN}", marked(2), bearer, 201),
        (f"/?token={NEW_TOKEN}", marked(2), JSON, 401),
        ("/", marked(2), {**JSON, "Authorization": f"Bearer {OLD_TOKEN}x"}, 401),
        ("/", marked(2), {**JSON, "Authorization": basic(NEW_TOKEN, OLD_TOKEN + "!")}, 401),
        ("/", marked(2), {**JSON, "Authorization": f"Token {NEW_TOKEN}"}, 401),
        ("/", json.dumps(missing_version).encode(), bearer, 422),
        ("/", json.dumps(marker_in_invalid_fields).encode(), bearer, 422),
        ("/", f'{{"summary": "{MARKER}", '.encode(), bearer, 400),
        ("/", f'{{"summary": "{MARKER}"}}'.encode() + b"\xff", bearer, 400),
        ("/", gzip.compress(marked(4)), {**bearer, "Content-Encoding": "gzip"}, 415),
        ("/", marked(5), {**bearer, "Content-Type": "text/plain"}, 415),
        ("/", marked(6) + b" " * (64 * 1024), bearer, 413),
        ("/bad!source", marked(7), bearer, 400),
    ]

    answers = [client.post(body, path=path, headers=headers) for path, body, headers, _ in requests]
    answers.append(client.request("GET", f"/?token={NEW_TOKEN}", headers=bearer))

    assert [a.status for a in answers] == [expected for *_, expected in requests] + [405]
    logs = served.logs()
    request_lines = [line for line in logs.splitlines() if '"outcome"' in line]
    assert len(request_lines) == len(answers) + 1, "one line per request (and the start-up probe)"
    for secret in (OLD_TOKEN, NEW_TOKEN, MARKER, "S3CRET", "MARK3R"):
        assert secret not in logs
        for answer in answers:
            assert secret not in answer.body.decode(errors="replace")
            assert secret not in json.dumps(answer.headers)


def test_a_non_ascii_token_works_as_alertmanager_sends_it_raw_utf8_bearer_or_basic(serve):
    token = "jeton-été-🔑-ключ"
    served = serve(WEBHOOK_TOKENS=token)
    client = Client(served.url)
    # http.client sends bytes header values as they are, the way Go's net/http writes a
    # credentials file's UTF-8 into the header.
    bearer = {**JSON, "Authorization": b"Bearer " + token.encode()}
    basic_auth = {**JSON, "Authorization": b"Basic " + base64.b64encode(b"am:" + token.encode())}
    latin1 = {**JSON, "Authorization": b"Bearer " + "jeton-été".encode("latin-1")}

    answers = [
        client.post(notification(1), headers=bearer).status,
        client.post(notification(2), headers=basic_auth).status,
        client.post(notification(3), headers=latin1).status,
    ]

    assert answers == [201, 201, 401]
