"""The receiver writing to GCS (fake-gcs-server, real client): what lands in the bucket."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from alertarchive.archive.storage import StorageUnavailable, open_archive
from alertarchive.archive.storage.gcs import GcsArchive
from alertarchive.receiver import deadline
from tests.conftest import payload
from tests.support.faulty_proxy import FaultyProxy
from tests.support.processes import FakeGcs
from tests.support.receiver import client_for

TOKEN = "gcs-token"
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
    "User-Agent": "Alertmanager/0.25.0",
}
FIRING = payload("firing-group-of-3.json")


def test_notification_lands_in_the_bucket_with_receipt_metadata(monkeypatch, gcs_bucket, fake_gcs):
    client = client_for(monkeypatch, f"gs://{gcs_bucket}/prod", WEBHOOK_TOKENS=TOKEN)

    answer = client.post("/eu", data=FIRING, headers=HEADERS).get_json()

    blob = fake_gcs.client().bucket(gcs_bucket).get_blob(f"prod/{answer['object']}")
    assert blob.download_as_bytes() == FIRING
    assert blob.content_type == "application/json"
    metadata = blob.metadata
    assert metadata.pop("received_at").endswith("Z")
    assert metadata == {
        "body_sha256": hashlib.sha256(FIRING).hexdigest(),
        "body_size": str(len(FIRING)),
        "user_agent": "Alertmanager/0.25.0",
        "source": "eu",
        "status": "firing",
        "receiver": "bearer\\.receiver",
        "alertnames": "PayloadMulti",
        "alert_count": "3",
        "truncated_alerts": "0",
        "group_key": '{}/{scenario="payload-bearer"}:{alertname="PayloadMulti"}',
        "notification_reason": "",
        "validation": "valid",
    }


def test_retry_to_gcs_is_a_200_duplicate_and_one_object(monkeypatch, gcs_bucket, fake_gcs):
    client = client_for(monkeypatch, f"gs://{gcs_bucket}", WEBHOOK_TOKENS=TOKEN)

    codes = [client.post("/", data=FIRING, headers=HEADERS).status_code for _ in range(3)]

    assert codes == [201, 200, 200]
    assert len(list(fake_gcs.client().list_blobs(gcs_bucket))) == 1


def test_invalid_notification_is_quarantined_in_the_bucket(monkeypatch, gcs_bucket, fake_gcs):
    client = client_for(monkeypatch, f"gs://{gcs_bucket}", WEBHOOK_TOKENS=TOKEN)
    body = FIRING.replace(b'"version":"4"', b'"version":"5"')

    response = client.post("/", data=body, headers=HEADERS)

    assert response.status_code == 422
    [blob] = fake_gcs.client().list_blobs(gcs_bucket)
    assert blob.name.startswith("quarantine/")
    assert blob.metadata["validation"] == "invalid"
    assert blob.download_as_bytes() == body


def test_gcs_down_answers_503_within_the_storage_timeout(monkeypatch, tmp_path):
    server = FakeGcs(tmp_path).start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.url)
    server.create_bucket("archive")
    client = client_for(
        monkeypatch, "gs://archive", WEBHOOK_TOKENS=TOKEN, STORAGE_TIMEOUT_SECONDS="2"
    )
    server.stop()

    started = time.monotonic()
    response = client.post("/", data=FIRING, headers=HEADERS)

    assert response.status_code == 503
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("budget", [1.0, 2.0])
def test_a_hanging_gcs_write_gives_up_within_its_budget_in_the_callers_thread(
    gcs_bucket, gcs_proxy, budget
):
    archive = deadline.bounded(open_archive(f"gs://{gcs_bucket}", budget), budget)
    assert isinstance(archive, GcsArchive)  # no thread pool, no hand-off
    assert archive.create("alerts/warm.json", b"{}", {}, "application/json")
    gcs_proxy.hanging = True

    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        archive.create("alerts/hung.json", b"{}", {}, "application/json")

    assert time.monotonic() - started <= budget + 0.3


# GCS may answer a create-only upload of an existing name with 403 instead of 412 when the
# caller lacks storage.objects.delete (roles/storage.objectCreator only); the proxy plays
# that caller in front of fake-gcs-server, which answers 412 itself.
OVERWRITE_REFUSED_AS_403 = {"storage.objects.delete"}


@pytest.fixture
def gcs_proxy(gcs_bucket, fake_gcs, monkeypatch):
    """The faulty proxy (no faults) in front of the session's fake-gcs-server."""
    proxy = FaultyProxy(fake_gcs.url).start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.url)
    yield proxy
    proxy.stop()


def unavailable_reasons(captured: str) -> list[str]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line["reason"] for line in lines if line.get("outcome") == "unavailable"]


@pytest.mark.parametrize(
    "missing_permissions",
    [set(), OVERWRITE_REFUSED_AS_403],
    ids=["gcs-answers-412", "gcs-answers-403"],
)
def test_retry_is_a_200_duplicate_whether_gcs_answers_412_or_403(
    monkeypatch, gcs_bucket, fake_gcs, gcs_proxy, missing_permissions
):
    gcs_proxy.missing_permissions = missing_permissions
    client = client_for(monkeypatch, f"gs://{gcs_bucket}/prod", WEBHOOK_TOKENS=TOKEN)

    answers = [client.post("/", data=FIRING, headers=HEADERS) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 200, 200]
    assert [a.get_json()["duplicate"] for a in answers] == [False, True, True]
    [blob] = fake_gcs.client().list_blobs(gcs_bucket)
    assert blob.download_as_bytes() == FIRING
    assert gcs_proxy.refusals["storage.objects.delete"] == (2 if missing_permissions else 0)


def test_403_for_a_name_nothing_holds_is_a_503_naming_the_refusal(
    monkeypatch, gcs_bucket, fake_gcs, gcs_proxy, capsys
):
    gcs_proxy.missing_permissions = {"storage.objects.create"}
    client = client_for(monkeypatch, f"gs://{gcs_bucket}", WEBHOOK_TOKENS=TOKEN)

    response = client.post("/", data=FIRING, headers=HEADERS)

    assert response.status_code == 503
    assert list(fake_gcs.client().list_blobs(gcs_bucket)) == []
    [reason] = unavailable_reasons(capsys.readouterr().out)
    assert "does not have storage.objects.create access" in reason
    assert "no object has that name, so this is not a duplicate" in reason


def test_403_for_a_name_holding_other_bytes_is_a_503_and_leaves_them(
    monkeypatch, gcs_bucket, fake_gcs, gcs_proxy, capsys
):
    client = client_for(monkeypatch, f"gs://{gcs_bucket}", WEBHOOK_TOKENS=TOKEN)
    name = client.post("/", data=FIRING, headers=HEADERS).get_json()["object"]
    other = FIRING.replace(b'"firing"', b'"FIRING"', 1)
    fake_gcs.client().bucket(gcs_bucket).blob(name).upload_from_string(other)
    gcs_proxy.missing_permissions = OVERWRITE_REFUSED_AS_403

    response = client.post("/", data=FIRING, headers=HEADERS)

    assert response.status_code == 503
    assert fake_gcs.client().bucket(gcs_bucket).blob(name).download_as_bytes() == other
    [reason] = unavailable_reasons(capsys.readouterr().out)
    assert "does not have storage.objects.delete access" in reason
    assert "holds other bytes (MD5 " in reason


def test_403_without_permission_to_read_the_stored_copy_is_a_503_naming_the_grant(
    monkeypatch, gcs_bucket, gcs_proxy, capsys
):
    client = client_for(monkeypatch, f"gs://{gcs_bucket}", WEBHOOK_TOKENS=TOKEN)
    assert client.post("/", data=FIRING, headers=HEADERS).status_code == 201
    gcs_proxy.missing_permissions = {"storage.objects.delete", "storage.objects.get"}

    response = client.post("/", data=FIRING, headers=HEADERS)

    assert response.status_code == 503
    [reason] = unavailable_reasons(capsys.readouterr().out)
    assert "grant the service account storage.objects.get on the bucket" in reason
    assert gcs_proxy.refusals == {"storage.objects.delete": 1, "storage.objects.get": 1}
