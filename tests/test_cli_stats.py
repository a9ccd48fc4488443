"""`alertarchive stats`, `report` and `export`: what fired, on archives the receiver wrote."""

import csv
import html.parser
import io
import json

import pytest

from alertarchive.browse.episodes import histories
from tests.support.archives import HOSTILE_NAME, UNICODE_NAME, build_scenario
from tests.support.cli import run


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


# --- stats -----------------------------------------------------------------------------------


def test_stats_counts_by_status_receiver_alertname_and_severity(scenario):
    figures = json.loads(run(scenario.url, "stats", "--json").stdout)

    assert figures["notifications"] == 14
    assert figures["quarantined"] == 2
    assert figures["by_status"] == {"firing": 10, "resolved": 4}
    assert figures["by_receiver"] == {
        "team-a": 10,
        "team\\.db": 2,
        "bearer\\.receiver": 1,
        "team-b": 1,
    }
    assert figures["by_alertname"]["Flappy"] == 6
    assert figures["episodes_by_alertname"]["Flappy"] == 3
    assert figures["episodes_by_alertname"]["PayloadMulti"] == 3
    assert figures["episodes_by_severity"] == {"warning": 6, "info": 3, "critical": 2}


def test_stats_names_the_noisiest_and_the_flapping_alerts(scenario):
    figures = json.loads(run(scenario.url, "stats", "--json").stdout)

    assert figures["noisiest"][0]["alertname"] == "Flappy"
    assert figures["noisiest"][0]["notifications"] == 6
    assert [(f["alertname"], f["episodes"], f["resolutions"]) for f in figures["flapping"]] == [
        ("Flappy", 3, 3)
    ]
    assert (
        run(scenario.url, "stats", "--flap-episodes", "4", "--json").stdout.count('"flapping":[]')
        == 1
    )


def test_stats_human_output_has_a_section_per_count(scenario):
    result = run(scenario.url, "stats", "--since", "24h")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1] == "13 notifications, 8 alerts, 10 episodes, 2 quarantined"
    for title in (
        "BY STATUS",
        "BY RECEIVER",
        "BY SEVERITY",
        "BY ALERTNAME",
        "NOISIEST ALERTS",
        "FLAPPING (fired 3+ times)",
    ):
        assert title in lines
    flapping = lines[lines.index("FLAPPING (fired 3+ times)") + 2].split()
    assert flapping == ["Flappy", "instance=web-1,severity=info", "3", "resolved"]


def test_stats_honours_filters(scenario):
    figures = json.loads(run(scenario.url, "stats", "--receiver", "team.db", "--json").stdout)
    assert figures["notifications"] == 2
    assert figures["by_alertname"] == {"DiskFull": 2}


@pytest.mark.parametrize(
    ("filters", "quarantined"),
    [
        ([], 2),
        (["--source", "default"], 2),
        (["--source", "eu"], 0),
        (["--receiver", "nobody"], 0),
        (["--status", "firing"], 0),
        (["--label", "severity=critical"], 0),
        (["--since", "12m"], 1),
    ],
)
def test_stats_counts_the_quarantined_bodies_list_quarantined_finds_with_the_same_filters(
    scenario, filters, quarantined
):
    window = [] if "--since" in filters else ["--since", "24h"]
    listed = run(scenario.url, "list", "--quarantined", *window, *filters, "--json")

    figures = json.loads(run(scenario.url, "stats", *window, *filters, "--json").stdout)

    assert figures["quarantined"] == quarantined
    assert len(listed.stdout.splitlines()) == quarantined


def test_stats_of_a_receiver_with_nothing_counts_nothing_quarantined(scenario):
    result = run(scenario.url, "stats", "--receiver", "nobody")

    assert result.stdout.splitlines()[1] == "0 notifications, 0 alerts, 0 episodes, 0 quarantined"


def test_the_report_header_counts_the_quarantined_bodies_of_its_filters(scenario, tmp_path):
    everything, eu_only = tmp_path / "all.html", tmp_path / "eu.html"

    run(scenario.url, "report", "-o", str(everything))
    run(scenario.url, "report", "--source", "eu", "-o", str(eu_only))

    assert "<strong>2</strong> quarantined" in everything.read_text(encoding="utf-8")
    assert "<strong>0</strong> quarantined" in eu_only.read_text(encoding="utf-8")


def test_episodes_follow_fingerprint_and_startsat_across_notifications(scenario):
    from alertarchive.archive.notification import parse_json_object

    keys = ["latency_firing", "latency_repeat", "latency_resolved", "disk_firing", "disk_repeat"]
    pairs = [(scenario.now, parse_json_object(scenario.bodies[key])) for key in keys]
    found = {history.alertname: history for history in histories(pairs)}

    assert len(found["HighLatency"].episodes) == 1
    assert not found["HighLatency"].episodes[0].open
    assert found["DiskFull"].episodes[0].open
    assert found["DiskFull"].notifications == 2


# --- report ----------------------------------------------------------------------------------


class Page(html.parser.HTMLParser):
    """The parts of the report a test looks at."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.attributes, self.rows, self.bars = [], [], [], []
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        self.attributes.append((tag, attributes))
        if "episode-row" in attributes.get("class", ""):
            self.rows.append(attributes)
        if tag == "rect" and "bar" in attributes.get("class", "").split():
            self.bars.append(attributes)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(scenario, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    result = run(
        scenario.url, "report", "--since", "7d", "-o", str(path), "--title", "Incident <review>"
    )
    assert result.exit_code == 0
    assert result.stdout == f"wrote {path}: 14 notifications, 9 alerts, 11 episodes\n"
    return path.read_text(encoding="utf-8")


def test_report_has_one_timeline_row_per_alert_fingerprint(report):
    page = Page(report)

    names = sorted(row["data-alertname"] for row in page.rows)
    assert names == sorted(
        [
            "OldAlert",
            "Flappy",
            "HighLatency",
            "DiskFull",
            "PayloadMulti",
            "PayloadMulti",
            "PayloadMulti",
            HOSTILE_NAME,
            UNICODE_NAME,
        ]
    )
    assert len({row["data-fingerprint"] for row in page.rows}) == len(page.rows)
    flappy = next(row for row in page.rows if row["data-alertname"] == "Flappy")
    assert flappy["data-episodes"] == "3"


def test_report_bars_run_from_startsat_to_endsat_and_open_ones_reach_the_right_edge(report):
    page = Page(report)

    open_bars = [bar for bar in page.bars if "open" in bar["class"].split()]
    closed = [bar for bar in page.bars if "resolved" in bar["class"].split()]
    assert len(open_bars) == 11 - 4  # all but HighLatency's and Flappy's three
    assert len(closed) == 4
    right_edges = {round(float(bar["x"]) + float(bar["width"])) for bar in open_bars}
    assert len(right_edges) == 1
    right_edge = right_edges.pop()
    assert all(float(bar["x"]) + float(bar["width"]) < right_edge - 1 for bar in closed)
    assert all(bar["data-ends-at"] == "" for bar in open_bars)
    assert all(bar["data-ends-at"] for bar in closed)


def test_report_is_self_contained(report, scenario):
    page = Page(report)

    assert "script" not in page.tags
    assert "link" not in page.tags and "img" not in page.tags and "iframe" not in page.tags
    assert all("src" not in attributes for _, attributes in page.attributes)
    # Links: to an alert's card on the page, or an http(s) URL an alert gave, opened apart.
    links = [(tag, a) for tag, a in page.attributes if "href" in a]
    assert {tag for tag, _ in links} == {"a"}
    external = [a for _, a in links if not a["href"].startswith("#alert-")]
    captured = json.loads(scenario.bodies["captured"])["alerts"]
    given = [a["generatorURL"] for a in captured if a["generatorURL"]]
    assert sorted(a["href"] for a in external) == sorted(given)
    assert all(a["rel"] == "noopener noreferrer nofollow" for a in external)
    assert report.count("http://") == len(given) and "https://" not in report
    assert "@import" not in report
    assert "url(" not in report


def test_report_escapes_every_label(report):
    assert HOSTILE_NAME not in report
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in report
    assert "<title>Incident &lt;review&gt;</title>" in report
    assert "\x1b" not in report


class AlertnameCounts(html.parser.HTMLParser):
    """The per-alert-name table: each row's cells, by the row's data-alertname."""

    def __init__(self, text):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("class") == "alertname-row":
            self._row = self.rows.setdefault(attributes["data-alertname"], [])
        elif tag == "td" and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


# The scenario's notifications and episodes per alert name (PayloadMulti: three alerts in
# one notification; Flappy: fired and resolved three times).
COUNTS_PER_ALERTNAME = {
    "Flappy": ["6", "3"],
    "HighLatency": ["3", "1"],
    "DiskFull": ["2", "1"],
    "PayloadMulti": ["1", "3"],
    "OldAlert": ["1", "1"],
    HOSTILE_NAME: ["1", "1"],
    UNICODE_NAME: ["1", "1"],
}


def test_report_counts_per_alertname_and_lists_the_notifications(report):
    page = Page(report)
    # Notifications and episodes per name, most notifications first.
    counted = {name: cells[1:3] for name, cells in AlertnameCounts(report).rows.items()}
    assert counted == COUNTS_PER_ALERTNAME
    assert list(counted)[:3] == ["Flappy", "HighLatency", "DiskFull"]
    assert sum(1 for tag, a in page.attributes if a.get("class") == "notification") == 14


def test_counts_of_one_are_singular_in_stats_and_the_report(scenario, tmp_path):
    path = tmp_path / "old.html"

    shown = run(scenario.url, "stats", "--alertname", "OldAlert")
    written = run(scenario.url, "report", "--alertname", "OldAlert", "-o", str(path))

    assert shown.stdout.splitlines()[1] == "1 notification, 1 alert, 1 episode, 0 quarantined"
    assert written.stdout == f"wrote {path}: 1 notification, 1 alert, 1 episode\n"
    page = path.read_text(encoding="utf-8")
    assert (
        "<strong>1</strong> notification · <strong>1</strong> alert · <strong>1</strong> episode · "
    ) in page
    tooltips = [text for text in Page(page).text if text.startswith("OldAlert: ")]
    assert len(tooltips) == 1
    assert tooltips[0].endswith(", 1 notification)")


# --- export ----------------------------------------------------------------------------------


def test_export_ndjson_is_one_notification_per_line_oldest_first(scenario):
    records = [json.loads(line) for line in run(scenario.url, "export").stdout.splitlines()]
    assert len(records) == 13
    assert records[0]["received_at"] < records[-1]["received_at"]
    assert records[-1]["alertnames"] == [HOSTILE_NAME, UNICODE_NAME]


def test_export_csv_opens_in_a_spreadsheet_without_running_formulas(tmp_path):
    from tests.support.archives import ArchiveWriter, alert, notification

    writer = ArchiveWriter(str(tmp_path))
    labels = {"alertname": '=HYPERLINK("http://evil")', "severity": "critical"}
    writer.post(notification([alert(labels, writer.now)]), writer.now)

    result = run(str(tmp_path), "export", "--format", "csv", "--alerts")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["alertname"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["severity"] == "critical"
    assert json.loads(rows[0]["labels"])["severity"] == "critical"


def test_export_alerts_gives_a_row_per_alert(scenario):
    result = run(scenario.url, "export", "--alerts", "--source", "eu")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["labels"]["instance"] for row in rows] == ["a", "b", "c"]
    assert {row["fingerprint"] for row in rows} == {
        "4eaea61d9291a3b1",
        "4e5f488d609fffb0",
        "362c119b3e5ad5bb",
    }
    assert all(row["ends_at"] == "" for row in rows)


def test_export_writes_a_file_with_o(scenario, tmp_path):
    target = tmp_path / "out.csv"
    result = run(scenario.url, "export", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0
    lines = target.read_text().splitlines()
    assert lines[0].startswith("received_at,status,alertnames")
    assert len(lines) == 1 + 13
    assert result.stderr == f"wrote 13 rows to {target}\n"


def test_export_of_one_row_says_row(scenario, tmp_path):
    target = tmp_path / "eu.ndjson"

    result = run(scenario.url, "export", "--source", "eu", "-o", str(target))

    assert result.stderr == f"wrote 1 row to {target}\n"
