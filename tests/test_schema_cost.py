"""Validating a hostile body costs about what validating a valid body of the same size costs.

jsonschema-rs's iter_errors builds every error before the first is read; 100,000 `{}` alerts
(0.3 MB) once took 3.3 s and ~600 MiB. The validator now lets it see a reduced document;
these tests prove the cost bound (against a valid-body baseline measured in the same run, in
fresh subprocesses, so a loaded machine slows both sides) and that the reduction changes
no reported problem.
"""

from __future__ import annotations

import copy
import json
import pathlib

import orjson
import pytest

from alertarchive.receiver.schema import (
    _MAX_PROBLEMS,
    NotificationValidator,
    Problem,
    _instance_path,
    _message,
    _rule,
    json_path,
)
from bench.schema_cost import SHAPES, body, median_of

SIZE = 1024 * 1024
FIRING = json.loads((pathlib.Path(__file__).parent / "data" / "firing-group-of-3.json").read_text())


def _unreduced(validator: NotificationValidator, document) -> list[Problem]:
    """The problems as every error jsonschema-rs builds would give them (the old way)."""
    found = []
    for error in validator._validator.iter_errors(document):
        path = json_path(_instance_path(document, error))
        found.append(
            Problem(path, _rule(error.schema_path), _message(error.kind, error.schema_path))
        )
        if len(found) == _MAX_PROBLEMS:
            break
    return found


@pytest.fixture(scope="module")
def baseline() -> dict:
    return median_of(body("valid", SIZE), 3)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "valid"])
def test_hostile_body_validation_costs_at_most_10x_a_valid_body(baseline, shape):
    hostile = median_of(body(shape, SIZE), 3)

    assert hostile["problems"] > 0
    assert hostile["seconds"] <= 10 * baseline["seconds"] + 0.05, (hostile, baseline)
    assert hostile["peak_kib"] <= baseline["peak_kib"] + 16 * 1024, (hostile, baseline)


def _mixed(n: int) -> dict:
    document = copy.deepcopy(FIRING)
    good = document["alerts"][0]
    alerts = []
    for i in range(n):
        alert = copy.deepcopy(good)
        if i % 7 == 3:
            alert["labels"] = {f"l{j}": j if j % 2 else "s" for j in range(30)}
        elif i % 11 == 5:
            alert = {}
        elif i % 13 == 0:
            alert["startsAt"] = "yesterday"
            alert["fingerprint"] = 5
        alerts.append(alert)
    document["alerts"] = alerts
    return document


REDUCED_CASES = {
    **{shape: lambda shape=shape: orjson.loads(body(shape, 20_000)) for shape in SHAPES},
    "mixed valid and invalid alerts": lambda: _mixed(400),
    "one bad alert at the end": lambda: {**_mixed(1), "alerts": [FIRING["alerts"][0]] * 300 + [{}]},
    "required missing and numeric common labels": lambda: {
        "alerts": [{}] * 50,
        "commonLabels": {str(i): i for i in range(50)},
        "groupLabels": 3,
    },
    "empty alerts and empty labels": lambda: {
        **FIRING,
        "alerts": [{**FIRING["alerts"][0], "labels": {}}],
    },
    "not an object": lambda: [{}] * 100,
    "alerts not a list": lambda: {**FIRING, "alerts": {"0": {}}},
}


@pytest.mark.parametrize("case", REDUCED_CASES)
def test_reduced_document_reports_the_same_problems(case):
    validator = NotificationValidator()
    document = REDUCED_CASES[case]()

    assert validator.problems(document) == _unreduced(validator, document)
