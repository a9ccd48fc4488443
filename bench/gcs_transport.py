"""CPU per GCS upload, in process, against fake-gcs-server: the archive vs a bare upload.

Cells, each into a fresh bucket (fake-gcs's in-memory backend slows with every object
already in a bucket), interleaved round by round so drift hits them alike:

- shipped: GcsArchive.create() over a `storage.Client()` built as the archive built it before
  its own transport (requests' default session: it rescans os.environ for proxies per request);
- bare: one google.auth AuthorizedSession multipart POST per upload (ifGenerationMatch=0),
  no google-cloud-storage at all: the floor for "an authorized HTTP upload";
- archive: GcsArchive.create() as it ships now (its own session, see gcs.py).

CPU is time.process_time() over N uploads (this process only: the server runs apart), the
figure a round reports is per upload, and each cell's result the median of its rounds.

    .venv/bin/python -m bench.gcs_transport [--uploads 300] [--rounds 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.payloads import notification  # noqa: E402
from tests.support.processes import FakeGcs  # noqa: E402

METADATA = {"receiver": "team", "status": "firing", "validation": "valid"}
CONTENT_TYPE = "application/json"


def _bodies(count: int, tag: str) -> list[tuple[str, bytes]]:
    template = notification(10)
    out = []
    for index in range(count):
        body = template.replace(b"@SEQ@", f"{tag}-{index}".encode())
        out.append((f"2026/12/01/{hashlib.sha256(body).hexdigest()}.json", body))
    return out


def _archive_uploader(shipped: bool) -> Callable[[str], Callable[[str, bytes], None]]:
    from google.cloud import storage

    from alertarchive.archive.storage.gcs import GcsArchive

    def for_bucket(bucket: str) -> Callable[[str, bytes], None]:
        archive = GcsArchive(bucket, client=storage.Client() if shipped else None)

        def upload(name: str, body: bytes) -> None:
            assert archive.create(name, body, METADATA, CONTENT_TYPE)

        return upload

    return for_bucket


def _bare_uploader(endpoint: str) -> Callable[[str], Callable[[str, bytes], None]]:
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession

    session = AuthorizedSession(AnonymousCredentials())

    def for_bucket(bucket: str) -> Callable[[str, bytes], None]:
        url = f"{endpoint}/upload/storage/v1/b/{bucket}/o"

        def upload(name: str, body: bytes) -> None:
            boundary = "===============alertarchive=="
            head = json.dumps({"name": name, "contentType": CONTENT_TYPE, "metadata": METADATA})
            payload = b"".join(
                (
                    f"--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n"
                    f"{head}\r\n--{boundary}\r\ncontent-type: {CONTENT_TYPE}\r\n\r\n".encode(),
                    body,
                    f"\r\n--{boundary}--\r\n".encode(),
                )
            )
            response = session.post(
                url,
                params={"uploadType": "multipart", "ifGenerationMatch": "0"},
                data=payload,
                headers={"content-type": f'multipart/related; boundary="{boundary}"'},
                timeout=4.0,
            )
            assert response.status_code == 200, response.text

        return upload

    return for_bucket


def measure(uploads: int, rounds: int, workdir: pathlib.Path) -> dict[str, float]:
    server = FakeGcs(workdir).start()
    os.environ["STORAGE_EMULATOR_HOST"] = server.url
    try:
        cells = {
            "shipped": _archive_uploader(shipped=True),
            "bare": _bare_uploader(server.url),
            "archive": _archive_uploader(shipped=False),
        }
        per_upload: dict[str, list[float]] = {cell: [] for cell in cells}
        for round_index in range(rounds):
            for cell, for_bucket in cells.items():
                bucket = f"bench-{cell}-{round_index}"
                server.create_bucket(bucket)
                upload = for_bucket(bucket)
                bodies = _bodies(uploads + 5, f"{cell}{round_index}")
                for name, body in bodies[:5]:  # client, credentials, connection: not timed
                    upload(name, body)
                started = time.process_time()
                for name, body in bodies[5:]:
                    upload(name, body)
                per_upload[cell].append((time.process_time() - started) / uploads * 1e6)
        return {cell: statistics.median(values) for cell, values in per_upload.items()}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        result = measure(args.uploads, args.rounds, pathlib.Path(workdir))
    for cell, micros in result.items():
        print(f"{cell:8} {micros:7.0f} us CPU per upload")
    print(f"shipped/bare {result['shipped'] / result['bare']:.2f}x")
    print(f"archive/bare {result['archive'] / result['bare']:.2f}x")
    print(json.dumps({"uploads": args.uploads, "rounds": args.rounds, **result}))


if __name__ == "__main__":
    main()
