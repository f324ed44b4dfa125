"""Scoped access: a regional user sees full detail inside their scope, province-level
aggregates elsewhere, and cannot widen the scope by editing the URL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.access import OPEN, Scope, clamp, scope_for
from queries.filters import Filters

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
USERS = {
    "staf@ekon.go.id": "ID",
    "dinas@jabarprov.go.id": "32",
    "@bekasikab.go.id": "32.16",
    "nobody@example.org": "9999",
}
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only-not-a-secret",
    "client_id": "pantau-prakerja",
    "client_secret": "test-only",
    "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
}
FULL = (date(2020, 4, 11), date(2020, 9, 3))


def test_role_map_binds_users_to_scopes() -> None:
    assert scope_for("Staf@Ekon.go.id", USERS) == OPEN
    assert scope_for("dinas@jabarprov.go.id", USERS) == Scope("32")
    assert scope_for("siapa.saja@bekasikab.go.id", USERS) == Scope("3216")
    assert scope_for("nobody@example.org", USERS) is None  # unknown code is no scope
    assert scope_for("stranger@gmail.com", USERS) is None
    assert scope_for(None, USERS) is None


@pytest.mark.parametrize(
    ("scope", "asked", "shown"),
    [
        (Scope("32"), "3273", "3273"),  # own province: full detail
        (Scope("32"), "3578", "35"),  # elsewhere: the province aggregate only
        (Scope("3216"), "3216", "3216"),
        (Scope("3216"), "3273", "32"),  # a neighbour in the same province
        (Scope("3216"), "35", "35"),  # province aggregates are open to all
        (OPEN, "9301", "9301"),
    ],
)
def test_clamp_never_widens_the_scope(scope: Scope, asked: str, shown: str) -> None:
    filters, notices = clamp(Filters(*FULL, region=asked), scope)
    assert filters.region == shown
    assert bool(notices) == (asked != shown)


def test_regency_detail_needs_the_scope() -> None:
    assert Scope("32").sees_regencies_of("32") and not Scope("32").sees_regencies_of("35")
    assert not Scope("3216").sees_regencies_of("32")
    assert OPEN.sees_regencies_of("94")


@pytest.fixture
def app_env(monkeypatch, app_data_dir, boundary_cache) -> None:
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0")


def _app(email: str | None, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = {"users": USERS}
    at.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email}
    if page:
        at.run()
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def test_login_is_required_when_auth_is_configured(app_env) -> None:
    at = _app(None)
    assert not at.exception
    assert any("Masuk" in button.label for button in at.button)
    assert not at.metric  # nothing shown before signing in


def test_unregistered_user_is_refused(app_env) -> None:
    at = _app("stranger@gmail.com")
    assert not at.exception
    assert "belum terdaftar" in at.error[0].value
    assert not at.metric


def test_url_edit_cannot_reach_another_regencys_detail(app_env) -> None:
    at = _app("siapa.saja@bekasikab.go.id", "../pages/daerah_saya.py", wilayah="3578")
    assert not at.exception, at.exception
    assert at.query_params["wilayah"] == "35"
    texts = " ".join(info.value for info in at.info)
    assert "hanya memuat angka tingkat provinsi" in texts
    assert "tidak termasuk akses Anda" in texts
    kabupaten = next(box for box in at.selectbox if box.label == "Kabupaten/kota")
    assert kabupaten.options == ["Seluruh provinsi"]


def test_province_user_sees_own_regencies(app_env) -> None:
    at = _app("dinas@jabarprov.go.id", "../pages/daerah_saya.py", wilayah="3273")
    assert not at.exception, at.exception
    assert at.query_params["wilayah"] == "3273"
    kabupaten = next(box for box in at.selectbox if box.label == "Kabupaten/kota")
    assert len(kabupaten.options) == 28  # 27 regencies of Jawa Barat and the whole province


def test_an_empty_entry_revokes_a_user_whatever_their_domain_allows() -> None:
    users = {**USERS, "mantan.staf@bekasikab.go.id": "", "cuti@bekasikab.go.id": "  "}
    assert scope_for("siapa.saja@bekasikab.go.id", users) == Scope("3216")
    assert scope_for("mantan.staf@bekasikab.go.id", users) is None
    assert scope_for("Cuti@BekasiKab.go.id", users) is None
    assert scope_for("x@y.go.id", {"x@y.go.id": "bukan kode"}) is None


def test_an_unverified_e_mail_is_refused(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = {"users": USERS}
    at.user = {"is_logged_in": True, "email": "staf@ekon.go.id", "email_verified": False}
    at.run()
    assert not at.exception
    assert "belum terverifikasi" in at.error[0].value
    assert not at.metric
    at.user = {"is_logged_in": True, "email": "staf@ekon.go.id", "email_verified": True}
    at.run()
    assert not at.exception and not at.error
    assert at.metric


def test_without_a_secrets_file_the_process_looks_once(tmp_path, monkeypatch) -> None:
    """Streamlit looks for the files again on every access while there is none, under two
    locks; the app looks once per secrets object, and a swapped-in object with ``[auth]``
    (as AppTest does) is still read."""
    from streamlit.runtime.secrets import Secrets

    from dashboard import access

    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(tmp_path))
    looks: list[Secrets] = []
    parse = Secrets._parse

    def counted(self: Secrets) -> Mapping[str, Any]:
        looks.append(self)
        return parse(self)

    monkeypatch.setattr(Secrets, "_parse", counted)
    without_file = Secrets()
    monkeypatch.setattr(st, "secrets", without_file)
    assert [access.auth_configured() for _ in range(5)] == [False] * 5
    assert len(looks) == 1
    configured = Secrets()
    configured._secrets = {"auth": AUTH}
    monkeypatch.setattr(st, "secrets", configured)
    assert access.auth_configured()
    monkeypatch.setattr(st, "secrets", without_file)
    assert not access.auth_configured()
    assert len(looks) == 2  # the configured object's one look; none more for the fileless one
