"""The app's side of the subscriptions: the "Langganan laporan" page (subscribe inside the
user's scope, see each subscription's last delivery, stop one) and the unsubscribe link
(``?berhenti=TOKEN``), handled before any login so that it works from the e-mail alone.

Opening the link stops nothing by itself: the page asks, and the reader's click stops the
subscription. A mail scanner that fetches the URL never opens the websocket session, and one
that renders the page does not press the button.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import access, data, formatting
from dashboard.agenda import editor as page_editor
from dashboard.components import header, tables
from dashboard.subscriptions import unsubscribe
from dashboard.subscriptions.storage import (
    FORMATS,
    FREQUENCIES,
    WEEKDAYS,
    Delivery,
    Subscription,
    SubscriptionError,
    SubscriptionInput,
    Subscriptions,
)
from geo.regions import NATION_CODE, all_regions, region_name
from outreach.storage import AgendaUnavailableError, Editor, default_url

LINK_ACTOR = "tautan berhenti berlangganan (surel)"
STATUS_WORDS = {"sent": "terkirim", "failed": "gagal", "sending": "sedang dikirim"}


@st.cache_resource(show_spinner=False)
def _subscriptions(url: str) -> Subscriptions:
    """One migrated connection pool per database URL and process."""
    return Subscriptions(url).migrate()


def subscriptions() -> Subscriptions:
    return _subscriptions(default_url())


# --- the unsubscribe link ------------------------------------------------------------------


def handle_unsubscribe() -> bool:
    """Stop the subscription the ``berhenti`` link names, once the reader confirms; True when
    the URL was such a link (the caller then shows nothing else).

    Opening the link only asks: mail security scanners open (and some render) every link in
    a message, and a subscription must not end because a scanner looked at it. Mail clients'
    one-click button POSTs instead (``one_click``), which needs no page."""
    raw = st.query_params.get(unsubscribe.PARAMETER)
    if raw is None:
        return False
    st.title("Berhenti berlangganan")
    number = unsubscribe.verify(raw)
    if number is None:
        st.error("Tautan ini tidak sah atau terpotong. Salin seluruh tautan dari surel.")
        return True
    try:
        named = subscriptions().get(number)
        if named is None or not named.active:
            st.info("Langganan ini sudah tidak ada atau sudah dihentikan.")
            return True
        st.write(
            formatting.plain(
                f"Hentikan laporan {region_name(named.region_code)} yang dikirim ke {named.email}?"
            )
        )
        if not st.button("Ya, hentikan langganan", type="primary"):
            return True
        stopped = subscriptions().set_active(LINK_ACTOR, number, False)
    except AgendaUnavailableError as error:
        st.error(f"Langganan belum dapat dihentikan: {error} Coba lagi nanti.")
        return True
    if stopped is None:
        st.info("Langganan ini sudah tidak ada.")
    else:
        st.success(
            formatting.plain(
                f"Langganan laporan {region_name(stopped.region_code)} untuk {stopped.email} "
                "telah dihentikan. Anda tidak akan menerima surel ini lagi."
            )
        )
    return True


# --- the page ------------------------------------------------------------------------------


def render() -> None:
    scope = access.current_scope()
    editor = page_editor(scope)
    header.page_header(
        "Langganan laporan",
        "Terima angka mingguan atau bulanan wilayah Anda lewat surel, dengan dek PDF atau "
        "laporan HTML luring, tanpa perlu membuka dasbor.",
        [],
    )
    problem = data.refresh_problem()
    if problem:
        st.warning(
            f"Pengiriman laporan tertunda: penyegaran data gagal sejak "
            f"{formatting.timestamp(problem[1])}. Surel dikirim setelah penyegaran berhasil."
        )
    try:
        store = subscriptions()
        _form(store, editor)
        _listing(store, editor)
    except AgendaUnavailableError as error:
        st.error(str(error))


def _region_choices(editor: Editor) -> dict[str, str]:
    regions = all_regions()
    choices = {NATION_CODE: "Indonesia (nasional)"} if editor.scope == NATION_CODE else {}
    for code, name in zip(regions["code"], regions["name"], strict=True):
        if editor.may_edit(code):
            choices[code] = f"{name} ({code})"
    return choices


def _form(store: Subscriptions, editor: Editor) -> None:
    st.header("Berlangganan")
    signed_in = access.signed_in_email() if access.auth_configured() else None
    choices = _region_choices(editor)
    with st.form("langganan_baru", clear_on_submit=False):
        email = st.text_input("Alamat surel", value=signed_in or "")
        region = st.selectbox(
            "Wilayah", list(choices), format_func=choices.__getitem__, placeholder="Pilih wilayah…"
        )
        frequency = st.radio(
            "Frekuensi", list(FREQUENCIES), format_func=FREQUENCIES.__getitem__, horizontal=True
        )
        day = st.selectbox(
            "Hari pengiriman (mingguan)", WEEKDAYS, format_func=str.capitalize, placeholder="Pilih…"
        )
        fmt = st.selectbox(
            "Format", list(FORMATS), format_func=FORMATS.__getitem__, placeholder="Pilih…"
        )
        submitted = st.form_submit_button("Simpan langganan")
    if not submitted:
        return
    weekday = WEEKDAYS.index(day) if frequency == "weekly" else None
    try:
        saved = store.subscribe(
            editor, SubscriptionInput(email, str(region), frequency, weekday, fmt)
        )
    except SubscriptionError as error:
        st.error(f"Langganan belum disimpan: {error}")
        return
    st.success(
        f"Tersimpan: {saved.email} menerima laporan {region_name(saved.region_code)}, "
        f"{saved.describe()}."
    )


def _listing(store: Subscriptions, editor: Editor) -> None:
    st.header("Langganan yang ada")
    shown = [
        s
        for s in store.subscriptions(editor.scope)
        if editor.scope == NATION_CODE or not access.auth_configured() or s.email == editor.who
    ]
    if not shown:
        st.info("Belum ada langganan.")
        return
    last = store.last_deliveries()
    tables.show_table(_frame(shown, last), description="Langganan laporan dan pengiriman terakhir")
    active = {s.id: f"{s.email} · {region_name(s.region_code)}" for s in shown if s.active}
    if not active:
        return
    chosen = st.selectbox(
        "Hentikan langganan", list(active), format_func=active.__getitem__, placeholder="Pilih…"
    )
    if st.button("Hentikan"):
        store.set_active(editor.who, int(chosen), False)
        st.rerun()  # the table shows it stopped


def _frame(shown: list[Subscription], last: dict[int, Delivery]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Surel": [s.email for s in shown],
            "Wilayah": [region_name(s.region_code) for s in shown],
            "Jadwal": [s.describe() for s in shown],
            "Aktif": ["ya" if s.active else "berhenti" for s in shown],
            "Pengiriman terakhir": [_delivery_text(last.get(s.id)) for s in shown],
        }
    )


def _delivery_text(delivery: Delivery | None) -> str:
    if delivery is None:
        return "Belum ada"
    when = formatting.timestamp(delivery.sent_at or delivery.claimed_at)
    text = f"{STATUS_WORDS.get(delivery.status, delivery.status)}, {when}"
    if delivery.error:
        text += f" ({delivery.attempts}× dicoba: {delivery.error})"
    return text
