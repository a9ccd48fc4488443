"""docs/bigquery.md's queries, run on DuckDB over a receiver-written archive, say what the CLI says.

The tables are built as the Terraform declares them (terraform/main.tf): `notifications_raw` and
`events_raw` read every object as one CSV column `body` (tab delimiter, no quote character) with
the Hive partitions dt DATE, hour INTEGER, source STRING and the object's `_FILE_NAME`; the views
are terraform/sql/*.sql, filled in as templatefile() fills them. The views and every ```sql
block of the document then go through REWRITES below, and nothing else: BigQuery's spelling of
a few things DuckDB spells differently, one mechanical rule each. Each query's first line names
the CLI command it answers (`-- alertarchive …`); the test runs that command on the same archive
and compares.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import pathlib
import re
import shlex
from typing import Any

import duckdb  # a dev dependency
import pytest

from tests.support.archives import ArchiveWriter, alert, build_scenario, notification
from tests.support.cli import ndjson, run
from tests.test_why import _replay_capture

REPO = pathlib.Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "bigquery.md"
VIEWS = REPO / "terraform" / "sql"
BUCKET = "gs://archive-bucket/"
NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)

# DuckDB stand-ins for BigQuery functions it lacks or whose meaning differs. A rewrite below
# turns `NAME(` into `bq_name(` for each of these.
MACROS = {
    # JSON_VALUE: the scalar at a path as STRING; NULL for an object or an array.
    "JSON_VALUE": "(j, p) AS CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL"
    " ELSE json_extract_string(j, p) END",
    "JSON_QUERY": "(j, p) AS json_extract(j, p)",
    # JSON_QUERY_ARRAY: the elements of the array at a path, as JSON values.
    "JSON_QUERY_ARRAY": "(j, p) AS CASE WHEN json_type(j, p) = 'ARRAY'"
    " THEN json_extract(j, p || '[*]') END",
    "SAFE.PARSE_JSON": "(s) AS TRY_CAST(s AS JSON)",
    # SAFE.TIMESTAMP: BigQuery's timestamps hold microseconds; a string with more digits is
    # refused (hence NULL), where DuckDB's cast would accept it.
    "SAFE.TIMESTAMP": r"(s) AS CASE WHEN regexp_matches(s, '\.[0-9]{7,}') THEN NULL"
    " ELSE TRY_CAST(s AS TIMESTAMPTZ) END",
    # REGEXP_REPLACE replaces every match (DuckDB: the first, unless 'g').
    "REGEXP_REPLACE": "(s, p, r) AS regexp_replace(s, p, r, 'g')",
    # REGEXP_EXTRACT returns the pattern's capturing group (BigQuery allows at most one).
    "REGEXP_EXTRACT": "(s, p) AS regexp_extract(s, p, 1)",
    "UNIX_SECONDS": "(t) AS CAST(floor(epoch(t)) AS BIGINT)",
    "COUNTIF": "(c) AS count_if(c)",
    "LOGICAL_OR": "(c) AS bool_or(c)",
}

# (BigQuery spelling, DuckDB spelling, why), applied in this order.
REWRITES: list[tuple[str, str, str]] = [
    (r"`(?:[\w-]+\.)*(\w+)`", r"\1", "`PROJECT.dataset.table` is the table of that name"),
    # (The document writes every string holding a backslash as a raw one.)
    (r"\br'", "'", "DuckDB strings have no escapes: a raw string is a plain one"),
    *(
        (rf"(?<![\w.]){re.escape(name)}\(", f"bq_{name.replace('.', '_').lower()}(", "macro")
        for name in sorted(MACROS, key=len, reverse=True)
    ),
    (r"\bSAFE_CAST\(", "TRY_CAST(", "the same function"),
    (r"\bAS TIMESTAMP\)", "AS TIMESTAMPTZ)", "BigQuery's TIMESTAMP is an instant"),
    (
        r"(UNNEST\(.*?\)) AS (\w+)\b",
        r"\1 AS unnested(\2)",
        "DuckDB names the element as a column of the unnested table",
    ),
]


def to_duckdb(sql: str) -> str:
    for pattern, replacement, _ in REWRITES:
        sql = re.sub(pattern, replacement, sql)
    return sql


def doc_queries() -> list[str]:
    return re.findall(r"^```sql\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


def _read_raw(root: pathlib.Path, kind: str) -> str:
    # The archive is a local directory; sidecars (`.json.meta`) hold what GCS keeps as metadata.
    return f"""
        SELECT body, dt, hour, source, '{BUCKET}' || substr(filename, {len(str(root)) + 2})
          AS _FILE_NAME
        FROM read_csv('{root}/{kind}/*/*/*/*.json', delim = '\t', quote = '', escape = '',
                      header = false, auto_detect = false, columns = {{'body': 'VARCHAR'}},
                      hive_partitioning = true, filename = true, strict_mode = false,
                      hive_types = {{'dt': DATE, 'hour': INTEGER, 'source': VARCHAR}})
    """


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("bigquery") / "archive"
    with contextlib.redirect_stdout(io.StringIO()):
        build_scenario(root, now=NOW)  # 2026-11-24 and 2026-11-27
        # An alert that resolved and fired again, still firing: its latest episode is open.
        writer, refire = ArchiveWriter(str(root)), {"alertname": "Refire", "instance": "q-1"}
        for (started, ended), received in (
            (("01:00", None), "01:00"),
            (("01:00", "01:20"), "01:25"),
            (("03:10", None), "03:10"),
        ):
            moments = [_at(started), _at(ended) if ended else None, _at(received)]
            body = notification([alert(refire, moments[0], ends_at=moments[1])])
            assert writer.post(body, moments[2])["status_code"] == 201
        _replay_capture(root)  # Alertmanager 0.33.1's events and notifications, 2026-12-01
    return root


@pytest.fixture(scope="module")
def db(archive) -> duckdb.DuckDBPyConnection:
    return connect(archive)


def connect(archive: pathlib.Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with the Terraform's tables and views over `archive`, and the BigQuery macros."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, body in MACROS.items():
        con.execute(f"CREATE MACRO bq_{name.replace('.', '_').lower()}{body}")
    con.execute(f"CREATE TABLE notifications_raw AS {_read_raw(archive, 'alerts')}")
    con.execute(f"CREATE TABLE events_raw AS {_read_raw(archive, 'events')}")
    for view, variables in (
        ("notifications", {"raw_table": "PROJECT.alertarchive.notifications_raw"}),
        ("events", {"raw_table": "PROJECT.alertarchive.events_raw"}),
        ("alerts", {"notifications_view": "PROJECT.alertarchive.notifications"}),
    ):
        template = (VIEWS / f"{view}.sql").read_text()
        sql = re.sub(r"\$\{(\w+)\}", lambda m, filled=variables: filled[m[1]], template)
        con.execute(f"CREATE VIEW {view} AS {to_duckdb(sql)}")
    return con


def _rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    result = db.execute(to_duckdb(sql))
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _at(hour_minute: str) -> datetime.datetime:
    return datetime.datetime.combine(
        NOW.date(), datetime.time.fromisoformat(hour_minute), datetime.UTC
    )


def _cli(archive: pathlib.Path, sql: str) -> tuple[str, Any]:
    """The command the query's first line names, run on the archive: (subcommand, --json)."""
    first = sql.splitlines()[0]
    assert first.startswith("-- alertarchive "), first
    args = shlex.split(first.removeprefix("-- alertarchive ").split("  (")[0])
    result = run(str(archive), *args, "--json")
    assert result.exit_code == 0, result.output
    if args[0] in ("list", "events"):
        return args[0], ndjson(result)
    return args[0], json.loads(result.stdout)


def _name(uri: str) -> str:
    assert uri.startswith(BUCKET), uri
    return uri.removeprefix(BUCKET)


def _as_listed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _name(row["object_uri"]),
        "source": row["source"],
        "status": row["status"],
        "receiver": row["receiver"],
        "alertnames": list(row["alertnames"]),
        "alert_count": row["alert_count"],
    }


def _time(value: str | datetime.datetime | None) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _per_alert(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("fingerprint", "alertname", "notifications", "episodes", "resolutions", "still_firing")
    return {key: record[key] for key in keys}


def check(
    db: duckdb.DuckDBPyConnection, archive: pathlib.Path, sql: str, command: str, printed: Any
) -> None:
    """The query's rows say what the CLI printed."""
    rows = _rows(db, sql)
    columns = list(rows[0]) if rows else []
    if command == "list":
        assert rows, "the example matches nothing: it proves nothing"
        by_name = sorted(printed, key=lambda record: record["name"])
        assert sorted(map(_as_listed, rows), key=lambda r: r["name"]) == [
            {key: record[key] for key in _as_listed(rows[0])} for record in by_name
        ]
        for row in rows:  # dt/hour are the partition the object is in
            assert f"/dt={row['dt']}/hour={row['hour']:02d}/" in row["object_uri"]
    elif command == "stats" and columns == ["figure", "key", "value"]:
        figures: dict[str, Any] = {}
        for row in rows:
            if row["key"] == "" and row["figure"] == "notifications":
                figures["notifications"] = row["value"]
            else:
                figures.setdefault(row["figure"], {})[row["key"]] = row["value"]
        assert figures == {figure: printed[figure] for figure in figures}
        assert len(figures) >= 2
    elif command == "stats":
        assert "LIMIT 10" in sql
        # The text: replace the `ORDER BY … LIMIT 10` with this for `flapping`.
        flapping = re.sub(
            r"ORDER BY n\.notifications DESC,[^\n]*\nLIMIT 10",
            "WHERE episodes >= 3 ORDER BY episodes DESC, fingerprint",
            sql,
        )
        assert flapping != sql, "the flapping variant the text describes no longer applies"
        for query, figure in ((sql, "noisiest"), (flapping, "flapping")):
            got = _rows(db, query)
            assert got, figure
            # Ties are broken by fingerprint here, by first sighting in the CLI.
            assert sorted(map(_per_alert, got), key=str) == sorted(
                map(_per_alert, printed[figure]), key=str
            )
            counts = [row["notifications" if figure == "noisiest" else "episodes"] for row in got]
            assert counts == sorted(counts, reverse=True)
    elif command == "history":
        assert [
            {
                "starts_at": row["starts_at"],
                "ends_at": row["ends_at"],
                "seconds": row["seconds"],
                "notifications": row["notifications"],
                "receivers": list(row["receivers"]),
            }
            for row in rows
        ] == [
            {key: _time(episode[key]) if key.endswith("_at") else episode[key] for key in keys}
            for episode in printed["episodes"]
            for keys in [("starts_at", "ends_at", "seconds", "notifications", "receivers")]
        ]
        assert len(rows) >= 2
    elif command == "events":
        assert rows, "the example matches nothing: it proves nothing"
        assert [(_name(r["object_uri"]), r["kind"], r["recorded_at"]) for r in rows] == [
            (e["name"], e["kind"], _time(e["recorded_at"][:26] + "Z"))
            for e in sorted(printed, key=lambda e: (e["recorded_at"], e["name"]))
        ]
        kinds = {row["kind"] for row in rows}
        assert kinds == {"silenceMutedAlert", "inhibitionMutedAlert"}, kinds
        for row in rows:
            _says_why(archive, row, sql)
    else:
        raise AssertionError(f"no check for `alertarchive {command}` with columns {columns}")


def _says_why(archive: pathlib.Path, row: dict[str, Any], sql: str) -> None:
    """`why` for the muted alert names the silence (id, author, comment) or the inhibit rule."""
    labels = {pair["key"]: pair["value"] for pair in json.loads(row["muted_labels"])}
    window = shlex.split(sql.splitlines()[0])[3:7]  # after `-- alertarchive events`
    options = [f"--label={key}={value}" for key, value in labels.items() if key != "alertname"]
    result = run(str(archive), "why", labels["alertname"], *window, *options)
    assert result.exit_code == 0, result.output
    verdict = result.stdout.splitlines()[0]
    if row["kind"] == "silenceMutedAlert":
        for part in (row["silence_id"][:8], row["silenced_by"], row["silence_comment"]):
            assert part and part in verdict, (part, verdict)
    else:
        rules = json.loads(row["inhibit_rules"])
        sources = [m["rendered"] for rule in rules for m in rule["sourceMatchers"]]
        assert sources and all(f"{{{source}}}" in verdict for source in sources), verdict
        assert "inhibited by" in verdict, verdict


@pytest.mark.parametrize("index", range(len(doc_queries())))
def test_the_documented_query_answers_what_the_cli_prints(index, db, archive):
    sql = doc_queries()[index]
    command, printed = _cli(archive, sql)
    check(db, archive, sql, command, printed)


def test_the_document_has_a_query_for_each_question():
    commands = [shlex.split(sql.splitlines()[0])[2] for sql in doc_queries()]
    assert {"list", "stats", "history", "events"} <= set(commands)
