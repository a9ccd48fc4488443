"""The function as production serves it, and an independent look at what it archived.

The archive is read with the plain GCS client or the filesystem, not with alertarchive's own
storage code, so a bug there cannot hide what really landed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from tests.support.local_metadata import in_attribute, sidecar, stored_metadata
from tests.support.processes import FakeGcs, ServedFunction

LOCAL_METADATA_SUFFIX = ".meta"


@dataclasses.dataclass(frozen=True)
class ArchivedObject:
    """One archived notification: its name, exact body and receipt metadata."""

    name: str
    body: bytes
    metadata: dict[str, str]

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def sha256_in_name(self) -> str:
        return self.name.rsplit("-", 1)[1].removesuffix(".json")

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class ArchiveReader(Protocol):
    """Where a function archives, and how the tests look inside."""

    url: str

    def function_env(self) -> dict[str, str]: ...

    def objects(self, prefix: str = "alerts/") -> list[ArchivedObject]: ...


class GcsBucket:
    """A bucket on fake-gcs-server, read with the google-cloud-storage client."""

    def __init__(self, fake_gcs: FakeGcs, bucket_name: str) -> None:
        self.fake_gcs = fake_gcs
        self.bucket_name = bucket_name
        self.url = f"gs://{bucket_name}"

    def create(self) -> GcsBucket:
        self.fake_gcs.create_bucket(self.bucket_name)
        return self

    def function_env(self) -> dict[str, str]:
        return {"ARCHIVE_URL": self.url, "STORAGE_EMULATOR_HOST": self.fake_gcs.url}

    def objects(self, prefix: str = "alerts/") -> list[ArchivedObject]:
        bucket = self.fake_gcs.client().bucket(self.bucket_name)
        return [
            ArchivedObject(blob.name, blob.download_as_bytes(), dict(blob.metadata or {}))
            for blob in bucket.list_blobs(prefix=prefix)
        ]


class LocalDirectory:
    """A local archive directory: body at <root>/<name>, metadata in its xattr or <name>.meta."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.url = str(root)

    def function_env(self) -> dict[str, str]:
        return {"ARCHIVE_URL": self.url}

    def objects(self, prefix: str = "alerts/") -> list[ArchivedObject]:
        """Objects complete with their metadata.

        With a sidecar, the local archive links the body into place first and writes the
        sidecar just after, so a body seen without metadata is one still being written.
        """
        found = []
        for path in sorted((self.root / prefix).rglob("*")):
            if not path.is_file() or path.name.endswith(LOCAL_METADATA_SUFFIX):
                continue
            if not in_attribute(path) and not sidecar(path).exists():
                continue
            found.append(
                ArchivedObject(
                    path.relative_to(self.root).as_posix(), path.read_bytes(), stored_metadata(path)
                )
            )
        return found


class ArchivingFunction:
    """main.py:receive_alert under functions-framework's gunicorn, archiving to `archive`."""

    def __init__(self, workdir: pathlib.Path, archive: ArchiveReader, **env: str) -> None:
        self.archive = archive
        self.served = ServedFunction(workdir, {**archive.function_env(), **env})
        self.url = self.served.url

    def __repr__(self) -> str:
        return f"ArchivingFunction({self.url} -> {self.archive.url})"

    def start(self) -> ArchivingFunction:
        self.served.start()
        return self

    def stop(self) -> None:
        self.served.stop()

    def objects(self, source: str) -> list[ArchivedObject]:
        """What is archived under source= (the webhook URL's path), oldest first."""
        found = [obj for obj in self.archive.objects() if f"/source={source}/" in obj.name]
        return sorted(found, key=lambda obj: obj.metadata.get("received_at", ""))

    def requests(self, source: str) -> list[dict[str, Any]]:
        """The function's JSON log lines for notifications posted to /<source>."""
        lines = []
        for line in self.served.logs().splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("httpRequest", {}).get("requestUrl") == f"/{source}":
                lines.append(entry)
        return lines

    def outcomes(self, source: str) -> list[str]:
        return [entry["outcome"] for entry in self.requests(source)]

    def wait_for_objects(
        self,
        source: str,
        count: int,
        timeout: float = 20,
        until: Callable[[list[ArchivedObject]], bool] | None = None,
    ) -> list[ArchivedObject]:
        """Poll until source= holds at least `count` objects, each one answered 2xx in the
        function's log (the object lands a moment before the log line), and `until` holds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.objects(source)
            answered = {e.get("object") for e in self.requests(source) if e["status_code"] < 300}
            if (
                len(found) >= count
                and all(obj.name in answered for obj in found)
                and (until is None or until(found))
            ):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} objects under source={source} after {timeout} s, wanted "
                    f"{count}; outcomes: {self.outcomes(source)}\n"
                    f"function log tail:\n{self.served.logs()[-2000:]}"
                )
            time.sleep(0.1)
