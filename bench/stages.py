"""Per-stage cost of archiving one notification, timed in-process (medians, ms).

The stages are the receiver's own calls, in its order: parse (parse_json_object), validate
(NotificationValidator.problems, built once), name (sha256 + summarize + layout.object_name +
record.metadata), write (archive.create on a local directory and on fake-gcs-server). The
jsonschema column is the reference engine on the same document, for scale.
"""

from __future__ import annotations

import datetime
import hashlib
import pathlib
import statistics
import time
from collections.abc import Callable

import jsonschema

from alertarchive.archive import layout, record
from alertarchive.archive.notification import parse_json_object, summarize
from alertarchive.archive.storage.gcs import GcsArchive
from alertarchive.archive.storage.local import LocalArchive
from alertarchive.receiver.schema import NotificationValidator, load_schema
from bench import payloads

SIZES = (1, 10, 100, 1000)


def _median_ms(action: Callable[[int], object], repeats: int) -> float:
    timings = []
    for index in range(repeats):
        started = time.perf_counter()
        action(index)
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 3)


def _repeats(alerts: int, quick: bool) -> int:
    base = 200 if alerts <= 10 else 100 if alerts <= 100 else 30
    return base // 4 if quick else base


def measure(workdir: pathlib.Path, gcs_client, bucket_name: str, quick: bool) -> list[dict]:
    engines = {
        "validator": NotificationValidator(),
        "reference": jsonschema.Draft202012Validator(load_schema()),
        "local": LocalArchive(workdir / "stages-archive"),
        "gcs": GcsArchive(bucket_name, timeout_seconds=8.0, client=gcs_client),
    }
    return [_measure_size(alerts, _repeats(alerts, quick), **engines) for alerts in SIZES]


def _measure_size(alerts: int, repeats: int, validator, reference, local, gcs) -> dict:
    bodies = [payloads.notification(alerts, f"stage-{alerts}-{index}") for index in range(repeats)]
    document = parse_json_object(bodies[0])
    assert not validator.problems(document)
    received_at = datetime.datetime.now(datetime.UTC)

    def name(index: int) -> tuple[str, dict[str, str]]:
        body = bodies[index]
        body_sha256 = hashlib.sha256(body).hexdigest()
        summary = summarize(document)
        object_name = layout.object_name(
            layout.ARCHIVED, received_at, "bench", body_sha256, summary.status, summary.title
        )
        metadata = record.metadata(
            received_at=received_at,
            body_sha256=body_sha256,
            body_size=len(body),
            user_agent="Alertmanager/0.28.1",
            source="bench",
            summary=summary,
        )
        return object_name, metadata

    names = [name(index) for index in range(repeats)]

    def write(archive, index: int) -> None:
        assert archive.create(names[index][0], bodies[index], names[index][1], "application/json")

    return {
        "alerts": alerts,
        "body_bytes": len(bodies[0]),
        "parse_ms": _median_ms(lambda i: parse_json_object(bodies[i]), repeats),
        "validate_ms": _median_ms(lambda i: validator.problems(document), repeats),
        "parse_validate_ms": _median_ms(
            lambda i: validator.problems(parse_json_object(bodies[i])), repeats
        ),
        "name_ms": _median_ms(name, repeats),
        "write_local_ms": _median_ms(lambda i: write(local, i), repeats),
        "write_gcs_ms": _median_ms(lambda i: write(gcs, i), repeats),
        "jsonschema_validate_ms": _median_ms(
            lambda i: reference.is_valid(document), 3 if alerts >= 100 else repeats
        ),
    }
