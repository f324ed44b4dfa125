"""Where the dashboard's own static files live and the URL Streamlit serves them under
(``server.enableStaticServing``): one definition for the workers' map, which writes and names
the boundary files, and the static sidecar, which prepares and serves them. A module of its
own because either side importing the other would be costly (fontTools in every worker,
Streamlit's component registry in the sidecar)."""

from pathlib import Path

APP_STATIC = Path(__file__).resolve().parent / "static"
"""``dashboard/static/``, served at ``/app/static/``: the vendored Leaflet and the boundaries."""
BOUNDARY_DIR = APP_STATIC / "boundaries"
"""The map's content-hashed boundary files (written from the boundary cache, never committed)."""
BOUNDARY_URL = "/app/static/boundaries/"
