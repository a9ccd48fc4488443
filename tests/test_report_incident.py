"""The report of a realistic night (tests/support/incident): which alert, what it said, how long,
what changed, without opening a JSON body; and nothing on the page loads or runs anything."""

import html.parser
import re

import pytest

from tests.support.cli import run
from tests.support.incident import GENERATOR_URL, LATENCY_NOTES, POD_A, POD_B, Incident

WINDOW = ["--since", "2026-11-27T00:00Z", "--until", "2026-11-27T12:00Z"]


class Tree(html.parser.HTMLParser):
    """Elements as (tag, attributes, text inside, including nested elements' text)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self._open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = (tag, {k: v or "" for k, v in attrs}, [])
        self.elements.append(element)
        if tag not in ("meta",):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element[2].append(data)

    def find(self, tag, css_class="", **attributes):
        return [
            (attrs, "".join(text))
            for name, attrs, text in self.elements
            if name == tag
            and (not css_class or css_class in attrs.get("class", "").split())
            and all(attrs.get(key.replace("_", "-")) == value for key, value in attributes.items())
        ]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("incident")
    incident = Incident(root / "archive")
    path = root / "report.html"
    result = run(incident.url, "report", *WINDOW, "-o", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    return text, Tree(text)


def _card(tree, labels):
    fingerprint = Incident.fingerprint(labels)
    ((_attrs, text),) = tree.find("div", "card", data_fingerprint=fingerprint)
    return text


def test_alerts_of_one_name_show_what_tells_them_apart_first_on_the_timeline(page):
    _, tree = page
    rows = [
        text for attrs, text in tree.find("g", "episode-row", data_alertname="KubePodCrashLooping")
    ]

    assert len(rows) == 2
    labels = [text for _, text in tree.find("tspan", "row-labels") if "pod=api-7d9f" in text]
    assert [label.split(" | ")[0] for label in labels] == [f"pod={POD_A}", f"pod={POD_B}"]


def test_the_alerts_section_names_what_a_group_shares_once_and_each_alert_by_its_difference(page):
    _, tree = page
    (shared,) = [text for _, text in tree.find("p", "shared") if "KubePodCrashLooping" in text]
    distinct = [
        text for _, text in tree.find("span", "distinct") if "pod=" in text and "api" in text
    ]

    assert "namespace=payments-production" in shared and "pod=" not in shared
    assert distinct == [f"pod={POD_A}", f"pod={POD_B}"]


def test_an_alert_card_says_what_it_said_with_safe_links(page):
    _text, tree = page
    card = _card(tree, {"alertname": "HighLatency", "service": "checkout", "severity": "critical"})

    assert "p99 latency 2.5s on checkout" in card  # the last summary; the change is below
    assert LATENCY_NOTES["description"] in card
    assert "@summary: p99 latency 1.2s on checkout → p99 latency 2.5s on checkout" in card
    links = {attrs["href"]: attrs for attrs, _ in tree.find("a", "external")}
    assert LATENCY_NOTES["runbook_url"] in links and GENERATOR_URL in links
    assert all(attrs["rel"] == "noopener noreferrer nofollow" for attrs in links.values())


def test_every_episode_shows_its_time_to_resolve_without_hovering(page):
    _, tree = page
    latency = _card(
        tree, {"alertname": "HighLatency", "service": "checkout", "severity": "critical"}
    )
    lasted = [text for _, text in tree.find("td", "lasted")]
    beside_bars = [text for _, text in tree.find("text", "lasted")]

    assert "1h 16m" in latency
    assert len(lasted) == 9  # one per episode in the window
    assert "1h 16m" in beside_bars and beside_bars.count("20m") == 3  # the flapping disk


def test_never_resolved_episodes_say_which_cause_is_likely(page):
    _, tree = page
    backup = _card(
        tree, {"alertname": "BackupMissed", "job": "nightly-backup", "severity": "warning"}
    )
    cpu = _card(
        tree,
        {
            "alertname": "CPUThrottlingHigh",
            "namespace": "web",
            "pod": "web-7d9f",
            "severity": "info",
        },
    )

    assert "never resolved" in backup and "send_resolved is likely off for pager" in backup
    assert "never resolved" in cpu and "muted: silence fe0a605f" in cpu


def test_a_bar_that_started_before_the_window_is_marked(page):
    _, tree = page
    (row,) = tree.find("g", "episode-row", data_alertname="CertExpiring")
    marks = [
        attrs
        for name, attrs, _ in tree.elements
        if name == "path" and attrs.get("class") == "before-mark"
    ]

    assert len(marks) == 1
    assert "2026-11-26 22:00:00, before the window" in row[1]


def test_object_names_are_out_of_the_notifications_table(page):
    _, tree = page
    headers = [text for _, text in tree.find("th")]
    table_rows = tree.find("tr", "notification")

    assert "Object" in headers  # in the archived objects section only
    assert all("alerts/dt=" not in text for _, text in table_rows)
    assert len(table_rows) == 20
    assert len([t for _, t in tree.find("td", "name") if t.startswith("alerts/dt=")]) == 20


def test_the_page_loads_and_runs_nothing(page):
    _text, tree = page
    tags = {name for name, _, _ in tree.elements}

    assert not tags & {
        "script",
        "link",
        "img",
        "iframe",
        "object",
        "embed",
        "image",
        "use",
        "base",
        "form",
    }
    assert not [
        a
        for _, a, _ in tree.elements
        for name in a
        if name.startswith("on") or name in ("src", "srcset", "xlink:href", "action")
    ]
    hrefs = [attrs["href"] for name, attrs, _ in tree.elements if "href" in attrs]
    assert all(
        re.fullmatch(r"#alert-[0-9a-z]+", href) or href.startswith(("http://", "https://"))
        for href in hrefs
    )
    style = "".join(t for name, _, t in tree.elements if name == "style" for t in t)
    assert "url(" not in style and "@import" not in style
    assert "@media print" in style


def test_names_times_and_ids_are_kept_on_one_line(page):
    text, tree = page
    cells = [attrs for attrs, _ in tree.find("td", "nowrap")]

    assert re.search(r"td\.nowrap, th, \.time \{ white-space: nowrap; \}", text)
    assert len(cells) > 20
