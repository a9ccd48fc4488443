"""The CLI reads a year of notifications a body at a time: what that must not change.

Bodies are parsed as they are read and dropped (Catalog.read_ahead); stats, history, the
report and export aggregate as they go; the report keeps whole notifications only for the
alerts and sightings its page shows. Each of these is checked against the plain answer.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import shutil

import pytest

from alertarchive.archive.storage.local import LocalArchive
from alertarchive.browse import history, report
from alertarchive.browse.catalog import Catalog, Filters
from alertarchive.browse.stats import compute
from alertarchive.browse.timewindow import Window
from tests.support.archives import ArchiveWriter, alert, notification

START = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def _write(root: pathlib.Path, count: int, alerts_per_group: int = 3) -> Window:
    writer = ArchiveWriter(str(root))
    for index in range(count):
        received_at = START + datetime.timedelta(minutes=7 * index)
        group = []
        for offset in range(alerts_per_group):
            number = (index + offset) % 11
            starts_at = START + datetime.timedelta(hours=(index // 9) * 3 + number % 2)
            resolved = index % 9 == 8
            group.append(
                alert(
                    {"alertname": f"A{number % 4}", "instance": f"host-{number}"},
                    starts_at,
                    ends_at=received_at if resolved else None,
                    annotations={"summary": f"seen {index}"},
                )
            )
        answer = writer.post(notification(group, receiver=f"team-{index % 3}"), received_at)
        assert answer["status_code"] == 201, answer
    return Window(START, START + datetime.timedelta(minutes=7 * count + 1))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalArchive, Window]:
    root = tmp_path_factory.mktemp("streaming")
    return LocalArchive(root), _write(root, 120)


@pytest.mark.parametrize("workers", [1, 4])
def test_read_ahead_yields_each_entry_with_its_parsed_body_in_the_order_given(archive, workers):
    local, span = archive
    catalog = Catalog(local, workers=workers)
    entries = catalog.entries(span)[::-1]

    read = list(catalog.read_ahead(entries))

    assert [entry.name for entry, _ in read] == [entry.name for entry in entries]
    for entry, document in read:
        assert document == json.loads(local.read(entry.name))
    assert catalog._bodies == {}  # nothing kept: a year of bodies never sits in memory


@pytest.mark.parametrize("workers", [1, 4])
def test_read_ahead_leaves_out_an_unreadable_body_and_says_so(archive, tmp_path, workers):
    local, span = archive
    root = tmp_path / "copy"
    shutil.copytree(local.root, root)  # with each body's metadata (sidecar or xattr)
    catalog = Catalog(LocalArchive(root), workers=workers)
    entries = catalog.entries(span)[::-1]
    gone = entries[5]
    (root / gone.name).unlink()

    read = [entry.name for entry, _ in catalog.read_ahead(entries)]

    assert gone.name not in read
    assert len(read) == len(entries) - 1
    assert [notice.name for notice in catalog.notices] == [gone.name]


def test_read_ahead_stopped_early_reads_little_beyond_what_was_consumed(archive):
    local, span = archive
    reads: list[str] = []

    class Counting(LocalArchive):
        def read(self, name: str) -> bytes:
            reads.append(name)
            return super().read(name)

    catalog = Catalog(Counting(local.root), workers=4)
    entries = catalog.entries(span)
    taken = []
    for entry, _ in catalog.read_ahead(entries):
        taken.append(entry)
        if len(taken) == 3:
            break

    assert len(reads) < 3 + 4 * 4 + 4  # what was consumed, the queue ahead, those running


def test_a_label_filter_reads_bodies_without_keeping_them(archive):
    local, span = archive
    catalog = Catalog(local, workers=1)

    kept = catalog.entries(span, Filters.build(labels=["instance=host-3"]))

    assert kept and catalog._bodies == {}
    for entry in kept:
        labels = [a["labels"] for a in json.loads(local.read(entry.name))["alerts"]]
        assert {"alertname": "A3", "instance": "host-3"} in labels


def _timelines(archive, **caps) -> list[history.AlertTimeline]:
    local, span = archive
    catalog = Catalog(local, workers=1)
    builder = history.Timelines(**caps)
    for entry, document in catalog.read_ahead(catalog.entries(span)[::-1]):
        builder.add(entry, document)
    return builder.finish(span)


def test_capped_timelines_keep_the_first_alerts_sightings_and_every_episode(archive):
    whole = _timelines(archive)
    capped = _timelines(archive, keep_sightings=4, keep_alerts=5)

    assert [t.fingerprint for t in capped] == [t.fingerprint for t in whole]
    assert len(whole) > 5 and all(len(t.sightings) > 4 for t in whole[:5])
    for full, cut in zip(whole, capped, strict=True):
        # Everything but the sightings is the same: episodes, counts, first and latest.
        same = {"sightings"}
        assert {
            field.name: getattr(cut, field.name)
            for field in dataclasses.fields(cut)
            if field.name not in same
        } == {
            field.name: getattr(full, field.name)
            for field in dataclasses.fields(full)
            if field.name not in same
        }
        assert cut.total_sightings == len(full.sightings)
    for full, cut in zip(whole[:5], capped[:5], strict=True):
        assert cut.sightings == full.sightings[:4]
    assert all(cut.sightings == () for cut in capped[5:])


def test_the_report_page_is_the_same_with_the_caps_it_builds_timelines_with(archive, monkeypatch):
    # Small caps, so that this archive has alerts and sightings beyond them.
    monkeypatch.setattr(report, "MAX_CARDS", 5)
    monkeypatch.setattr(report, "MAX_SIGHTINGS", 4)
    local, span = archive
    catalog = Catalog(local, workers=1)
    entries = catalog.entries(span)
    figures = compute(span, entries, catalog.read_ahead(entries[::-1]))
    whole = _timelines(archive)
    capped = _timelines(archive, keep_sightings=report.MAX_SIGHTINGS, keep_alerts=report.MAX_CARDS)
    now = span.end

    assert report.render(figures, entries, "t", datetime.UTC, now, capped) == report.render(
        figures, entries, "t", datetime.UTC, now, whole
    )
