"""A Google Cloud Storage bucket (optionally a prefix in it) as an archive."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator, Mapping

# The client (3.17+) otherwise fetches bucket metadata in the background for tracing; the
# receiver's service account may only create objects, so that GET would be denied.
os.environ.setdefault("DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA", "true")

import google.auth.exceptions
import requests
import requests.adapters
from google.api_core import exceptions as api_exceptions
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from alertarchive.archive.storage import NotFound, StorageUnavailable, StoredObject

_TRANSIENT = (
    api_exceptions.GoogleAPIError,
    google.auth.exceptions.GoogleAuthError,
    requests.RequestException,
    OSError,
)


class GcsArchive:
    """An archive in `gs://bucket[/prefix]`.

    Every call has a time budget: the client's default retry can otherwise hold a request
    for 120 s, far beyond Alertmanager's patience (max(group_interval, 10 s) on 0.25).

    create() keeps its budget by the client's own means, in the caller's thread: each
    attempt waits at most a quarter of it to connect and a quarter for each answer read,
    and retries start only in its first half, so the last attempt to start ends within the
    budget, and the check a 403 needs gets what is left. That holds for a GCS (or a path
    to it) that refuses, resets, errors or stops answering. What no socket timeout bounds
    is left out of it: a server trickling its answer a byte at a time, a DNS lookup or a
    token refresh that hangs, and the credential discovery of an instance's first write.
    """

    # create() answers within timeout_seconds by itself: the receiver adds no clock.
    keeps_its_time_budget = True

    def __init__(
        self,
        bucket_name: str,
        prefix: str = "",
        timeout_seconds: float = 8.0,
        client: storage.Client | None = None,
        connections: int = 64,
    ) -> None:
        self.bucket_name = bucket_name
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"gs://{bucket_name}/{self.prefix}"
        # Retries stop being started after the budget; each attempt may take half of it.
        self._retry = DEFAULT_RETRY.with_timeout(timeout_seconds)
        self._attempt_timeout = timeout_seconds / 2
        self._budget = timeout_seconds
        self._client = client
        self._client_lock = threading.Lock()
        self._connections = connections

    @property
    def bucket(self) -> storage.Bucket:
        # Built on first use, not at import: credential discovery can take a while, and a
        # receiver that starts fast answers its first notification sooner.
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = _client_with_own_transport(self._connections)
        return self._client.bucket(self.bucket_name)

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        deadline = time.monotonic() + self._budget
        with self._translated("write to"):
            try:
                self._upload_new(name, body, metadata, content_type, self._budget)
            except api_exceptions.PreconditionFailed:
                # 412: a live object holds this name. The name carries the body's sha256 and
                # only the receiver writes here, so it is this body: our dedup.
                return False
            except api_exceptions.Forbidden as refusal:
                return self._confirm_stored_copy(name, body, refusal, deadline)
        return True

    def _upload_new(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str, budget: float
    ) -> None:
        blob = self.bucket.blob(self.prefix + name)
        blob.metadata = dict(metadata)
        # if_generation_match=0 makes the write create-only: a second copy of the same body
        # (a retry, an HA peer) is refused instead of overwriting the first.
        blob.upload_from_string(
            body,
            content_type=content_type,
            if_generation_match=0,
            **_within(budget),
        )

    def _confirm_stored_copy(
        self, name: str, body: bytes, refusal: api_exceptions.Forbidden, deadline: float
    ) -> bool:
        """False if `name` already holds exactly `body`, so a 403 to its create is a duplicate.

        Google documents that a create-only upload of an existing name fails with 412
        (https://cloud.google.com/storage/docs/request-preconditions) and that replacing an
        object needs storage.objects.delete, which roles/storage.objectCreator lacks
        (https://cloud.google.com/storage/docs/json_api/v1/objects/insert, "Required
        permissions"), but not which check comes first; a caller without delete is refused
        same-name uploads with 403 "does not have storage.objects.delete access"
        (https://github.com/google-github-actions/upload-cloud-storage/issues/388). A 403
        also means a missing create permission, so it is trusted only once the object is
        seen to hold these bytes (this GET needs storage.objects.get), in what is left of
        the write's budget.

        Raises:
            StorageUnavailable: not a duplicate, or it cannot be told; the reason says which
                and what to grant or inspect.
        """
        refused = f"GCS refused to create {name} in {self.url} (403: {_gcs_message(refusal)})"
        left = deadline - time.monotonic()
        if left <= 0:
            raise StorageUnavailable(
                f"{refused}, and no time was left to check for a stored copy within "
                f"{self._budget:g} s"
            )
        try:
            stored = self.bucket.get_blob(self.prefix + name, **_within(left))
        except api_exceptions.Forbidden:
            raise StorageUnavailable(
                f"{refused}, and reading its metadata to check for a stored copy was denied "
                "too: grant the service account storage.objects.get on the bucket "
                "(roles/storage.legacyObjectReader)"
            ) from None
        except _TRANSIENT as error:
            raise StorageUnavailable(
                f"{refused}, and checking for a stored copy failed: {_error_reason(error)}"
            ) from None
        if stored is None:
            raise StorageUnavailable(
                f"{refused}; no object has that name, so this is not a duplicate: check the "
                "service account's roles on the bucket (roles/storage.objectCreator)"
            )
        difference = _content_difference(stored, body)
        if difference:
            raise StorageUnavailable(
                f"{refused}; the object under that name holds other bytes ({difference}), so "
                "this body is not stored: its name is this body's sha256, so inspect that object"
            )
        return False

    def objects(self, prefix: str) -> Iterator[StoredObject]:
        with self._translated("list", missing=f"no bucket {self.bucket_name!r}"):
            for blob in self.bucket.list_blobs(
                prefix=self.prefix + prefix, retry=self._retry, timeout=self._attempt_timeout
            ):
                yield self._stored_object(blob)

    def list_folders(self, prefix: str) -> list[str]:
        """Sub-folders via a delimiter listing.

        With `delimiter="/"`, GCS returns the distinct name prefixes up to the next `/`
        (`pages.prefixes`) instead of every object below them.
        """
        with self._translated("list", missing=f"no bucket {self.bucket_name!r}"):
            pages = self.bucket.list_blobs(
                prefix=self.prefix + prefix,
                delimiter="/",
                retry=self._retry,
                timeout=self._attempt_timeout,
            )
            for _ in pages:
                pass
            return sorted(folder[len(self.prefix) :] for folder in pages.prefixes)

    def read(self, name: str) -> bytes:
        with self._translated("read", missing=f"no object {name!r} in {self.url}"):
            return self.bucket.blob(self.prefix + name).download_as_bytes(
                retry=self._retry, timeout=self._attempt_timeout
            )

    def stat(self, name: str) -> StoredObject:
        with self._translated("read"):
            blob = self.bucket.get_blob(
                self.prefix + name, retry=self._retry, timeout=self._attempt_timeout
            )
        if blob is None:
            raise NotFound(f"no object {name!r} in {self.url}")
        return self._stored_object(blob)

    @contextlib.contextmanager
    def _translated(self, action: str, missing: str | None = None) -> Iterator[None]:
        """The client's errors as the archive's: NotFound(missing) if given, else unavailable.

        A 404 is NotFound only where the caller says what is missing (an object, the bucket);
        elsewhere it is one more reason the archive cannot be used now.
        """
        try:
            yield
        except _TRANSIENT as error:
            if missing is not None and isinstance(error, api_exceptions.NotFound):
                raise NotFound(missing) from None
            raise StorageUnavailable(
                f"cannot {action} {self.url}: {_error_reason(error)}"
            ) from None

    def _stored_object(self, blob: storage.Blob) -> StoredObject:
        """Blob as listings describe it: its name inside this archive, size and metadata."""
        return StoredObject(
            name=blob.name[len(self.prefix) :], size=blob.size or 0, metadata=blob.metadata or {}
        )


def _within(budget: float) -> dict:
    """The client's retry= and timeout= for one call that must end within budget seconds.

    Connect and each read get a quarter of it, so an attempt is over by half; retries start
    only in the first half, so the last to start ends by the whole. Sending the body has
    the read's timeout too, which matters only for bodies larger than the socket buffers.
    """
    quarter = budget / 4
    return {"retry": DEFAULT_RETRY.with_timeout(budget / 2), "timeout": (quarter, quarter)}


def _client_with_own_transport(connections: int) -> storage.Client:
    """storage.Client() with a session that reads the environment once, here, not per request.

    requests' default session (trust_env) looks up HTTP(S)_PROXY, NO_PROXY and the CA bundle
    variables in os.environ on every request; GCS uploads are the receiver's hot path, so
    this session is built with trust_env=False and given what those variables say now: the
    proxy for the storage endpoint (none if NO_PROXY covers it) and REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE. An operator's HTTPS_PROXY set before start is honoured; a change to the
    environment after the first GCS call is not (restart to apply it). ~/.netrc, which
    trust_env would also consult, is not: the session authorizes with the credentials.

    Its connection pool holds `connections` (above the most writes that run at once: one
    per request thread, THREADS, 8 in the Terraform), so no thread opens a fresh TLS connection
    because another's was discarded from a full pool (requests' default keeps 10).
    Credentials, project and endpoint (STORAGE_EMULATOR_HOST included) are found as
    storage.Client() finds them; only the HTTP object it would build lazily is replaced,
    as AuthorizedSession with the client's own refresh timeout.
    """
    from google.auth.transport.requests import AuthorizedSession

    client = storage.Client()
    # 300 s: the refresh timeout storage.Client gives the session it builds itself.
    session = AuthorizedSession(client._credentials, refresh_timeout=300)
    session.configure_mtls_channel()
    # requests' own reading of the environment for the endpoint, done once, then frozen.
    settings = session.merge_environment_settings(client.api_endpoint, {}, None, None, None)
    session.proxies = settings["proxies"]
    session.verify = settings["verify"]
    session.trust_env = False
    if not session.is_mtls:  # an mTLS channel mounts its own adapter; keep it
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=connections)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    client._http_internal = session
    return client


def _content_difference(stored: storage.Blob, body: bytes) -> str:
    """How the stored object differs from body, or "" if it holds these bytes.

    Compared with the size and MD5 that GCS computed from the stored bytes, not with our own
    body_sha256 metadata, which only repeats what the writer claimed.
    """
    if stored.size != len(body):
        return f"{stored.size} bytes stored, {len(body)} received"
    received_md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    if stored.md5_hash != received_md5:
        # Only composite objects lack an MD5, and the receiver never composes.
        return f"MD5 {stored.md5_hash or 'missing'} stored, {received_md5} received"
    return ""


def _gcs_message(error: api_exceptions.GoogleAPICallError) -> str:
    """GCS's own sentence for an error (a 403's names the missing permission), shortened."""
    try:
        message = error.response.json()["error"]["message"]
    except (AttributeError, KeyError, TypeError, ValueError):
        message = _error_reason(error)
    return str(message)[:200]


def _error_reason(error: BaseException) -> str:
    """Why a GCS call failed, in one short line that says what to fix where it can."""
    if isinstance(error, google.auth.exceptions.DefaultCredentialsError):
        return "no Google credentials (run `gcloud auth application-default login`)"
    if isinstance(error, api_exceptions.Forbidden):
        return "permission denied (check the service account's roles on the bucket)"
    if isinstance(error, api_exceptions.NotFound):
        return "no such bucket"
    if isinstance(error, api_exceptions.RetryError):
        return f"gave up after retrying: {error.cause or error}"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
