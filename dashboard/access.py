"""Who may see what: optional login (Streamlit's OIDC ``st.login``) and a role map.

Configured in ``.streamlit/secrets.toml``: an ``[auth]`` section turns login on, and
``[access.users]`` binds e-mail addresses (or ``@domain``) to a scope: ``"ID"`` (national),
a 2-digit province or a 4-digit regency code. A scoped user sees full detail inside their
scope and only province-level aggregates elsewhere. The scope is applied to the view state
after the URL is read, so editing the URL cannot widen it. Without ``[auth]`` the dashboard
runs open (national scope) and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from dashboard.formatting import plain
from geo.regions import NATION_CODE, UnknownRegionError, is_known, normalize_code, region_name
from queries.filters import Filters


@dataclass(frozen=True)
class Scope:
    """The region a user may see in full detail."""

    code: str

    @property
    def national(self) -> bool:
        return self.code == NATION_CODE

    def sees_regencies_of(self, province: str) -> bool:
        """Regency-level figures of a whole province (regency maps, outreach ranking)."""
        return self.national or self.code == province

    def sees_detail_of(self, code: str) -> bool:
        """Full detail for a region: provinces' aggregates are open to everyone; a regency
        only inside the scope."""
        if self.national or len(code) == 2 or code == NATION_CODE:
            return True
        return code.startswith(self.code)

    def may_export_deck(self, region: str) -> bool:
        """A deck about a province shows its regencies (map, outreach ranking)."""
        return region == NATION_CODE or self.sees_regencies_of(region[:2])

    def describe(self) -> str:
        return "nasional" if self.national else region_name(self.code)


OPEN = Scope(NATION_CODE)


def scope_for(email: str | None, users: Mapping[str, str]) -> Scope | None:
    """The scope bound to an e-mail address (exact match first, then ``@domain``). An
    address's own entry wins even when it is empty: ``""`` revokes that user, whatever
    their domain's entry says."""
    if not email:
        return None
    email = email.strip().lower()
    table = {key.strip().lower(): str(value).strip() for key, value in users.items()}
    raw = table[email] if email in table else table.get("@" + email.rsplit("@", 1)[-1])
    if not raw:
        return None
    try:
        code = NATION_CODE if raw.upper() == NATION_CODE else normalize_code(raw)
    except UnknownRegionError:
        return None
    return Scope(code) if is_known(code) else None


def clamp(filters: Filters, scope: Scope) -> tuple[Filters, list[str]]:
    """Narrow a requested view to what the scope allows, with a notice when it had to."""
    if scope.sees_detail_of(filters.region):
        return filters, []
    return filters.with_region(filters.region[:2]), [
        f"Akses Anda ({scope.describe()}) hanya memuat angka tingkat provinsi di luar "
        f"wilayah Anda: {region_name(filters.region)} ditampilkan sebagai provinsinya."
    ]


_FOUND_WITHOUT_FILE: list[object] = []
"""The secrets object that had no file at its first look (at most one; tests swap in others)."""


def auth_configured() -> bool:
    """Whether ``[auth]`` is configured. While no secrets file exists, Streamlit looks for one
    again on every access, under its secrets lock and its config lock; two to four looks per
    run serialised the sessions of a busy worker (docs/PERFORMANCE.md). So a process that
    found no file keeps running open: adding secrets.toml takes a restart, as any change of
    login settings does."""
    secrets = st.secrets
    if any(seen is secrets for seen in _FOUND_WITHOUT_FILE):
        return False
    try:
        return "auth" in secrets
    except FileNotFoundError:
        _FOUND_WITHOUT_FILE[:] = [secrets]
        return False


def signed_in_email() -> str | None:
    """The signed-in account's e-mail claim (Streamlit types claims loosely: text, flags),
    or None when the identity provider says the address is not verified."""
    email = st.user.get("email")
    if not isinstance(email, str) or not email_verified(st.user.get("email_verified", True)):
        return None
    return email


def email_verified(claim: object) -> bool:
    """The OIDC ``email_verified`` claim (callers pass True when it is absent: providers
    that do not send it are trusted): only a true flag (or the text ``true``, which some
    providers send) counts as verified."""
    if isinstance(claim, str):
        return claim.strip().lower() == "true"
    return claim is True


def _role_map() -> Mapping[str, str]:
    try:
        return st.secrets.get("access", {}).get("users", {})
    except FileNotFoundError:
        return {}


def current_scope() -> Scope:
    """The signed-in user's scope, or the open national scope when login is not configured.

    When login is configured but the user is not signed in (or not in the role map), this
    renders the sign-in prompt or the refusal and stops the script.
    """
    if not auth_configured():
        return OPEN
    if not st.user.is_logged_in:
        st.info("Masuk untuk membuka dasbor Pantau Prakerja.")
        st.button("Masuk", on_click=st.login)
        st.stop()
    if not email_verified(st.user.get("email_verified", True)):
        st.error(
            f"Alamat e-mail akun {plain(st.user.get('email'))} belum terverifikasi oleh penyedia "
            "login. Verifikasi alamatnya, lalu masuk lagi.",
        )
        st.button("Keluar", on_click=st.logout)
        st.stop()
    scope = scope_for(signed_in_email(), _role_map())
    if scope is None:
        st.error(
            f"Akun {plain(st.user.get('email'))} belum terdaftar untuk wilayah mana pun. "
            "Hubungi admin Pantau Prakerja.",
        )
        st.button("Keluar", on_click=st.logout)
        st.stop()
    return scope


def sidebar_identity(scope: Scope) -> None:
    """Who is signed in and what they may see (or that the dashboard is open)."""
    with st.sidebar:
        if auth_configured():
            st.caption(f"Masuk sebagai {plain(st.user.get('email'))} · akses {scope.describe()}")
            st.button("Keluar", on_click=st.logout, key="logout")
        else:
            st.caption("Tanpa login: dasbor terbuka (akses nasional).")
