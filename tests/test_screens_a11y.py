"""Every screen, as a new user meets it in Chromium at 1366×768 and 390×844: axe-core finds no
serious or critical violation in our markup, no English UI text is shown, and no text is cut
off. axe-core comes from npm (.ci/axe, installed by .ci/services.sh).

Streamlit-internal findings we cannot fix are listed in docs/ACCESSIBILITY.md with their
upstream issues; each exclusion below names its entry there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import CHROMIUM, REPO_ROOT

AXE = REPO_ROOT / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

SCREENS = {
    "nasional": "",
    "nasional-provinsi": "?wilayah=32",
    "bandingkan-per-kapita": "bandingkan?per-kapita=1&prov=35,11,32,31",
    "daerah-saya": "daerah-saya?wilayah=3216",
    "tentang-data": "tentang-data",
    "agenda": "agenda",  # the browser app's own demo-seeded agenda (tests/browser_fixtures.py)
    "langganan": "langganan",
}
VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}
TALL = 5000
"""Streamlit scrolls inside its own container: a tall viewport lays out the whole screen."""

MAP_SCREENS = {"nasional", "nasional-provinsi", "daerah-saya"}
MAP_TITLE = "Peta "
"""The map iframes' titles start with this; axe checks inside them on their own (axe does not
enter frames it was not injected into)."""

MONTHS = "January February March May June July August October December"  # not April, September…
DAYS = (
    "Sunday Monday Tuesday Wednesday Thursday Friday Saturday Aug Oct Dec Mon Tue Wed Thu Fri Sat"
)
PHRASES = (
    "Choose an option|Choose options|Select|Download|Search|Clear|Running|No results|Show data|"
    "Fullscreen|Loading|Please wait|Submit|Cancel|Open|Close|Copy|Link to heading|Rerun|"
    "Settings|Print|Stop|Record screen|Browse files|Drag and drop|per file|Choose date|"
    "Deploy|Upload"
)
ENGLISH = (*MONTHS.split(), *DAYS.split(), *PHRASES.split("|"))
"""English UI words that must not appear as visible text, placeholders or accessible names
("Upload" too: dashboard/chrome_words.py renames the uploader's button)."""
ENGLISH_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, ENGLISH)) + r")\b")
STREAMLIT_NAMES = re.compile(
    r"^(Help for .*|Collapse sidebar|Expand sidebar|Main menu|Sidebar|Open|Clear all|"
    r"Remove .*|Selected values|Vega visualization|Clear value)$"
)
"""Accessible names Streamlit gives its own controls, in English and not configurable
(docs/ACCESSIBILITY.md, "English accessible names")."""

TEXT_ELEMENTS = (
    "table th, table td, [data-testid='stMetricLabel'], [data-testid='stMetricValue'],"
    " [data-testid='stMetricDelta'], [data-testid='stHeading'], [data-testid='stCaptionContainer'],"
    " [data-testid='stWidgetLabel'], [data-testid='stMarkdownContainer'] p, button, label,"
    " [data-baseweb='tag'] span, [data-testid='stSelectboxVirtualDropdown'],"
    " [data-baseweb='select'] div"
)
CUT_OFF_JS = """(selector) => {
  const cut = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('iframe') || !el.offsetParent) continue;
    const style = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    const text = (el.innerText || '').trim();
    if (!text) continue;
    const overflows = el.scrollWidth > el.clientWidth + 1;
    if (hides && overflows) cut.push(text.slice(0, 60));
  }
  for (const box of document.querySelectorAll("[data-testid='stTable']")) {
    const table = box.querySelector('table');
    if (table && table.offsetWidth > box.clientWidth + 1)
      cut.push('table wider than the screen: ' + box.innerText.slice(0, 40));
  }
  for (const t of document.querySelectorAll('.vega-embed svg text')) {
    if ((t.textContent || '').endsWith('…')) cut.push('chart: ' + t.textContent);
  }
  return cut;
}"""
NAMES_JS = """() => Array.from(document.querySelectorAll('[aria-label],[placeholder],[title]'))
  .filter(el => el.checkVisibility() || el.tagName === 'INPUT')
  .flatMap(el => ['aria-label', 'placeholder', 'title'].map(a => el.getAttribute(a)))
  .filter(Boolean)"""
AXE_JS = """async () => {
  const result = await axe.run({exclude: [['iframe']]}, {resultTypes: ['violations']});
  return result.violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): `
      + v.nodes.slice(0, 3).map(n => n.html.slice(0, 120)).join(' | '));
}"""


def _settled(page, path: str) -> None:
    """The screen after its run, with every expander open (what is inside is checked too)."""
    page.goto(path)
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=90_000)
    wait_until_idle(page)
    for summary in page.locator("[data-testid='stExpander'] details:not([open]) > summary").all():
        summary.click()
    page.wait_for_timeout(1500)  # charts draw after the script finished


def _checked_frames(page) -> list:
    """The page itself and every map frame in it."""
    maps = [
        frame
        for frame in page.frames[1:]
        if (frame.frame_element().get_attribute("title") or "").startswith(MAP_TITLE)
    ]
    return [page.main_frame, *maps]


def _axe(frame) -> list[str]:
    frame.add_script_tag(path=str(AXE))
    return frame.evaluate(AXE_JS)


@pytest.fixture(scope="module")
def screens(browser, app_url: str):
    """Each screen at each viewport, opened once: (axe findings, English texts, cut texts)."""
    results: dict[tuple[str, str], tuple[list[str], list[str], list[str]]] = {}
    for screen, path in SCREENS.items():
        for viewport, (width, height) in VIEWPORTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            _settled(page, f"{app_url}/{path}")
            page.set_viewport_size({"width": width, "height": TALL})
            page.wait_for_timeout(1000)
            visible = page.inner_text("body")
            names = [n for n in page.evaluate(NAMES_JS) if not STREAMLIT_NAMES.match(n)]
            english = sorted(
                {m for text in (visible, *names) for m in ENGLISH_PATTERN.findall(text)}
            )
            cut = page.evaluate(CUT_OFF_JS, TEXT_ELEMENTS)
            axe: list[str] = []
            if viewport == "laptop" or screen == "nasional":
                frames = _checked_frames(page)
                assert len(frames) > 1 or screen not in MAP_SCREENS, f"no map frame on {screen}"
                axe = [finding for frame in frames for finding in _axe(frame)]
            results[screen, viewport] = (axe, english, cut)
            page.close()
    return results


CASES = [(screen, viewport) for screen in SCREENS for viewport in VIEWPORTS]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: run .ci/services.sh")
@pytest.mark.parametrize(("screen", "viewport"), CASES)
def test_no_serious_accessibility_violation(screens, screen: str, viewport: str) -> None:
    assert screens[screen, viewport][0] == []


@pytest.mark.parametrize(("screen", "viewport"), CASES)
def test_no_english_ui_text(screens, screen: str, viewport: str) -> None:
    assert screens[screen, viewport][1] == []


@pytest.mark.parametrize(("screen", "viewport"), CASES)
def test_no_text_is_cut_off(screens, screen: str, viewport: str) -> None:
    assert screens[screen, viewport][2] == []


def test_english_words_are_caught() -> None:
    """The word list catches what the issue found (and leaves Indonesian alone)."""
    assert ENGLISH_PATTERN.findall("Choose an option · Download as CSV · Sunday")
    assert not ENGLISH_PATTERN.findall("Unduh · Pilih ukuran… · 6 Apr 2020 · 1 Agu · Nov")


def test_axe_is_pinned_by_the_project() -> None:
    assert '"axe-core"' in Path(REPO_ROOT / ".ci" / "axe" / "package.json").read_text()


RUN_SEEN_JS = """() => { window.runSeen = new Promise(resolve => {
  const app = document.querySelector('.stApp');
  const look = () => {
    const widget = document.querySelector("[data-testid='stStatusWidget']");
    resolve({
      state: app.dataset.testScriptState,
      announced: getComputedStyle(app, '::after').content,
      widget: widget ? widget.checkVisibility() : false,
      menu: !!document.querySelector("[data-testid='stMainMenu']"),
    });
  };
  new MutationObserver(() => {
    if (app.dataset.testScriptState === 'running') setTimeout(look, 300);
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}); }"""
"""Resolves 0.3 s after the next script run starts (Streamlit's status widget has appeared by
then): what a user sees at the top right while the screen is being computed."""


def test_a_run_is_announced_in_bahasa_and_streamlits_english_widget_is_hidden(
    browser, app_url: str
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _settled(page, f"{app_url}/")
    page.evaluate(RUN_SEEN_JS)
    page.get_by_text("Kabupaten/kota", exact=True).first.click()  # a slow run: 514 regencies
    during = page.evaluate("() => window.runSeen")
    wait_until_idle(page)
    page.close()
    assert during == {"state": "running", "announced": '"Memuat…"', "widget": False, "menu": False}
