"""Pantau Prakerja: the app shell. Run with ``streamlit run dashboard/app.py``.

Navigation is declared here with ``st.navigation`` (the screens live in the top-level
``pages/`` folder, which is not beside this script, so Streamlit does not also auto-discover
it). Errors that users can act on are shown as messages in Bahasa Indonesia, never as
tracebacks.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import access
from queries.replica import ReplicaTimeoutError, ReplicaUnavailableError
from queries.settings import ConfigError
from queries.store import StoreMissingError

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

st.set_page_config(
    page_title="Pantau Prakerja",
    page_icon=":material/map:",
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on phones, open on laptops
)

PAGES = {
    "Ringkasan": [
        st.Page(
            PAGES_DIR / "nasional.py",
            title="Nasional",
            icon=":material/public:",
            default=True,  # served at "/": Streamlit ignores url_path for the default page
        ),
    ],
    "Untuk Kemenko": [
        st.Page(
            PAGES_DIR / "bandingkan.py",
            title="Bandingkan Provinsi",
            icon=":material/compare_arrows:",
            url_path="bandingkan",
        ),
    ],
    "Untuk Pemda": [
        st.Page(
            PAGES_DIR / "daerah_saya.py",
            title="Daerah Saya",
            icon=":material/location_on:",
            url_path="daerah-saya",
        ),
        st.Page(
            PAGES_DIR / "agenda.py",
            title="Agenda sosialisasi",
            icon=":material/event:",
            url_path="agenda",
        ),
    ],
    "Informasi": [
        st.Page(
            PAGES_DIR / "tentang_data.py",
            title="Tentang Data",
            icon=":material/info:",
            url_path="tentang-data",
        ),
    ],
}

# Five KPI cards must fit side by side on a 1366×768 projector without truncation.
st.html(
    "<style>[data-testid='stMetricValue'] {font-size: 1.9rem;}"
    " [data-testid='stMetricLabel'] p {white-space: normal;}</style>"
)

with st.sidebar:
    st.markdown("### Pantau Prakerja")
    st.caption("Pemantauan Kartu Prakerja per provinsi dan kabupaten/kota")

page = st.navigation(PAGES)
try:
    access.sidebar_identity(access.current_scope())
    page.run()
except (ConfigError, ReplicaUnavailableError, ReplicaTimeoutError, StoreMissingError) as error:
    st.error(f"Data tidak dapat dimuat. {error}", icon=":material/error:")
