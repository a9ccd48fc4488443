"""What the READMEs say is what the code does: auth schemes, the DuckDB query, console samples."""

import base64
import datetime
import pathlib
import re

import duckdb  # a dev dependency
import pytest

from alertarchive.receiver.auth import TokenSet
from tests.support import readme_console
from tests.support.archives import ArchiveWriter, alert, notification

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
TERRAFORM_README = REPO / "terraform" / "README.md"


def _sentence_about_what_requests_must_carry(text: str) -> str:
    flat = " ".join(text.split())
    match = re.search(r"every request must carry[^;]*;", flat)
    assert match, "the terraform README no longer says what a request must carry"
    return match.group(0)


@pytest.mark.parametrize(
    "scheme,header",
    [
        ("Bearer", "Bearer s3cret"),
        ("Basic", "Basic " + base64.b64encode(b"alertmanager:s3cret").decode()),
    ],
)
def test_terraform_readme_names_every_scheme_the_receiver_accepts(scheme, header):
    assert TokenSet(("s3cret",)).accepts(header)  # what the code does
    assert scheme in _sentence_about_what_requests_must_carry(TERRAFORM_README.read_text())


# --- the DuckDB query -------------------------------------------------------------------------


def _readme_duckdb_sql() -> str:
    """The SQL of the README's DuckDB sample (the `duckdb.sql(\\"...\\")` in its command)."""
    [command] = [
        command
        for block in readme_console.blocks(README.read_text(encoding="utf-8"))
        for command, _ in block.commands()
        if "duckdb.sql" in command
    ]
    match = re.search(r'duckdb\.sql\(\\"(.*)\\"\)\)"$', command)
    assert match, command
    return match.group(1)


@pytest.fixture
def hours_04_and_19(tmp_path, monkeypatch):
    """An archive the receiver wrote with notifications in hours 04 and 19 of 2026-11-27."""
    writer = ArchiveWriter(str(tmp_path / "archive"))
    for hour in (4, 19):
        at = datetime.datetime(2026, 11, 27, hour, 5, tzinfo=datetime.UTC)
        answer = writer.post(notification([alert({"alertname": f"At{hour:02d}"}, at)]), at)
        assert f"/hour={hour:02d}/" in answer["object"]
    monkeypatch.chdir(tmp_path)  # the README's query reads archive/ under the working directory
    return tmp_path


def test_the_readme_query_types_partitions_as_the_bigquery_table_does(hours_04_and_19):
    result = duckdb.sql(_readme_duckdb_sql())
    columns = dict(zip(result.columns, (str(kind) for kind in result.types), strict=True))

    assert (columns["dt"], columns["hour"], columns["source"]) == ("DATE", "INTEGER", "VARCHAR")
    rows = result.fetchall()
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (datetime.date(2026, 11, 27), 4, "default"),
        (datetime.date(2026, 11, 27), 19, "default"),
    ]


@pytest.mark.parametrize(("hours", "guessed"), [((4,), "VARCHAR"), ((19,), "BIGINT")])
def test_untyped_duckdb_guesses_hour_from_the_data_as_the_readme_warns(tmp_path, hours, guessed):
    writer = ArchiveWriter(str(tmp_path))
    for hour in hours:
        at = datetime.datetime(2026, 11, 27, hour, 5, tzinfo=datetime.UTC)
        writer.post(notification([alert({"alertname": "A"}, at)]), at)

    result = duckdb.sql(
        f"SELECT hour FROM read_json('{tmp_path}/alerts/*/*/*/*.json', hive_partitioning = true)"
    )

    assert [str(kind) for kind in result.types] == [guessed]


# --- console samples --------------------------------------------------------------------------


def test_the_readme_checks_its_cli_and_duckdb_samples():
    commands = [
        command
        for block in readme_console.blocks(README.read_text(encoding="utf-8"))
        for command, _ in block.commands()
    ]

    for expected in ("duckdb.sql", "alertarchive --utc list", "alertarchive replay", "export"):
        assert any(expected in command for command in commands), expected


def test_the_readme_console_samples_are_what_the_commands_print(tmp_path):
    text = README.read_text(encoding="utf-8")
    root = readme_console.workspace(tmp_path)

    expected = readme_console.regenerated(text, root)

    assert expected == text, (
        "README console samples differ from a real run; "
        "run `.venv/bin/python -m tests.support.readme_console` and review the diff"
    )


def test_an_ellipsis_keeps_the_parts_shown_and_a_changed_line_is_caught():
    output = ["a", "b", "c", "HEAD", "x", "y"]

    assert readme_console.shown(["a", "…", "HEAD", "x"], output) == ["a", "…", "HEAD", "x"]
    assert readme_console.shown(["a", "…", "HEAD", "z"], output) == ["a", "…", "HEAD", "x"]
    assert readme_console.shown(["b", "…"], output) == ["a", "…"]
    with pytest.raises(ValueError, match="no longer in the output"):
        readme_console.shown(["a", "…", "GONE"], output)


def test_no_readme_sample_shortens_an_object_name():
    """Object names are printed whole (commands, logs); a sample must not cut one with `…`."""
    text = README.read_text(encoding="utf-8")
    cut = re.findall(r"\S*(?:alerts|quarantine|events)/\S*…\S*", text)

    assert cut == []
