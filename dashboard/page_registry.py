"""The dashboard's pages, in one list: the app shell (``dashboard/app.py``) declares its
navigation from it, and the served topology reads which URL paths are pages, so that the static
sidecar answers every page path with the same page and hints as ``/`` (``deploy/``,
``dashboard/static_files.py``). No Streamlit import: the sidecar and the proxy's configuration
read it without starting Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class PageEntry:
    script: str
    """The page's file in ``pages/``."""
    title: str
    url_path: str = ""
    """Its URL path; ``""`` for the default page, which Streamlit serves at ``/`` only (its
    file name, ``/nasional``, is no page path: Streamlit answers it with "page not found")."""

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.script


SECTIONS: dict[str, list[PageEntry]] = {
    "Ringkasan": [PageEntry("nasional.py", "Nasional")],
    "Untuk Kemenko": [PageEntry("bandingkan.py", "Bandingkan Provinsi", "bandingkan")],
    "Untuk Pemda": [
        PageEntry("daerah_saya.py", "Daerah Saya", "daerah-saya"),
        PageEntry("agenda.py", "Agenda sosialisasi", "agenda"),
        PageEntry("langganan.py", "Langganan laporan", "langganan"),
    ],
    "Informasi": [PageEntry("tentang_data.py", "Tentang Data", "tentang-data")],
}
"""Sidebar section → its pages, in the sidebar's order; the first page without a URL path is
the default (``/``)."""


def page_paths() -> list[str]:
    """Every page's URL path but the default page's (``/daerah-saya``, ``/bandingkan``…)."""
    return [f"/{page.url_path}" for pages in SECTIONS.values() for page in pages if page.url_path]
