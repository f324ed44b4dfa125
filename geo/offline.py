"""Make folium maps (the offline report's) load Leaflet from our own copy, not public CDNs.

The dashboard runs without internet. folium's defaults pull Leaflet, jQuery, Bootstrap and
Font Awesome from CDNs, and with any of them missing the map stays blank. Our maps only need
Leaflet itself (vendored in ``dashboard/static/leaflet/``, served at ``/app/static/``). The
offline report swaps a placeholder base for the inlined files; tests pass a ``file://`` URL.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Element

DEFAULT_ASSET_BASE = "/app/static/"
LOCAL_JS = [("leaflet", "leaflet/leaflet.js")]
LOCAL_CSS = [("leaflet_css", "leaflet/leaflet.css")]

_REMOTE_ASSET = re.compile(
    r"<script[^>]+src=[\"']?(?:https?:)?//|<link[^>]+href=[\"']?(?:https?:)?//", re.IGNORECASE
)


def use_local_assets(m: folium.Map, base_url: str = DEFAULT_ASSET_BASE) -> folium.Map:
    """Point ``m`` at the vendored Leaflet under ``base_url`` and drop every other default
    asset (jQuery, Bootstrap, awesome-markers: our maps use none of them).

    Raises ValueError if an element added to the map needs another remote script or style,
    so a new plugin cannot silently break the offline map.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    m.default_js = [(name, base + path) for name, path in LOCAL_JS]
    m.default_css = [(name, base + path) for name, path in LOCAL_CSS]
    for element in _descendants(m):
        needs = [url for _name, url in [*element.default_js, *element.default_css]]
        if needs:
            raise ValueError(f"{type(element).__name__} needs remote assets {needs}")
    return m


def _descendants(element: Element) -> list[Any]:
    """Children that declare assets (``default_js``/``default_css``: folium's JSCSSMixin)."""
    found = []
    for child in element._children.values():
        if hasattr(child, "default_js"):
            found.append(child)
        found.extend(_descendants(child))
    return found


def remote_assets(html: str) -> list[str]:
    """``<script src>``/``<link href>`` tags in ``html`` that load from another host."""
    return [match.group(0) for match in _REMOTE_ASSET.finditer(html)]
