"""Where the dashboard's own static files live and the URLs they are served under: one
definition for the workers, which write the boundary files and declare the map component, and
the static sidecar, which prepares and serves them. A module of its own because either side
importing the other would be costly (fontTools in every worker, Streamlit's component registry
in the sidecar)."""

import hashlib
from pathlib import Path

APP_STATIC = Path(__file__).resolve().parent / "static"
"""``dashboard/static/``, served at ``/app/static/``: the vendored Leaflet and the boundaries."""
BOUNDARY_DIR = APP_STATIC / "boundaries"
"""The map's content-hashed boundary files (written from the boundary cache, never committed)."""
BOUNDARY_URL = "/app/static/boundaries/"
MAP_COMPONENT = "dashboard.components.map_view.region_map"
"""The map component's name as Streamlit registers it (``<module>.<name>``): its page is
``/component/<name>/index.html``, asked of the static sidecar when there is one."""
MAP_COMPONENT_DIR = Path(__file__).resolve().parent / "components" / "region_map"


def map_component_version() -> str:
    """A hash of the map component's page: a changed page gets a new URL."""
    return hashlib.sha256((MAP_COMPONENT_DIR / "index.html").read_bytes()).hexdigest()[:12]


def map_component_url() -> str:
    """The map component's page with its version: the sidecar lets browsers keep the page for
    good (``immutable``) when the version is the one it holds, so a later visit draws the map
    without asking for it again. Relative, like Streamlit's own URLs."""
    return f"./component/{MAP_COMPONENT}/index.html?v={map_component_version()}"
