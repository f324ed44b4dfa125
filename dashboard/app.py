"""Pantau Prakerja: the app shell. Run with ``streamlit run dashboard/app.py``.

Navigation is declared here with ``st.navigation``, from the page list in
``dashboard/page_registry.py`` (the screens live in the top-level ``pages/`` folder, which is
not beside this script, so Streamlit does not also auto-discover it), and drawn as page links
in the sidebar. Errors that users can act on are shown as messages in Bahasa Indonesia, never
as tracebacks.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import access, chrome_words, gc_tuning, page_registry, state
from dashboard.subscriptions.section import handle_unsubscribe
from queries.health import RefreshFailedError
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError
from queries.settings import ConfigError, check_all
from queries.store import StoreCorruptError, StoreMissingError

# A local file: a ``:material:`` page icon makes the browser fetch an SVG from a font CDN.
ICON = Path(__file__).resolve().parent / "static" / "icon.png"

st.set_page_config(
    page_title="Pantau Prakerja",
    page_icon=str(ICON),
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on phones, open on laptops
)

PAGES = {
    section: [
        st.Page(
            entry.path,
            title=entry.title,
            # the default page is served at "/": Streamlit ignores url_path for it
            default=not entry.url_path,
            url_path=entry.url_path or None,
        )
        for entry in entries
    ]
    for section, entries in page_registry.SECTIONS.items()
}

# Five KPI cards must fit side by side on a 1366×768 projector without truncation; table cells
# wrap, smaller on a phone, so a table fits the screen instead of scrolling sideways. The element
# toolbar over charts and tables ("Show data", "Download as PNG", "Fullscreen") and the heading
# link icons cannot be translated; every chart has our own download buttons below it
# (docs/ACCESSIBILITY.md).
LAYOUT_CSS = (
    "[data-testid='stMetricValue'] {font-size: 1.9rem;}"
    " [data-testid='stMetricLabel'] p {white-space: normal;}"
    " [data-testid='stElementToolbar'], [data-testid='stHeaderActionElements']"
    " {display: none;}"
    " [data-testid='stTable'] :is(th, td, p) {white-space: normal; overflow-wrap: anywhere;}"
    " @media (max-width: 640px) {[data-testid='stTable'] :is(th, td, p)"
    " {font-size: 0.75rem;}"
    " [data-testid='stTable'] :is(th, td) {padding: 0.125rem !important;}}"
)
# Streamlit's status widget ("Running…" with a "Stop" button) and the file uploader's hint
# ("200MB per file") are English with no parameter to change them. The widget is hidden and a
# run is announced in Bahasa from the app's own run state; the hint is replaced. Streamlit's
# other English words (the uploader's "Upload", "No results", accessible names) are rewritten
# by dashboard/chrome_words.py's script, below (docs/ACCESSIBILITY.md).
INDONESIAN_CHROME_CSS = (
    " [data-testid='stStatusWidget'] {display: none;}"
    " .stApp[data-test-script-state='running']::after {content: 'Memuat…'; position: fixed;"
    " top: 0.9rem; right: 1rem; z-index: 999991; padding: 0.125rem 0.5rem;"
    " border-radius: 0.5rem; background: #ffffff; color: #0e1117; font-size: 0.875rem;}"
    " [data-testid='stFileUploaderDropzoneInstructions'] span {display: none;}"
    " [data-testid='stFileUploaderDropzoneInstructions'] div::after"
    " {content: 'Seret berkas ke sini, paling besar 200 MB';}"
)
st.html(f"<style>{LAYOUT_CSS}{INDONESIAN_CHROME_CSS}</style>")
st.html(chrome_words.script(), unsafe_allow_javascript=True)

# Our own links instead of Streamlit's sidebar menu: its grouped menu puts <div>s between <ul>
# and <li> (axe "list"/"listitem", serious; docs/ACCESSIBILITY.md).
page = st.navigation(PAGES, position="hidden")
with st.sidebar:
    st.markdown("**Pantau Prakerja**")
    st.caption("Pemantauan Kartu Prakerja per provinsi dan kabupaten/kota")
    for section, section_pages in PAGES.items():
        st.caption(section)
        for each in section_pages:
            st.page_link(each, width="stretch")
try:
    check_all()
    if not handle_unsubscribe():  # ?berhenti=… works from the e-mail, without login
        access.sidebar_identity(access.current_scope())
        state.carry_filters(page.url_path)
        page.run()
except (
    ConfigError,
    RefreshFailedError,
    ReplicaUnavailableError,
    ReplicaTimeoutError,
    StoreMissingError,
    StoreCorruptError,
) as error:
    st.error(f"Data tidak dapat dimuat. {error}")
gc_tuning.settle_after_first_run()
