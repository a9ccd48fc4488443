"""The HTML report's markup: archived text is escaped in every place the page shows it."""

import datetime
import html.parser

from alertarchive.browse import history, report
from alertarchive.browse.catalog import Entry
from alertarchive.browse.stats import compute
from alertarchive.browse.timewindow import Window

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 27, 4, 30, tzinfo=UTC)
# Short enough that no column cuts it; each character is one that markup would act on.
HOSTILE = "\"'><b onclick=x>&amp;</b>"
HOSTILE_ANNOTATION = "<i onmouseover=y>note</i>"
# An http(s) URL may be a link, escaped; any other scheme stays text.
HOSTILE_RUNBOOK = 'https://runbooks.example/a"><script>x</script>'
SCRIPT_URL = "javascript:alert(1)"
# Every tag and attribute name the template itself writes.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "strong",
    "section", "span", "div", "svg", "g", "line", "text", "tspan", "rect", "path", "table",
    "thead", "tbody", "tr", "th", "td", "a", "code", "h3", "h4", "ul", "li", "del", "ins",
}  # fmt: skip


class Page(html.parser.HTMLParser):
    """Every element as (tag, attributes, text directly inside it), charrefs decoded."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[int] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}, []))
        if tag not in ("meta",):
            self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.elements[self._open[-1]][2].append(data)

    def texts(self, tag: str, css_class: str = "") -> list[str]:
        return [
            "".join(text)
            for name, attrs, text in self.elements
            if name == tag and css_class in ["", *attrs.get("class", "").split()]
        ]

    def attributes(self, tag: str, attribute: str) -> list[str]:
        return [
            attrs[attribute]
            for name, attrs, _ in self.elements
            if name == tag and attribute in attrs
        ]


def _document(alertname: str, extra: dict[str, str], fingerprint: str) -> dict:
    return {
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": alertname, **extra},
                "annotations": {"summary": HOSTILE_ANNOTATION, "runbook_url": HOSTILE_RUNBOOK},
                "startsAt": "2026-11-27T03:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": SCRIPT_URL,
                "fingerprint": fingerprint,
            }
        ]
    }


def _entry(name: str, alertname: str) -> Entry:
    return Entry(
        name=name,
        size=100,
        received_at=NOW - datetime.timedelta(minutes=30),
        status=HOSTILE,
        receiver=HOSTILE,
        alertnames_text=alertname,
        alert_count=1,
        source=HOSTILE,
        sha256="0" * 64,
        user_agent=HOSTILE,
        group_key=HOSTILE,
        quarantined=False,
        validation_errors=(),
    )


def test_hostile_archived_text_is_escaped_everywhere_the_report_shows_it():
    window = Window(NOW - datetime.timedelta(hours=2), NOW)
    entries = [_entry(HOSTILE, HOSTILE), _entry("plain", "Plain")]
    documents = {
        HOSTILE: _document(HOSTILE, {}, HOSTILE),
        "plain": _document("Plain", {"k": HOSTILE}, "plain-fingerprint"),
    }
    read = [(entry, documents[entry.name]) for entry in entries]
    stats = compute(window, entries, read, quarantined=0, flap_episodes=1)

    timelines = history.timelines(window, read)
    text = report.render(stats, entries, HOSTILE, UTC, NOW, timelines)
    page = Page(text)

    assert {tag for tag, _, _ in page.elements} <= TEMPLATE_TAGS
    assert not any(name.startswith("on") for _, attrs, _ in page.elements for name in attrs)
    assert HOSTILE_ANNOTATION not in text  # shown, as text: `<i` is no tag
    assert page.texts("p", "summary-text") == [HOSTILE_ANNOTATION, HOSTILE_ANNOTATION]
    assert page.texts("title")[0] == HOSTILE
    assert page.texts("h1") == [HOSTILE]
    # The timeline: the hostile alert's row, and the plain alert's labels.
    assert HOSTILE in page.attributes("g", "data-alertname")
    assert HOSTILE in page.attributes("g", "data-fingerprint")
    assert f"alertname={HOSTILE}" in page.texts("title")
    assert f"alertname=Plain, k={HOSTILE}" in page.texts("title")
    assert HOSTILE in page.texts("tspan", "row-name")
    assert f"k={HOSTILE}" in page.texts("tspan", "row-labels")
    assert any(title.startswith(f"{HOSTILE}: ") for title in page.texts("title"))
    # Per alert name, flapping, notifications.
    assert HOSTILE in page.attributes("tr", "data-alertname")
    cells = page.texts("td")
    # Per alert name 1, flapping 1; per notification: alert names 1 (one entry), status,
    # receiver and source 2 (both entries); archived objects: source 2, object name 1; each
    # alert's notifications: receiver and source 2 (two alerts).
    assert cells.count(HOSTILE) == 1 + 1 + (1 + 2 * 3) + (2 + 1) + 2 * 2
    assert f"k={HOSTILE}" in cells
    assert f"status-{HOSTILE}" in page.attributes("td", "class")
    assert HOSTILE in page.texts("td", "name")
    # Links: the http(s) runbook, escaped (its quote and tags are the URL's text); never the
    # javascript: generatorURL, which is not on the page as a link or at all.
    external = [href for href in page.attributes("a", "href") if not href.startswith("#")]
    assert external == [HOSTILE_RUNBOOK, HOSTILE_RUNBOOK]
    assert set(page.attributes("a", "rel")) == {"noopener noreferrer nofollow"}
    assert SCRIPT_URL not in text
    assert "script" not in {tag for tag, _, _ in page.elements}
