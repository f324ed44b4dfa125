"""Streamlit's own words in Bahasa Indonesia, and a sidebar that closes on a phone.

Streamlit draws some English with no parameter to change it: "No results" in every select
box, the file uploader's "Upload" button, "You can only select up to 6 options", and
accessible names such as "Help for Pendaftar", "Remove Jawa Barat" or "Collapse sidebar".
A small script in the page (``st.html`` with JavaScript, our own constant text, no user
input) rewrites exactly these strings as Streamlit draws them, so that buttons keep a real
text name for screen readers (CSS-drawn text does not name a button for axe). The same
script closes the sidebar after a page link is tapped on a phone, where the open sidebar
covers the page it opened (docs/ACCESSIBILITY.md).
"""

from __future__ import annotations

import json

TEXTS = {
    "No results": "Tidak ada hasil",
    "Upload": "Unggah",
    "Browse files": "Pilih berkas",
    "Drag and drop file here": "Seret berkas ke sini",
    "Skip to main content": "Langsung ke isi utama",
}
"""Whole text nodes drawn by Streamlit → Bahasa."""

TEXT_PATTERNS = (
    (
        r"^You can only select up to (\d+) options?\. Remove an option first\.$",
        "Paling banyak $1 pilihan. Hapus salah satu dulu.",
    ),
    (r"^Limit (\d+)MB per file(.*)$", "Paling besar $1 MB per berkas$2"),
)
"""Text nodes with a number in them: (JavaScript regular expression, replacement)."""

LABELS = {
    "Open": "Buka",
    "Close": "Tutup",
    "Clear all": "Hapus semua",
    "Clear value": "Hapus pilihan",
    "Main menu": "Menu utama",
    "Vega visualization": "Grafik",
    "Selected values": "Pilihan",
    "Sidebar": "Bilah samping",
    "Collapse sidebar": "Tutup bilah samping",
    "Expand sidebar": "Buka bilah samping",
    "Scrollable table": "Tabel",
    "file upload": "Unggah berkas",
    "Show data": "Tampilkan data",
    "Download as PNG": "Unduh sebagai PNG",
    "Fullscreen": "Layar penuh",
    "Close fullscreen": "Tutup layar penuh",
    "Copy Vega-Lite spec": "Salin spesifikasi Vega-Lite",
    "Link to heading": "Tautan ke judul",
}
"""Whole ``aria-label`` values of Streamlit's controls → Bahasa."""

LABEL_PATTERNS = (
    (r"^Help for (.+)$", "Bantuan: $1"),
    (r"^Remove (.+)$", "Hapus $1"),
    (r"^(.+) — start$", "$1 — awal"),
    (r"^(.+) — end$", "$1 — akhir"),
    (r"^Title text '(.*)'$", "Judul '$1'"),  # Vega's names of chart titles
    (r"^Subtitle text '(.*)'$", "Subjudul '$1'"),
)
"""``aria-label`` values that name a widget: (JavaScript regular expression, replacement)."""

PHONE_WIDTH = 768
"""Below this width Streamlit's sidebar lies over the page instead of beside it."""

_SCRIPT = """
<script>
(() => {
  if (window.__pantauWords) return;
  window.__pantauWords = true;
  const texts = %(texts)s, labels = %(labels)s;
  const textPatterns = %(text_patterns)s.map(([p, r]) => [new RegExp(p), r]);
  const labelPatterns = %(label_patterns)s.map(([p, r]) => [new RegExp(p), r]);
  const words = (value, exact, patterns) => {
    const trimmed = value.trim();
    if (exact[trimmed] !== undefined) return value.replace(trimmed, exact[trimmed]);
    for (const [pattern, replacement] of patterns) {
      if (pattern.test(trimmed)) return trimmed.replace(pattern, replacement);
    }
    return null;
  };
  const fixText = (node) => {
    const better = words(node.nodeValue || "", texts, textPatterns);
    if (better !== null && better !== node.nodeValue) node.nodeValue = better;
  };
  const fixLabel = (element) => {
    const label = element.getAttribute("aria-label");
    const better = label && words(label, labels, labelPatterns);
    if (better && better !== label) element.setAttribute("aria-label", better);
  };
  const fixTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return fixText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    if (root.hasAttribute("aria-label")) fixLabel(root);
    root.querySelectorAll("[aria-label]").forEach(fixLabel);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) fixText(walker.currentNode);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "childList") change.addedNodes.forEach(fixTree);
      else if (change.type === "characterData") fixText(change.target);
      else fixLabel(change.target);
    }
  }).observe(document.body, {
    childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ["aria-label"],
  });
  fixTree(document.body);
  // After a sidebar link on a phone the sidebar is kept closed until the new page has run:
  // it may render the sidebar (and its button) late, or open it again while it renders. The
  // watch ends a second after the run, after 30 s at most, or when the user opens it.
  let watchUntil = 0;
  let hardStop = 0;
  const keepSidebarClosed = () => {
    const now = Date.now();
    if (now > Math.min(watchUntil, hardStop)) return;
    if (document.querySelector(".stApp")?.dataset.testScriptState !== "notRunning") {
      watchUntil = Math.max(watchUntil, now + 1000);
    }
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (sidebar && sidebar.getAttribute("data-collapsed") !== "true") {
      document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
    }
    setTimeout(keepSidebarClosed, 250);
  };
  document.addEventListener("click", (event) => {
    if (!event.target.closest) return;
    if (event.target.closest('[data-testid="stExpandSidebarButton"]')) {
      watchUntil = 0;  // the user opens it: leave it open
      return;
    }
    const link = event.target.closest('[data-testid="stSidebar"] a[href]');
    if (!link || window.innerWidth >= %(phone)d) return;
    const watching = Date.now() <= Math.min(watchUntil, hardStop);
    watchUntil = Date.now() + 3000;
    hardStop = Date.now() + 30000;
    if (!watching) setTimeout(keepSidebarClosed, 50);
  }, true);
})();
</script>
"""


def script() -> str:
    """The page script that puts Streamlit's words in Bahasa and closes the phone sidebar."""
    return _SCRIPT % {
        "texts": json.dumps(TEXTS),
        "labels": json.dumps(LABELS),
        "text_patterns": json.dumps(TEXT_PATTERNS),
        "label_patterns": json.dumps(LABEL_PATTERNS),
        "phone": PHONE_WIDTH,
    }
