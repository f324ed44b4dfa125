"""One coherent app, in Chromium (issue 23): choices that stay from page to page through the
sidebar links, every word in Bahasa (also Streamlit's own), and a phone that is usable.
Screenshots go to artifacts/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import wait_until_idle
from geo_fixtures import ARTIFACTS_DIR as ARTIFACTS
from geo_fixtures import CHROMIUM

from dashboard.exports.html_report import build_html_report
from queries import metrics
from queries.filters import Filters

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

SIZES = {"projector": (1366, 768), "phone": (390, 844)}


def _open(browser, url: str, size: str):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    return page


def _settle(page) -> None:
    page.wait_for_timeout(500)
    wait_until_idle(page)
    page.wait_for_timeout(500)


def _sidebar(page):
    """The sidebar, opened first on a phone (where it starts collapsed)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(600)
    return sidebar


def _go(page, link: str) -> None:
    """Open another page the way a user does: its link in the sidebar."""
    _sidebar(page).get_by_role("link", name=link).click()
    page.get_by_role("heading", name=link).first.wait_for(timeout=60_000)
    _settle(page)


def _pick(page, label: str, option: str, where=None, multi: bool = False) -> None:
    """Choose ``option`` as a keyboard user does: type, arrow down to it, Enter. (A click on
    the option failed now and then on a phone: its list sometimes opened outside the
    viewport, where Playwright cannot click.)"""
    (where or page).get_by_label(label, exact=True).first.click()
    page.keyboard.type(option[:12])  # long lists draw only the options in view
    wanted = page.get_by_role("option", name=option, exact=True).first
    wanted.wait_for(state="attached")
    for _ in range(40):
        if wanted.get_attribute("data-focused") == "true":
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    if multi:  # closes the list; in a single-choice box Escape would empty the box
        page.keyboard.press("Escape")
    _settle(page)


def _chosen(page, label: str) -> str:
    """What a selectbox shows as chosen."""
    return page.get_by_role("combobox", name=label).first.input_value()


def _widget(page, testid: str, label: str) -> str:
    """The text of one widget (its label and what is chosen)."""
    return page.locator(f'[data-testid="{testid}"]', has_text=label).first.inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_choices_stay_through_the_sidebar_links(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/daerah-saya?dari=2020-07-01&sampai=2020-08-31", size)
    _pick(page, "Kabupaten/kota", "Kabupaten Bekasi (32.16)")
    sidebar = _sidebar(page)
    _pick(page, "Jenis kelamin", "Perempuan", sidebar, multi=True)
    _pick(page, "Disabilitas", "Penyandang disabilitas", _sidebar(page))
    chosen = ("wilayah=3216", "dari=2020-07-01", "sampai=2020-08-31", "jk=F", "disabilitas=ya")
    assert all(part in page.url for part in chosen), page.url

    _go(page, "Agenda sosialisasi")
    assert "Jawa Barat" in _chosen(page, "Provinsi")
    assert "Kabupaten Bekasi" in _chosen(page, "Kabupaten/kota")

    _go(page, "Daerah Saya")
    assert all(part in page.url for part in chosen), page.url  # the URL still shares them
    assert "Kabupaten Bekasi" in _chosen(page, "Kabupaten/kota")
    sidebar = _sidebar(page)
    assert "Perempuan" in _widget(sidebar, "stMultiSelect", "Jenis kelamin")
    assert "Penyandang disabilitas" in _chosen(sidebar, "Disabilitas")
    period = _widget(sidebar, "stSlider", "Periode")
    assert "1 Jul 2020" in period and "31 Agu 2020" in period, period
    page.screenshot(path=ARTIFACTS / f"choices-stay-daerah-saya-{size}.png")

    _go(page, "Nasional")  # shows the regency's province
    assert page.get_by_role("heading", name="Angka utama: Jawa Barat").count()
    _go(page, "Daerah Saya")
    assert "wilayah=3216" in page.url, page.url
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_wave_chosen_on_nasional_stays_on_bandingkan(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/", size)
    _pick(page, "Gelombang", "Gelombang 3", _sidebar(page), multi=True)
    assert "gelombang=3" in page.url, page.url
    _go(page, "Bandingkan Provinsi")
    assert "gelombang=3" in page.url, page.url
    assert "Gelombang 3" in _widget(_sidebar(page), "stMultiSelect", "Gelombang")
    page.screenshot(path=ARTIFACTS / f"choices-stay-bandingkan-{size}.png")
    page.close()


def test_a_shared_link_wins_over_remembered_choices(browser, app_url: str) -> None:
    page = _open(browser, f"{app_url}/daerah-saya?wilayah=3216&jk=F", "projector")
    _go(page, "Nasional")
    page.goto(f"{app_url}/daerah-saya?wilayah=3301")
    page.get_by_text("Data sintetis (demo)").first.wait_for(timeout=60_000)
    _settle(page)
    assert "Kabupaten Cilacap" in _chosen(page, "Kabupaten/kota")
    assert "jk=" not in page.url
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_agenda_form_keeps_the_regency_after_saving(browser, app_url: str, size: str) -> None:
    page = _open(browser, f"{app_url}/agenda", size)
    _pick(page, "Kabupaten/kota", "Kabupaten Bekasi (32.16)")
    page.get_by_label("Unit penyelenggara").fill("Disnaker Kabupaten Bekasi")
    page.get_by_role("button", name="Simpan").click()
    page.get_by_text("Kegiatan disimpan.").wait_for(timeout=30_000)
    _settle(page)
    assert _chosen(page, "Kabupaten/kota") == "Kabupaten Bekasi (32.16)"
    assert page.get_by_text(
        "Anda menulis tanpa login (dasbor terbuka), dengan akses nasional."
    ).count()
    page.close()


ENGLISH = re.compile(
    r"\b(No results|Select \d+ matches|Select all|Upload|Browse files|Drag and drop|"
    r"Limit \d+ ?MB|per file|You can only select|Remove an option|mode full|mode incremental|"
    r"Running|Stop|Deploy|Clear all|Show data|Download as|Fullscreen|Where the|How often|"
    r"Scale of|Empty:|Counts below|Replication lag)\b"
)
"""English that Streamlit or the app drew on screens before (issue 23)."""
ENGLISH_LABELS = re.compile(
    r"^(Help for |Remove |Open$|Close$|Clear all$|Selected values$|Sidebar$|Collapse sidebar|"
    r"Expand sidebar|Scrollable table|file upload|Show data|Download as|Fullscreen|Title text|"
    r"Subtitle text|Link to heading)|— (start|end)$"
)
"""English accessible names of Streamlit's controls, read aloud by screen readers."""
VISIBLE_WORDS = """() => {
  const icons = '[data-testid="stIconMaterial"], .material-symbols-rounded, [translate="no"]';
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll(icons + ', script, style').forEach((e) => e.remove());
  document.body.append(clone);  // innerText needs a rendered node
  const text = clone.innerText;
  clone.remove();
  const labels = [...document.querySelectorAll('[aria-label]')].map((e) => e.ariaLabel);
  return {text, labels};
}"""


def _english(page) -> list[str]:
    found = page.evaluate(VISIBLE_WORDS)
    words = [match.group(0) for match in ENGLISH.finditer(found["text"])]
    return words + [label for label in found["labels"] if ENGLISH_LABELS.search(label)]


def test_every_word_is_in_bahasa(browser, app_url: str) -> None:
    """Every screen, an empty search in a list, the uploader and the settings panel: no
    English from Streamlit or the app, in what is shown and in accessible names."""
    seen: dict[str, list[str]] = {}
    page = _open(browser, f"{app_url}/", "projector")
    for link in ("Nasional", "Bandingkan Provinsi", "Daerah Saya", "Agenda sosialisasi"):
        _go(page, link)
        page.wait_for_timeout(1500)  # charts and their accessible names drawn
        seen[link] = _english(page)
    _go(page, "Tentang Data")
    page.get_by_text("Pengaturan aplikasi").click()
    page.wait_for_timeout(500)
    seen["Tentang Data"] = _english(page)
    _go(page, "Bandingkan Provinsi")
    page.get_by_label("Provinsi yang dibandingkan", exact=True).click()
    page.keyboard.type("Papuax")  # nothing matches
    page.get_by_role("listbox").wait_for()
    seen["daftar kosong"] = _english(page)
    page.screenshot(path=ARTIFACTS / "words-no-results.png")
    assert not any(seen.values()), seen
    page.close()


def test_enter_adds_one_region(browser, app_url: str) -> None:
    page = _open(browser, f"{app_url}/bandingkan", "projector")
    page.get_by_label("Provinsi yang dibandingkan", exact=True).click()
    page.keyboard.type("Papua")
    page.get_by_role("option", name="Papua", exact=True).wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _settle(page)
    chips = _widget(page, "stMultiSelect", "Provinsi yang dibandingkan")
    assert "Papua" in chips and "Papua Barat" not in chips and "Papua Tengah" not in chips
    assert "prov=32,35,31,91" in page.url.replace("%2C", ","), page.url
    page.close()


def test_download_names_are_indonesian(browser, app_url: str) -> None:
    """File names in Bahasa, on Daerah Saya's Kecamatan tab (maps) and, after a click on its
    Rincian peserta tab, a breakdown's table."""
    page = _open(browser, f"{app_url}/daerah-saya?wilayah=3216", "projector")
    names = set()
    buttons = page.get_by_role("button", name="Peta PNG")  # the province's map, the kecamatan's
    buttons.nth(1).wait_for(timeout=120_000)  # the run may still be drawing the lower sections
    wait_until_idle(page)  # a click during the run can hit a button the run then replaces
    for index in range(buttons.count()):
        with page.expect_download(timeout=120_000) as download:
            buttons.nth(index).click()
        names.add(download.value.suggested_filename)
    page.get_by_role("tab", name="Rincian peserta").click()  # the breakdowns' tab
    page.get_by_role("heading", name="Rincian peserta").wait_for(timeout=60_000)
    _settle(page)
    assert "bagian=rincian" in page.url  # the open section is in the link
    assert page.get_by_role("heading", name="Kecamatan di Kabupaten Bekasi").count() == 0
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="CSV").nth(1).click()  # the second breakdown: age
    names.add(download.value.suggested_filename)
    assert names == {
        "peta-pendaftar-per-1000-penduduk-kabupaten-32.png",
        "peta-bagian-dari-pendaftar-kabupaten-kota-kecamatan-3216.png",
        "rincian-kelompok-usia.csv",
    }
    page.close()


PHONE_FIT = """() => ({
  page: document.documentElement.scrollWidth,
  table: document.querySelector('table[data-table="priorities"]').getBoundingClientRect().right,
  scales: [...document.querySelectorAll('figure.chart svg')].map(
    (svg) => svg.getBoundingClientRect().width / svg.width.baseVal.value),
})"""


def test_offline_report_fits_a_phone(browser, sqlite_replica, boundary_cache) -> None:
    """The priorities table fits a 390 px screen and every chart keeps its drawn size."""
    store = sqlite_replica.store()
    document = build_html_report(store, Filters(*metrics.data_period(store)), "35")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_content(document, wait_until="load")
    fit = page.evaluate(PHONE_FIT)
    page.screenshot(path=ARTIFACTS / "laporan-35-phone.png", full_page=True)
    page.close()
    assert fit["page"] <= 390 and fit["table"] <= 390, fit
    assert len(fit["scales"]) == 9 and min(fit["scales"]) >= 0.99, fit


def test_phone_sidebar_closes_after_a_page_link(browser, app_url: str) -> None:
    page = _open(browser, f"{app_url}/", "phone")
    _sidebar(page).get_by_role("link", name="Tentang Data").click()
    page.get_by_role("heading", name="Tentang Data").first.wait_for(timeout=60_000)
    _settle(page)
    page.screenshot(path=ARTIFACTS / "phone-after-page-link.png")
    assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    page.close()


def test_phone_map_fits_jawa_timur(browser, app_url: str) -> None:
    """Far small islands no longer set the fit: Kabupaten Malang is drawn at least 1.3 times
    the width it had when Masalembu and Kangean were in the bounds (36.5 px; now 50.5 px)."""
    page = _open(browser, f"{app_url}/?wilayah=35", "phone")
    frame = page.frame_locator('iframe[title^="Peta "]')
    malang = frame.locator('path[data-code="3507"]')
    malang.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    box = malang.bounding_box()
    page.locator('iframe[title^="Peta "]').scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "phone-map-jawa-timur.png")
    page.close()
    assert box is not None and box["width"] >= 1.3 * 36.5, box


CHART_TEXT_OUTSIDE = """() => [...document.querySelectorAll('svg.marks')].flatMap((svg) => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter((text) => {
    const drawn = text.getBoundingClientRect();
    return drawn.right > box.right + 1 || drawn.left < box.left - 1;
  }).map((text) => text.textContent);
})"""


def test_phone_trend_legend_is_not_cut(browser, app_url: str) -> None:
    """On a phone the weekly trend's legend takes one column: in two, "Menerima insentif"
    ran past the screen."""
    page = _open(browser, f"{app_url}/?wilayah=35", "phone")
    page.get_by_role("heading", name="Tren mingguan", exact=True).scroll_into_view_if_needed()
    page.locator('[aria-label="Garis tren mingguan per ukuran"]').first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    outside = page.evaluate(CHART_TEXT_OUTSIDE)
    page.screenshot(path=ARTIFACTS / "phone-trend-legend.png")
    page.close()
    assert outside == [], outside


CHART_WORDS = """() => [...document.querySelectorAll('svg.marks')].map((svg) => {
  const box = svg.getBoundingClientRect();
  const words = (text) => {
    const lines = [...text.querySelectorAll('tspan')].map((line) => line.textContent);
    return (lines.length ? lines.join(' ') : text.textContent).trim();
  };
  const titles = 'g.role-axis-title, g.role-legend-title, g.role-title-text, g.role-title-subtitle';
  const texts = [...svg.querySelectorAll('text')].map((text) => {
    const drawn = text.getBoundingClientRect();
    return {
      words: words(text),
      title: Boolean(text.closest(titles)),
      outside: drawn.left < Math.max(box.left, 0) - 2 || drawn.right > Math.min(box.right,
        window.innerWidth) + 2 || drawn.top < box.top - 6 || drawn.bottom > box.bottom + 6,
    };
  });
  const bars = [...svg.querySelectorAll('g.mark-rect path')];
  return {texts, longestBar: Math.max(0, ...bars.map((bar) => bar.getBoundingClientRect().width))};
})"""


WHOLE_WORDS = {
    # the trend panels' measure ("Menerima inse…" on a 200 px y axis) and the ranking's axis
    # (centred over a narrow plot beside the names, it ran past the edge)
    "bandingkan?metrik=bayar-pct&per-kapita=1": [
        "Menerima insentif per 1.000 penduduk",
        "Tingkat pembayaran insentif",
    ],
    # Kabupaten Bandung's offline registration service: the outreach trend's measure (its
    # vertical title was cut), its legend, the pre-trend check's axes (its x title ran past a
    # phone's edge)
    "daerah-saya?wilayah=3204&bagian=dampak": [
        "Pendaftar luring",
        "Kegiatan",
        "Minggu sejak kegiatan",
        "Selisih dengan pembanding",
    ],
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", WHOLE_WORDS)
def test_chart_titles_are_whole_and_ranking_bars_use_the_width(
    browser, app_url: str, screen: str, size: str
) -> None:
    """On Bandingkan and Daerah Saya every chart's title, axis and legend titles are drawn
    whole inside the chart and the screen (no "…", nothing past an edge), and the ranking's
    longest bar takes at least half the screen's width (on a phone it was 143 of 390 px, the
    names' column took the rest)."""
    page = _open(browser, f"{app_url}/{screen}", size)
    page.locator("svg.marks").first.wait_for(timeout=60_000)
    pre_trend = page.locator("summary", has_text="Cek tren sebelum kegiatan")
    if pre_trend.count():  # the pre-trend check is in an expander
        pre_trend.first.click()
    _settle(page)
    page.wait_for_timeout(1500)
    charts = page.evaluate(CHART_WORDS)
    name = screen.split("?")[0]
    width = SIZES[size][0]
    page.set_viewport_size({"width": width, "height": 6000})  # the screen's top in one image
    page.evaluate("() => document.querySelectorAll('*').forEach((e) => { e.scrollTop = 0; })")
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / f"chart-titles-{name}-{size}.png")
    page.close()
    texts = [text for chart in charts for text in chart["texts"]]
    cut = [t["words"] for t in texts if "…" in t["words"] or (t["title"] and t["outside"])]
    assert cut == [], cut
    titles = {t["words"] for t in texts if t["title"]}
    missing = [w for w in WHOLE_WORDS[screen] if not any(w in title for title in titles)]
    assert missing == [], (missing, titles)
    if name == "bandingkan":
        ranking = next(c for c in charts if any("38 provinsi" in t["words"] for t in c["texts"]))
        assert ranking["longestBar"] >= 0.5 * width, ranking["longestBar"]
