"""The response contract, row by row (README "Response contract"), through the real HTTP stack."""

from __future__ import annotations

import base64
import concurrent.futures
import io
import json
import pathlib
import threading
import time

import pytest

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.receiver.auth import TokenSet
from alertarchive.receiver.deadline import DeadlineArchive
from alertarchive.receiver.receive import Receiver
from tests.conftest import payload
from tests.support.local_metadata import stored_metadata
from tests.support.receiver import client_for

TOKEN = "test-token-3f9a"
AUTH = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
    "User-Agent": "Alertmanager/0.25.0",
}
FIRING = payload("firing-group-of-3.json")


@pytest.fixture
def archive_dir(tmp_path) -> pathlib.Path:
    return tmp_path / "archive"


@pytest.fixture
def client(monkeypatch, archive_dir):
    return client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN)


def stored_bodies(archive_dir: pathlib.Path, kind: str = "alerts") -> list[pathlib.Path]:
    return sorted(p for p in (archive_dir / kind).rglob("*") if p.is_file() and p.suffix != ".meta")


def test_valid_notification_is_stored_and_answered_201_with_its_object_name(client, archive_dir):
    response = client.post("/", data=FIRING, headers=AUTH)

    assert response.status_code == 201
    answer = response.get_json()
    assert answer["alerts"] == 3
    assert answer["duplicate"] is False
    assert (archive_dir / answer["object"]).read_bytes() == FIRING


def test_stored_object_keeps_the_exact_bytes_received(client, archive_dir):
    body = FIRING.replace(b'"status":"firing"', b'"status" : "firing"', 1) + b"\n\n"

    answer = client.post("/", data=body, headers=AUTH).get_json()

    assert (archive_dir / answer["object"]).read_bytes() == body


def test_retried_notification_is_answered_200_and_stored_once(client, archive_dir):
    first = client.post("/", data=FIRING, headers=AUTH)
    retry = client.post("/", data=FIRING, headers=AUTH)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json() == {**first.get_json(), "duplicate": True}
    assert len(stored_bodies(archive_dir)) == 1


def test_concurrent_copies_of_one_notification_store_one_object(monkeypatch, archive_dir):
    client = client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN)
    start = threading.Barrier(16)

    def post(_):
        start.wait()
        return client.post("/", data=FIRING, headers=AUTH).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(post, range(16)))

    assert sorted(codes) == [200] * 15 + [201]
    assert len(stored_bodies(archive_dir)) == 1


def test_distinct_notifications_are_distinct_objects(client, archive_dir):
    for name in ("firing-group-of-3.json", "partial-resolve.json", "all-resolved.json"):
        assert client.post("/", data=payload(name), headers=AUTH).status_code == 201

    assert len(stored_bodies(archive_dir)) == 3


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        f"Token {TOKEN}",
        "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode(),
        "Bearer ",
    ],
)
def test_missing_or_wrong_credentials_get_401_with_a_challenge_and_nothing_stored(
    client, archive_dir, authorization
):
    headers = {k: v for k, v in AUTH.items() if k != "Authorization"}
    if authorization is not None:
        headers["Authorization"] = authorization

    response = client.post("/", data=FIRING, headers=headers)

    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert "Basic" in response.headers["WWW-Authenticate"]
    assert TOKEN not in response.get_data(as_text=True)
    assert not archive_dir.exists() or not list(archive_dir.rglob("*.json"))


def test_basic_auth_with_the_token_as_password_is_accepted(client):
    basic = base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()

    response = client.post("/", data=FIRING, headers={**AUTH, "Authorization": f"Basic {basic}"})

    assert response.status_code == 201


def test_any_of_several_configured_tokens_is_accepted(monkeypatch, archive_dir):
    client = client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS="old-token, new-token")

    old = client.post("/", data=FIRING, headers={**AUTH, "Authorization": "Bearer old-token"})
    new = client.post(
        "/",
        data=payload("all-resolved.json"),
        headers={**AUTH, "Authorization": "Bearer new-token"},
    )

    assert (old.status_code, new.status_code) == (201, 201)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe{}", b"[1, 2]", b'"text"', b"{", b""])
def test_body_that_is_not_a_json_object_gets_400_and_is_quarantined(client, archive_dir, body):
    response = client.post("/", data=body, headers=AUTH)

    assert response.status_code == 400
    assert len(stored_bodies(archive_dir, "quarantine")) == 1
    assert stored_bodies(archive_dir, "quarantine")[0].read_bytes() == body


def test_an_integer_of_5000_digits_is_json_archived_with_the_notification(client, archive_dir):
    body = FIRING.rstrip()[:-1] + b', "big": ' + b"7" * 5_000 + b"}"

    response = client.post("/", data=body, headers=AUTH)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert [path.read_bytes() for path in stored_bodies(archive_dir)] == [body]


def test_an_integer_of_5000_digits_where_a_field_is_wrong_is_a_422_not_python_advice(client):
    body = b'{"truncatedAlerts": -' + b"7" * 5_000 + b"}"

    response = client.post("/", data=body, headers=AUTH)

    assert response.status_code == 422
    assert "int_max_str_digits" not in response.get_data(as_text=True)
    assert "is not JSON" not in response.get_data(as_text=True)


def test_notification_failing_the_schema_gets_422_naming_path_and_rule(client):
    document = json.loads(FIRING)
    document["alerts"][1]["status"] = "fire"

    response = client.post("/", data=json.dumps(document), headers=AUTH)

    assert response.status_code == 422
    line = response.get_data(as_text=True)
    assert line.count("\n") == 1 and len(line.encode()) < 300
    assert "$.alerts[1].status" in line
    assert "(enum)" in line


def test_schema_failure_message_stays_short_for_kilobytes_of_bad_value(client):
    document = json.loads(FIRING)
    document["alerts"][0]["startsAt"] = "x" * 5000

    response = client.post("/", data=json.dumps(document), headers=AUTH)

    assert response.status_code == 422
    assert len(response.data) < 300
    assert "$.alerts[0].startsAt" in response.get_data(as_text=True)


def test_notification_failing_the_schema_is_kept_in_quarantine_with_its_errors(client, archive_dir):
    body = json.dumps({**json.loads(FIRING), "version": "5"}).encode()

    client.post("/", data=body, headers=AUTH)

    [quarantined] = stored_bodies(archive_dir, "quarantine")
    assert quarantined.read_bytes() == body
    metadata = stored_metadata(quarantined)
    assert metadata["validation"] == "invalid"
    assert "$.version" in json.loads(metadata["validation_errors"])[0]
    assert not (archive_dir / "alerts").exists()


def test_unauthenticated_bad_body_is_not_quarantined(client, archive_dir):
    response = client.post("/", data=b"junk", headers={"Content-Type": "application/json"})

    assert response.status_code == 401
    assert not archive_dir.exists()


def test_body_over_the_declared_limit_gets_413_without_storing(monkeypatch, archive_dir):
    client = client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN, MAX_BODY_BYTES="1000")

    response = client.post("/", data=FIRING, headers=AUTH)

    assert response.status_code == 413
    assert not archive_dir.exists()


def post_chunked(client, body: bytes):
    """A body without Content-Length, as a chunked request reaches the app from gunicorn."""
    return client.post(
        "/",
        input_stream=io.BytesIO(body),
        headers=AUTH,
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_chunked_body_over_the_limit_gets_413(monkeypatch, archive_dir):
    client = client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN, MAX_BODY_BYTES="1000")

    response = post_chunked(client, b" " * 10_000)

    assert response.status_code == 413
    assert not archive_dir.exists()


def test_chunked_body_within_the_limit_is_stored(client, archive_dir):
    response = post_chunked(client, FIRING)

    assert response.status_code == 201
    assert (archive_dir / response.get_json()["object"]).read_bytes() == FIRING


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_declared_non_json_content_type_gets_415(client, content_type):
    response = client.post("/", data=FIRING, headers={**AUTH, "Content-Type": content_type})

    assert response.status_code == 415
    assert "application/json" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.alertmanager+json"],
)
def test_json_content_types_are_accepted(client, content_type):
    response = client.post("/", data=FIRING, headers={**AUTH, "Content-Type": content_type})

    assert response.status_code == 201


def test_compressed_body_gets_415(client):
    response = client.post("/", data=FIRING, headers={**AUTH, "Content-Encoding": "gzip"})

    assert response.status_code == 415


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_methods_other_than_post_get_405_with_allow_header(client, method):
    response = client.open("/", method=method, headers=AUTH)

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_liveness_answers_200_without_credentials_or_storage(client, archive_dir, method):
    response = client.open("/-/healthy", method=method)

    assert response.status_code == 200
    if method == "GET":
        assert response.get_json() == {"status": "ok"}
    assert not archive_dir.exists()


def test_readiness_answers_200_once_the_archive_took_a_write_outside_the_alert_trees(
    client, archive_dir
):
    first = client.get("/-/ready")
    again = client.get("/-/ready")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json() == {"status": "ready"}
    assert [p.relative_to(archive_dir).as_posix() for p in archive_dir.rglob("*.json")] == [
        "health/ready.json"
    ]


def test_readiness_answers_503_when_storage_fails_without_naming_it(capfd):
    receiver = Receiver(_FailingArchive(), TokenSet((TOKEN,)), 10_000_000)

    body, status, _ = receiver.handle(_get("/-/ready"))

    assert status == 503
    assert json.loads(body)["status"] == "unavailable"
    assert b"fire" not in body
    [line] = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert (line["severity"], line["reason"]) == ("WARNING", "disk on fire")


def test_readiness_answers_within_the_storage_time_bound():
    slow = DeadlineArchive(_FailingArchive(delay=5), seconds=0.3)
    receiver = Receiver(slow, TokenSet((TOKEN,)), 10_000_000)

    started = time.monotonic()
    _, status, _ = receiver.handle(_get("/-/ready"))

    assert status == 503
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("path", ["/-/healthy", "/-/ready"])
def test_posting_to_a_probe_is_405_and_archives_nothing(client, archive_dir, path):
    response = client.post(path, data=FIRING, headers=AUTH)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert not archive_dir.exists()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_healthz_is_404_naming_the_probe_paths_not_a_source_called_healthz(
    client, archive_dir, method
):
    response = client.open("/healthz", method=method, data=FIRING, headers=AUTH)

    assert response.status_code == 404
    assert "Cloud Run reserves paths ending in" in response.text
    assert "/-/healthy" in response.text
    assert "/-/ready" in response.text
    assert not archive_dir.exists()


def test_other_paths_under_the_probe_prefix_are_404_not_a_source(client, archive_dir):
    response = client.post("/-/metrics", data=FIRING, headers=AUTH)

    assert response.status_code == 404
    assert not archive_dir.exists()


@pytest.mark.parametrize(
    "path,headers,says",
    [
        ("/bad source", AUTH, "source must be"),
        ("/", {**AUTH, "Content-Type": "text/plain"}, "Content-Type text/plain is not JSON"),
        ("/", {**AUTH, "Content-Encoding": "gzip"}, "Content-Encoding gzip is not supported"),
        ("/", {"Content-Type": "application/json"}, "missing or wrong token"),
    ],
)
def test_refusals_log_the_reason_they_answered(client, capfd, path, headers, says):
    client.post(path, data=FIRING, headers=headers)

    [line] = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if "httpRequest" in line
    ]
    assert says in line["reason"]


@pytest.mark.parametrize(
    "path,query", [("/eu-west", ""), ("/", "?source=eu-west"), ("/eu-west", "?source=eu-west")]
)
def test_source_tag_from_path_or_query_is_recorded_in_name_and_metadata(
    client, archive_dir, path, query
):
    answer = client.post(path + query, data=FIRING, headers=AUTH).get_json()

    assert "/source=eu-west/" in answer["object"]
    metadata = stored_metadata(archive_dir / answer["object"])
    assert metadata["source"] == "eu-west"


@pytest.mark.parametrize(
    "path",
    [
        "/../etc",
        "/a/b",
        "/%2e%2e",
        "/-x",
        "/" + "s" * 64,
        "/caf%C3%A9",
        "/a%00b",
        "/?source=..",
        "/a?source=b",
    ],
)
def test_unsafe_or_conflicting_source_gets_400_and_nothing_stored(client, archive_dir, path):
    response = client.post(path, data=FIRING, headers=AUTH)

    assert response.status_code == 400
    assert not archive_dir.exists()


def test_no_source_is_recorded_as_default(client):
    answer = client.post("/", data=FIRING, headers=AUTH).get_json()

    assert "/source=default/" in answer["object"]


def test_object_name_shows_status_and_alertname(client):
    name = client.post("/", data=FIRING, headers=AUTH).get_json()["object"]

    assert pathlib.PurePosixPath(name).name.startswith("firing-PayloadMulti-")


class _FailingArchive:
    url = "broken://"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def create(self, name, body, metadata, content_type):
        time.sleep(self.delay)
        raise StorageUnavailable("disk on fire")


def _request(body: bytes, headers: dict[str, str]):
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(method="POST", path="/", data=body, headers=headers).get_request()


def _get(path: str):
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(method="GET", path=path).get_request()


def test_storage_failure_gets_503_so_alertmanager_retries():
    receiver = Receiver(_FailingArchive(), TokenSet((TOKEN,)), 10_000_000)

    body, status, _ = receiver.handle(_request(FIRING, AUTH))

    assert status == 503
    assert b"nothing stored" in body


def test_slow_storage_gets_503_within_the_configured_bound():
    slow = DeadlineArchive(_FailingArchive(delay=5), seconds=0.3)
    receiver = Receiver(slow, TokenSet((TOKEN,)), 10_000_000)

    started = time.monotonic()
    _, status, _ = receiver.handle(_request(FIRING, AUTH))

    assert status == 503
    assert time.monotonic() - started < 1.0


def test_quarantine_failure_gets_503_rather_than_losing_the_body():
    receiver = Receiver(_FailingArchive(), TokenSet((TOKEN,)), 10_000_000)

    _, status, _ = receiver.handle(_request(b"not json", AUTH))

    assert status == 503


def test_every_request_writes_one_structured_log_line_without_token_or_body(client, capfd):
    client.post("/", data=FIRING, headers=AUTH)
    client.post("/", data=FIRING, headers={**AUTH, "Authorization": "Bearer nope-secret"})

    lines = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")
    ]
    request_lines = [line for line in lines if "httpRequest" in line]
    assert [line["status_code"] for line in request_lines] == [201, 401]
    assert request_lines[0]["severity"] == "INFO"
    assert request_lines[0]["alerts"] == 3
    assert request_lines[0]["object"].startswith("alerts/")
    assert request_lines[1]["outcome"] == "unauthorized"
    text = json.dumps(lines)
    assert TOKEN not in text and "nope-secret" not in text and 'PayloadMulti"' not in text
    assert "api a slow" not in text


def test_receiver_without_tokens_accepts_unauthenticated_notifications(monkeypatch, archive_dir):
    client = client_for(monkeypatch, archive_dir)

    response = client.post("/", data=FIRING, headers={"Content-Type": "application/json"})

    assert response.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/" + "x" * 100_000},
        {"Content-Type": "application/" + "\x1b]52;c;aGk=\x07" * 1000},
        {"Content-Encoding": "br" + "\x1b[2J" * 1000},
    ],
)
def test_a_415_echoes_at_most_a_short_printable_part_of_the_header(client, archive_dir, headers):
    response = client.post("/", data=FIRING, headers={**AUTH, **headers})

    answer = response.get_data(as_text=True)
    assert response.status_code == 415
    assert len(answer) < 200
    assert "\x1b" not in answer and "\x07" not in answer
    assert not archive_dir.exists()


def test_a_405_echoes_at_most_a_short_part_of_the_method(client, archive_dir):
    for path in ("/", "/-/healthy"):
        response = client.open(path, method="X" * 10_000, headers=AUTH)

        assert response.status_code == 405
        assert len(response.get_data(as_text=True)) < 200


# "//healthz" never reaches the receiver: werkzeug's routing answers it 308 itself.
@pytest.mark.parametrize("path", ["/healthz/", "/healthz//"])
def test_healthz_spelled_with_extra_slashes_is_404_not_a_source_called_healthz(
    client, archive_dir, path
):
    response = client.post(path, data=FIRING, headers=AUTH)

    assert response.status_code == 404
    assert "/-/ready" in response.text
    assert not archive_dir.exists()


@pytest.mark.parametrize(
    "body,reason",
    [
        (
            b"not json at all \x00\xff\xfe",
            "body is not JSON: invalid UTF-8 (0xff) at byte 17 (line 1, column 18)",
        ),
        (
            b'{"receiver":"team-a",x}',
            "body is not JSON: unexpected character 'x' where a key (a \"double-quoted\" string)"
            " should be at byte 21 (line 1, column 22)",
        ),
        (
            '{"receiver":"équipe",}'.encode(),
            "body is not JSON: a ',' before a closing bracket (no trailing commas in JSON)"
            " at byte 21 (line 1, column 21)",
        ),
        (
            b'{\n  "status": "firing",\n  "alerts" []\n}',
            "body is not JSON: unexpected character '[' where a ':' should follow the key"
            " at byte 35 (line 3, column 12)",
        ),
        (
            b'{"status":"firing"',
            "body is not JSON: the body ends in the middle of a JSON value (cut short?)"
            " at byte 18 (line 1, column 19)",
        ),
        (
            b'{"a":1} {"b":2}',
            "body is not JSON: more after the end of the JSON value (a body is "
            "one JSON object) at byte 8 (line 1, column 9)",
        ),
        (
            b"\xef\xbb\xbf{}",
            "body is not JSON: it starts with a byte order mark (U+FEFF), which "
            "JSON does not allow",
        ),
        (b"", "body is not JSON: it is empty"),
        (b" \n", "body is not JSON: it is only whitespace"),
    ],
)
def test_a_body_that_is_not_json_is_answered_and_logged_in_our_words(
    client, capfd, archive_dir, body, reason
):
    response = client.post("/", data=body, headers=AUTH)

    assert response.status_code == 400
    assert response.get_data(as_text=True) == reason + "\n"
    [line] = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if "httpRequest" in line
    ]
    assert line["reason"] == reason
    assert "orjson" not in reason and "(char " not in reason
    [quarantined] = stored_bodies(archive_dir, "quarantine")
    metadata = stored_metadata(quarantined)
    assert json.loads(metadata["validation_errors"]) == [reason]


def test_an_event_recorder_body_that_is_not_json_is_answered_in_our_words(client, capfd):
    events_auth = {**AUTH, "User-Agent": "Alertmanager/0.33.0"}
    response = client.post("/-/events", data=b'{"kind": nul}', headers=events_auth)

    reason = (
        "body is not JSON: an unknown word (the only words in JSON are true, false and null)"
        " at byte 9 (line 1, column 10)"
    )
    assert response.status_code == 400
    assert response.get_data(as_text=True) == reason + "\n"
    [line] = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if "httpRequest" in line
    ]
    assert line["reason"] == reason
