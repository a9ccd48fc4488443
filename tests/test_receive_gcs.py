"""The receiver writing to GCS (fake-gcs-server, real client): what lands in the bucket."""

from __future__ import annotations

import hashlib
import time

from tests.conftest import payload
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
