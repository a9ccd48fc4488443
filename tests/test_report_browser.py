"""The HTML report in a real headless browser (Debian's chromium): it renders, offline, and
shows the episodes it should; hostile labels stay text."""

import html.parser
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from alertarchive.browse import cli as cli_module
from tests.support.archives import HOSTILE_NAME, build_scenario
from tests.support.report_screenshot import BROWSER_FLAGS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (scripts/install-system-packages.sh)")
        pytest.skip("chromium is not installed (scripts/install-system-packages.sh installs it)")
    return CHROMIUM


@pytest.fixture(scope="module")
def report_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    scenario = build_scenario(root / "archive")
    path = root / "report.html"
    result = CliRunner().invoke(
        cli_module.cli,
        [
            "--archive",
            scenario.url,
            "--utc",
            "report",
            "--since",
            "24h",
            "-o",
            str(path),
            "--title",
            "Incident review",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    return path


def chromium(browser, tmp_path, *args):
    return subprocess.run(
        [browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        timeout=90,
        check=True,
    )


class RenderedDom(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.rows, self.bars, self.tags, self.title = [], [], [], ""
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        self._in_title = tag == "title" and not self.rows
        if "episode-row" in attributes.get("class", ""):
            self.rows.append({**attributes, "bars": []})
        if tag == "rect" and "bar" in attributes.get("class", "").split():
            self.rows[-1]["bars"].append(attributes)

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_the_report_renders_in_chromium_with_the_expected_episode_rows(
    browser, report_path, tmp_path
):
    dom = RenderedDom(
        chromium(browser, tmp_path, "--dump-dom", report_path.as_uri()).stdout.decode()
    )

    rows = {row["data-alertname"]: row for row in dom.rows}
    assert len(dom.rows) == 8
    assert [bar["class"] for bar in rows["Flappy"]["bars"]] == ["bar info resolved"] * 3
    assert [bar["class"] for bar in rows["HighLatency"]["bars"]] == ["bar critical resolved"]
    assert [bar["class"] for bar in rows["DiskFull"]["bars"]] == ["bar warning open"]
    assert "OldAlert" not in rows


def test_hostile_labels_do_not_run_in_the_browser(browser, report_path, tmp_path):
    dom = RenderedDom(
        chromium(browser, tmp_path, "--dump-dom", report_path.as_uri()).stdout.decode()
    )

    assert dom.title == "Incident review"
    assert "script" not in dom.tags
    assert HOSTILE_NAME in {row["data-alertname"] for row in dom.rows}


def test_the_report_screenshot_is_drawn(browser, report_path, tmp_path):
    shot = tmp_path / "report.png"
    chromium(
        browser, tmp_path, "--window-size=1400,900", f"--screenshot={shot}", report_path.as_uri()
    )

    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) > 20_000  # a blank page is ~5 KB; the timeline and tables are not


# --- a realistic night at a laptop's width --------------------------------------------------

# Appended to a copy of the page (the report itself has no script): which cells wrapped.
MEASURE = """
<script>
const wrapped = [];
for (const cell of document.querySelectorAll("td.nowrap, th, td.num, .time")) {
  // One line box per line of text: a cell whose text wraps has more than one distinct top.
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
  if (tops.size > 1) wrapped.push(cell.textContent);
}
const out = document.createElement("pre");
out.id = "measured";
out.textContent = JSON.stringify({wrapped, width: document.documentElement.clientWidth,
  scrollWidth: document.documentElement.scrollWidth, cells:
  document.querySelectorAll("td.nowrap, th, td.num, .time").length});
document.body.appendChild(out);
</script>
"""


@pytest.fixture(scope="module")
def incident_report(tmp_path_factory):
    from tests.support.report_screenshot import incident_report as write_incident_report

    return write_incident_report(tmp_path_factory.mktemp("incident-report"))


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(["--window-size=1280,900"], id="laptop-1280px"),
        # An A4 landscape page's printable width, in the print style sheet.
        pytest.param(
            ["--window-size=1040,900", "--blink-settings=mediaTypeOverride=print"], id="printed"
        ),
    ],
)
def test_at_1280_px_and_printed_no_name_time_or_count_wraps_and_nothing_scrolls_sideways(
    browser, incident_report, tmp_path, window
):
    import json

    measured = tmp_path / "measured.html"
    measured.write_text(
        incident_report.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"),
        encoding="utf-8",
    )

    dom = chromium(browser, tmp_path, *window, "--dump-dom", measured.as_uri())
    found = json.loads(dom.stdout.decode().split('<pre id="measured">')[1].split("</pre>")[0])

    assert found["width"] <= 1280 and found["cells"] > 100
    assert found["wrapped"] == []
    assert found["scrollWidth"] <= found["width"]


def test_the_report_prints_to_a_pdf_of_several_pages(browser, incident_report, tmp_path):
    pdf = tmp_path / "report.pdf"
    chromium(browser, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
             incident_report.as_uri())  # fmt: skip

    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", data)) >= 2
