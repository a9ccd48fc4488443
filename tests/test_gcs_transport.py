"""The GCS archive's own transport: the environment read once, connections reused."""

from __future__ import annotations

import concurrent.futures

import pytest

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.archive.storage.gcs import GcsArchive

BODY = b'{"version":"4"}\n'
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_proxy_set_after_the_client_is_built_is_not_read_per_request(gcs_bucket, no_proxy_env):
    archive = GcsArchive(gcs_bucket, timeout_seconds=2)
    assert archive.create("first.json", BODY, {}, "application/json")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        no_proxy_env.setenv(name, UNREACHABLE)

    # A session that rescanned os.environ would now send these to the dead proxy.
    assert [archive.create(f"{n}.json", BODY, {}, "application/json") for n in range(3)] == [
        True
    ] * 3


def test_proxy_set_before_the_client_is_built_is_honoured(gcs_bucket, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", UNREACHABLE)
    archive = GcsArchive(gcs_bucket, timeout_seconds=1)

    with pytest.raises(StorageUnavailable):
        archive.create("through-proxy.json", BODY, {}, "application/json")


def opened(archive: GcsArchive) -> int:
    """Connections the archive's session has opened, from urllib3's pool counters."""
    pools = archive.bucket.client._http.get_adapter("http://x").poolmanager.pools
    return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118 (it refuses iteration)


def test_uploads_reuse_connections(gcs_bucket, no_proxy_env):
    archive = GcsArchive(gcs_bucket)
    assert archive.create("first.json", BODY, {}, "application/json")
    # The first use may open two: the client's background bucket-metadata GET runs alongside
    # unless DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA is set (conftest unsets it).
    first = opened(archive)
    for n in range(20):
        assert archive.create(f"serial-{n}.json", BODY, {}, "application/json")
    assert opened(archive) == first

    # Writers at once each keep their connection: a full pool (requests keeps 10) would
    # discard it after use, and the next upload would open (on GCS: handshake) another.
    with concurrent.futures.ThreadPoolExecutor(16) as writers:
        names = [f"parallel-{n}.json" for n in range(64)]
        assert all(writers.map(lambda n: archive.create(n, BODY, {}, "application/json"), names))
    assert opened(archive) <= 16
    pools = archive.bucket.client._http.get_adapter(archive.bucket.client.api_endpoint)
    assert pools._pool_maxsize == 64
