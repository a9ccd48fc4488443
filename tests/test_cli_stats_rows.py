"""`stats` rows that differ only in a label: the label that differs is shown whole, first;
the labels every alert of the name carries go into one line above the table."""

import datetime

import pytest

from alertarchive.browse.episodes import RowLabels
from tests.support.archives import ArchiveWriter, alert, notification
from tests.support.cli import run
from tests.support.incident import POD_A, POD_B, Incident

WINDOW = ["--since", "2026-11-27T00:00Z", "--until", "2026-11-27T12:00Z"]


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    return Incident(tmp_path_factory.mktemp("incident"))


def _section(out: str, title: str) -> list[str]:
    return out.split(f"\n{title}\n")[1].split("\n\n")[0].splitlines()


def test_two_alerts_of_one_name_show_the_label_that_tells_them_apart(incident):
    out = run(incident.url, "stats", *WINDOW).stdout
    noisiest = _section(out, "NOISIEST ALERTS")

    crash = [line.split() for line in noisiest if line.startswith("  KubePodCrashLooping ")]
    assert [row[1] for row in crash] == [f"pod={POD_A}", f"pod={POD_B}"]
    assert noisiest[0] == (
        "  KubePodCrashLooping: every alert of this name carries cluster=prod-eu-west-1,"
        "container=api,job_name=kube-state-metrics,namespace=payments-production,severity=warning"
    )


def test_an_alert_alone_of_its_name_keeps_all_its_labels_in_the_row(incident):
    noisiest = _section(run(incident.url, "stats", *WINDOW).stdout, "NOISIEST ALERTS")

    assert any(
        line.split()[:2] == ["HighLatency", "service=checkout,severity=critical"]
        for line in (row.strip() for row in noisiest)
    )
    assert not any(line.startswith("  HighLatency:") for line in noisiest)


def test_a_long_label_that_differs_is_never_cut(tmp_path):
    now = datetime.datetime(2026, 11, 27, 11, tzinfo=datetime.UTC)
    writer = ArchiveWriter(str(tmp_path))
    shared = {"alertname": "Long", "namespace": "n" * 50}
    long_a, long_b = "a" * 70 + "-1", "a" * 70 + "-2"
    writer.post(
        notification(
            [alert({**shared, "pod": long_a}, now), alert({**shared, "pod": long_b}, now)]
        ),
        now,
    )

    out = run(str(tmp_path), "stats", *WINDOW).stdout

    assert f"pod={long_a}" in out and f"pod={long_b}" in out


def test_row_labels_cut_only_what_every_row_shares():
    row = RowLabels(["pod=api-1"], ["namespace=payments-production", "container=api"])

    assert row.text(30) == "pod=api-1 | namespace=payment…"
    assert row.text(8) == "pod=api-1 | …"  # the difference stays whole even past the limit
    assert RowLabels([], ["a=1", "b=2"]).text(5) == "a=1,…"
