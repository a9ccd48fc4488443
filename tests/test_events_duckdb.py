"""The README's DuckDB query over events/ runs as printed and prints what the README shows."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import re

import duckdb  # a dev dependency

from tests.test_why import _replay_capture

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _readme_events_sample() -> tuple[str, str]:
    """The SQL of the README's events query, and the table printed under it."""
    text = README.read_text()
    command = next(
        line for line in text.splitlines() if "duckdb.sql" in line and "archive/events/" in line
    )
    sql = re.search(r'duckdb\.sql\(\\"(.*)\\"\)\)"$', command)[1]
    table = text[text.index(command) + len(command) + 1 :].split("```", 1)[0]
    return sql, table


def test_the_readme_events_query_prints_the_table_it_shows(tmp_path, monkeypatch):
    with contextlib.redirect_stdout(io.StringIO()):
        _replay_capture(tmp_path / "archive")
    monkeypatch.chdir(tmp_path)
    sql, table = _readme_events_sample()

    printed = str(duckdb.sql(sql))

    assert printed == table
    assert os.path.isdir("archive/events")
