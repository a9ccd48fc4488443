"""The archive reads as a table in an analytics engine, without conversion."""

from __future__ import annotations

import pytest

from tests.conftest import payload
from tests.support.receiver import client_for

duckdb = pytest.importorskip("duckdb")

HEADERS = {"Content-Type": "application/json"}


def test_duckdb_reads_the_local_archive_one_row_per_notification(monkeypatch, tmp_path):
    client = client_for(monkeypatch, tmp_path)
    for name in (
        "firing-group-of-3.json",
        "partial-resolve.json",
        "all-resolved.json",
        "generated/unicode-labels.json",
    ):
        assert client.post("/", data=payload(name), headers=HEADERS).status_code == 201
    client.post("/", data=payload("firing-group-of-3.json"), headers=HEADERS)  # a retry

    rows = duckdb.sql(
        f"""
        SELECT dt, hour, source, status, receiver, len(alerts) AS alerts
        FROM read_json('{tmp_path}/alerts/*/*/*/*.json', hive_partitioning = true,
                       union_by_name = true)
        ORDER BY alerts, status
        """
    ).fetchall()

    assert len(rows) == 4
    assert sorted((r[3], r[5]) for r in rows) == [
        ("firing", 2),
        ("firing", 3),
        ("firing", 3),
        ("resolved", 2),
    ]
    assert {r[2] for r in rows} == {"default"}


def test_duckdb_unnests_alerts_with_their_labels(monkeypatch, tmp_path):
    client = client_for(monkeypatch, tmp_path)
    client.post("/", data=payload("firing-group-of-3.json"), headers=HEADERS)

    instances = duckdb.sql(
        f"""
        SELECT alert.labels.instance
        FROM (SELECT unnest(alerts) AS alert
              FROM read_json('{tmp_path}/alerts/*/*/*/*.json', hive_partitioning = true))
        ORDER BY 1
        """
    ).fetchall()

    assert [i[0] for i in instances] == ["a", "b", "c"]
