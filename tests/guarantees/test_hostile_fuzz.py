"""Property-based fuzzing of bodies, headers, methods, paths and query strings.

These run the real app in process (functions_framework.create_app(...).test_client()):
a served process would make hundreds of examples per property too slow for `make test`.
The served function is exercised by the hand-picked cases in test_hostile_input.py.

Promises, with a healthy (local) archive: no 5xx, no unhandled exception (functions-framework
marks those `X-Google-Status: crash`), nothing written outside the archive root, no staged
file left behind, and every object name one GCS accepts and the naming scheme allows.
"""

from __future__ import annotations

import json
import pathlib
import string
import urllib.parse

import pytest
from functions_framework import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.guarantees.helpers import (
    AUTH,
    GCS_MAX_NAME_BYTES,
    OBJECT_NAME,
    TOKEN,
    assert_complete,
    files_under,
    local_objects,
    notification,
)
from tests.support.processes import REPO

FUZZ_MAX_BODY_BYTES = 4096
EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALID = notification(0)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def mutated_notifications(draw) -> bytes:
    """A valid notification with one field (top level, alert or label) replaced."""
    document = json.loads(VALID)
    target = draw(st.sampled_from(["top", "alert", "labels"]))
    holder = {"top": document, "alert": document["alerts"][0]}.get(
        target, document["alerts"][0]["labels"]
    )
    key = draw(st.sampled_from(sorted(holder)) | st.text(max_size=10))
    holder[key] = draw(json_values)
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def corrupted_notifications(draw) -> bytes:
    """A valid notification with a byte run replaced, as a broken proxy might deliver it."""
    start = draw(st.integers(0, len(VALID)))
    end = draw(st.integers(start, min(len(VALID), start + 16)))
    return VALID[:start] + draw(st.binary(max_size=16)) + VALID[end:]


bodies = st.one_of(
    st.binary(max_size=FUZZ_MAX_BODY_BYTES + 100),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda value: json.dumps(value).encode()),
    mutated_notifications(),
    corrupted_notifications(),
)
# Bodies the stdlib fallback parses: orjson refuses an integer beyond 64 bits (or a double)
# before anything else, so the rest is read by json.loads, which is laxer (lone surrogates).
HUGE_INTEGER = b'{"n": ' + b"9" * 400 + b", "
surrogate_text = st.text(
    st.characters(categories=["Cs", "Ll", "Nd"]) | st.sampled_from(["\ud800", "\udfff"]),
    max_size=6,
)
huge_numbers = st.sampled_from(
    [b"9" * 400, b"-" + b"9" * 400, b"1e400", b"-1e400", b"1e-400", b"9" * 4_400, b"1" * 20]
)
fallback_fragments = st.sampled_from(
    [
        *(b'"', b'"k": ', b'"v"', b", ", b":", b"{", b"}", b"[", b"]", b"null", b"true", b"0"),
        *(b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf", b"-0", b"1.", b"01", b"+1"),
        *(b"\\udfff", b"\\ud800", b"\\ud83d\\ude00", b"\\u0000", b"\\", b"\xed\xbf\xbf"),
        *(b"\xff", b"\x00", b"\n", b"\xf0\x9f\x94\x91"),
    ]
)


@st.composite
def fallback_notifications(draw) -> bytes:
    """A valid notification led by a huge integer, with one field given hostile text."""
    document = json.loads(VALID)
    holder = draw(st.sampled_from([document, document["alerts"][0], document["commonLabels"]]))
    holder[draw(surrogate_text | st.sampled_from(sorted(holder)))] = draw(
        surrogate_text | st.integers(min_value=2**64) | st.just("firing")
    )
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return HUGE_INTEGER + text[1:].encode("utf-8", "surrogatepass")


fallback_bodies = st.one_of(
    fallback_notifications(),
    st.lists(fallback_fragments | huge_numbers, max_size=30).map(
        lambda parts: HUGE_INTEGER + b"".join(parts)
    ),
    st.tuples(huge_numbers, surrogate_text).map(
        lambda pair: (
            b'{"n": '
            + pair[0]
            + b', "s": '
            + json.dumps(pair[1]).encode("utf-8", "surrogatepass")
            + b"}"
        )
    ),
)
header_text = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=60)


@pytest.fixture
def app_client(tmp_path, monkeypatch):
    """The function as deployed, in process, archiving to a fresh directory."""
    monkeypatch.setenv("ARCHIVE_URL", str(tmp_path / "archive"))
    monkeypatch.setenv("WEBHOOK_TOKENS", TOKEN)
    monkeypatch.setenv("MAX_BODY_BYTES", str(FUZZ_MAX_BODY_BYTES))
    client = create_app("receive_alert", str(REPO / "main.py")).test_client()
    client.archive_root = tmp_path / "archive"
    yield client
    assert_archive_is_sound(tmp_path)


def assert_archive_is_sound(tmp_path: pathlib.Path) -> None:
    """Everything written is inside the root, complete, and named as GCS would accept."""
    root = tmp_path / "archive"
    assert {p.name for p in tmp_path.iterdir()} <= {"archive"}
    for path in files_under(root):
        name = path.relative_to(root).as_posix()
        assert not name.startswith(".tmp/"), f"staged file left behind: {name}"
        object_name = name.removesuffix(".meta")
        assert OBJECT_NAME.fullmatch(object_name), object_name
        assert len(object_name.encode()) <= GCS_MAX_NAME_BYTES
        assert ".." not in object_name.split("/")
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in object_name)
    assert_complete(local_objects(root))


def assert_handled(response, allowed: set[int]) -> None:
    assert "X-Google-Status" not in response.headers, response.get_data()[:300]
    assert response.status_code in allowed, (response.status_code, response.get_data()[:300])


def test_any_body_is_answered_without_5xx_and_archived_soundly(app_client):
    @EXAMPLES
    @given(body=bodies)
    def post(body: bytes) -> None:
        response = app_client.post("/", data=body, headers=AUTH)
        assert_handled(response, {200, 201, 400, 413, 422})

    post()


def test_any_body_the_fallback_parser_reads_is_archived_or_quarantined_never_5xx(app_client):
    @EXAMPLES
    @given(body=fallback_bodies)
    def post(body: bytes) -> None:
        response = app_client.post("/", data=body, headers=AUTH)

        assert_handled(response, {200, 201, 400, 413, 422})
        if response.status_code != 413:
            kept = {o.body for o in local_objects(app_client.archive_root)}
            assert body in kept, (response.status_code, response.get_data()[:300])

    post()


def test_any_headers_are_answered_without_5xx_and_archived_soundly(app_client):
    authorizations = st.one_of(
        st.just(AUTH["Authorization"]),
        st.just(f"bearer   {TOKEN}  "),
        header_text,
        header_text.map("Bearer {}".format),
        header_text.map("Basic {}".format),
    )

    @EXAMPLES
    @given(
        body=st.sampled_from([VALID, b"{}", b"\xff", b""]) | bodies,
        content_type=st.sampled_from(["application/json", "application/x+json", "text/plain", ""])
        | header_text,
        content_encoding=st.none() | st.sampled_from(["identity", "gzip", ""]) | header_text,
        authorization=st.none() | authorizations,
        user_agent=header_text,
        extra=st.dictionaries(
            st.text(string.ascii_letters + "-", min_size=1, max_size=20), header_text, max_size=3
        ),
    )
    def post(body, content_type, content_encoding, authorization, user_agent, extra) -> None:
        headers = {**extra, "Content-Type": content_type, "User-Agent": user_agent}
        if content_encoding is not None:
            headers["Content-Encoding"] = content_encoding
        if authorization is not None:
            headers["Authorization"] = authorization
        response = app_client.post("/", data=body, headers=headers)
        assert_handled(response, {200, 201, 400, 401, 413, 415, 422})

    post()


def test_any_method_path_and_query_is_answered_without_5xx_and_archived_soundly(app_client):
    segments = st.text(max_size=12) | st.sampled_from(["..", ".", "%2e%2e", "", "a/../..", "//"])

    @EXAMPLES
    @given(
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS"]),
        path=st.lists(segments, max_size=4).map("/".join),
        query=st.lists(
            st.tuples(st.sampled_from(["source", "token", "x"]) | st.text(max_size=8), segments),
            max_size=3,
        ),
        body=st.sampled_from([VALID, notification(1), b"[]"]),
    )
    def request(method, path, query, body) -> None:
        # PATH_INFO as gunicorn sets it (percent-decoded, bytes as latin-1): the test client
        # would read a path starting with `//` as a host name instead.
        path_info = ("/" + urllib.parse.unquote(path)).encode(errors="surrogatepass")
        response = app_client.open(
            "/",
            method=method,
            query_string=urllib.parse.urlencode(query),
            data=body,
            headers=AUTH,
            environ_overrides={"PATH_INFO": path_info.decode("latin-1")},
        )
        allowed = {200, 201, 400, 405, 422}
        if path_info.rstrip(b"/") in (b"/favicon.ico", b"/robots.txt") or b"\n" in path_info:
            allowed.add(404)  # functions-framework's own routes; its path rule stops at `\n`
        assert_handled(response, allowed)

    request()
