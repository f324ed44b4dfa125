"""Agenda sosialisasi (for Pemda): record outreach events, import a spreadsheet of plans, and
see each event's effect. Writes are limited to the user's scope and kept in an audit trail;
when the agenda database is unreachable the page is read-only with a banner."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import access, agenda, formatting, outreach_view, state
from dashboard.components import controls, header, tables
from dashboard.components.outreach_impact import unavailable_banner
from geo.regions import dotted, provinces, regencies
from outreach import spreadsheet
from outreach.events import KINDS, TARGET_GROUPS, EventError, EventInput
from outreach.storage import AgendaUnavailableError, ConflictError, ScopeError

NEW = 0
WHOLE = "__semua__"

# --- who, and which region -------------------------------------------------------------------
scope = access.current_scope()
editor = agenda.editor(scope)
notices: list[str] = []
header.page_header(
    "Agenda sosialisasi",
    "Catat kegiatan sosialisasi, layanan pendaftaran luring, kunjungan desa dan media lokal, "
    "lalu lihat dampaknya pada pendaftaran.",
    notices,
)
writable_regencies = regencies().loc[lambda r: [editor.may_edit(c) for c in r["code"]]]
province_names = dict(zip(provinces()["code"], provinces()["name"], strict=True))
own_provinces = sorted(set(writable_regencies["province_code"]))
default_province = state.remembered_region(scope.code if not scope.national else "32")[:2]
province = st.selectbox(
    "Provinsi",
    own_provinces,
    index=own_provinces.index(default_province) if default_province in own_provinces else 0,
    format_func=province_names.__getitem__,
    placeholder="Pilih provinsi…",
    key="agenda_provinsi",
)
state.write_value("wilayah", province)
state.remember_region(province)
choices = writable_regencies.loc[writable_regencies["province_code"] == province]
names = dict(zip(choices["code"], choices["name"], strict=True))

# --- the list --------------------------------------------------------------------------------
listing = agenda.events(province)
if listing.problem:
    unavailable_banner(listing.problem)
today = date.today()
events = [e for e in listing.events if editor.may_edit(e.regency_code)]
st.header(f"Kegiatan di {province_names[province]}")
if events:
    tables.show_table(
        outreach_view.events_frame(events, agenda.effects(events), today),
        description=f"Kegiatan sosialisasi di {province_names[province]}",
    )
else:
    st.info("Belum ada kegiatan tercatat.")


# --- add or edit one event -------------------------------------------------------------------
def _label(event_id: int) -> str:
    if event_id == NEW:
        return "Kegiatan baru"
    event = next(e for e in events if e.id == event_id)
    return outreach_view.title(event)


st.header("Catat atau ubah kegiatan")
chosen = st.selectbox(
    "Kegiatan",
    [NEW, *(e.id for e in events)],
    format_func=_label,
    placeholder="Pilih kegiatan…",
    key="agenda_pilih",
)
current = next((e for e in events if e.id == chosen), None)
# The version the editor opened: a later save names it, so a concurrent edit is detected.
opened_key = f"agenda_versi_{chosen}"
if current is not None and opened_key not in st.session_state:
    st.session_state[opened_key] = current.version
# A new key after each save gives a fresh form; the same key keeps what was typed.
round_key = opened_key if current is not None else "agenda_baru"
form_key = f"agenda_form_{chosen}_{st.session_state.get(round_key, 0)}"
regency_codes = list(names)
# the event's regency, else the one chosen on another page or saved last
preferred = current.regency_code if current else state.remembered_region("")
with st.form(form_key, clear_on_submit=False, enter_to_submit=False):
    regency = st.selectbox(
        "Kabupaten/kota",
        regency_codes,
        index=regency_codes.index(preferred) if preferred in regency_codes else 0,
        format_func=lambda code: f"{names[code]} ({dotted(code)})",
        placeholder="Pilih kabupaten/kota…",
        key=f"{form_key}_regency",
    )
    dates = st.columns(2)
    start = controls.date_field(
        "Tanggal mulai", current.start_date if current else today, f"{form_key}_start", dates[0]
    )
    end = controls.date_field(
        "Tanggal selesai", current.end_date if current else today, f"{form_key}_end", dates[1]
    )
    kinds, groups = list(KINDS), list(TARGET_GROUPS)
    pick = st.columns(2)
    kind = pick[0].selectbox(
        "Jenis kegiatan",
        kinds,
        index=kinds.index(current.kind) if current else 0,
        format_func=KINDS.__getitem__,
        placeholder="Pilih jenis…",
        key=f"{form_key}_kind",
    )
    group = pick[1].selectbox(
        "Kelompok sasaran",
        groups,
        index=groups.index(current.target_group) if current else 0,
        format_func=TARGET_GROUPS.__getitem__,
        placeholder="Pilih kelompok…",
        key=f"{form_key}_group",
    )
    organiser = st.text_input(
        "Unit penyelenggara",
        value=current.organiser if current else "",
        key=f"{form_key}_organiser",
    )
    note = st.text_area(
        "Catatan singkat (paling banyak 500 karakter; tanpa data pribadi peserta)",
        value=current.note if current else "",
        key=f"{form_key}_note",
    )
    buttons = st.columns(2)
    save = buttons[0].form_submit_button("Simpan", type="primary", disabled=listing.read_only)
    remove = buttons[1].form_submit_button(
        "Hapus kegiatan", disabled=listing.read_only or current is None
    )
if listing.read_only:
    st.caption("Menyimpan dinonaktifkan selama basis data agenda tidak dapat dijangkau.")

if save and None in (start, end):
    st.error(
        f"Belum disimpan: tulis tanggal sebagai {controls.DATE_HINT}, misalnya 06/07/2020. "
        "Isian Anda masih ada di formulir."
    )
elif save or remove:
    # a save without both dates stopped above; a removal does not read the dates
    typed = EventInput(regency, start, end, kind, group, organiser, note)  # type: ignore[arg-type]
    try:
        if remove and current is not None:
            agenda.agenda().delete(editor, current.id, st.session_state[opened_key])
            message = "Kegiatan dihapus."
        elif current is not None:
            agenda.agenda().update(editor, current.id, st.session_state[opened_key], typed)
            message = "Perubahan disimpan."
        else:
            agenda.agenda().create(editor, typed)
            message = "Kegiatan disimpan."
    except EventError as error:
        st.error(
            "Belum disimpan:\n" + "\n".join(f"- {p}" for p in error.problems.values()),
        )
    except ConflictError as error:
        st.error(str(error))
        st.button(
            "Muat versi terbaru",
            on_click=lambda: st.session_state.pop(opened_key, None),
        )
        if error.current is not None:
            st.caption("Versi terbaru yang tersimpan (isian Anda masih ada di formulir):")
            tables.show_table(outreach_view.events_frame([error.current], [], today))
    except (AgendaUnavailableError, ScopeError) as error:
        st.error(
            f"Belum disimpan: {error} Isian Anda masih ada di formulir.",
        )
    else:
        st.session_state.pop(opened_key, None)
        state.remember_region(regency)  # the fresh form keeps the regency just used
        st.session_state["agenda_baru"] = st.session_state.get("agenda_baru", 0) + 1
        st.toast(message)
        st.rerun()

# --- import a spreadsheet of plans -----------------------------------------------------------
st.header("Impor dari spreadsheet")
st.caption(
    "Unduh templat, isi satu kegiatan per baris, lalu unggah. Semua baris diperiksa; tidak "
    "ada yang disimpan kecuali seluruh berkas benar."
)
st.download_button(
    "Unduh templat XLSX",
    data=spreadsheet.template(),
    file_name="templat-agenda-sosialisasi.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
upload = st.file_uploader("Berkas agenda (XLSX)", type=["xlsx"], disabled=listing.read_only)
if upload is not None and st.button("Impor", disabled=listing.read_only):
    try:
        saved = spreadsheet.import_file(agenda.agenda(), editor, upload.getvalue())
    except spreadsheet.ImportRejected as rejected:
        st.error(f"Berkas ditolak: {rejected}")
        tables.show_table(
            pd.DataFrame(
                {
                    "Baris": [str(p.row or "–") for p in rejected.problems],
                    "Masalah": [p.message for p in rejected.problems],
                }
            ),
            description="Masalah pada berkas yang ditolak",
        )
    except AgendaUnavailableError as error:
        st.error(f"Belum diimpor: {error}")
    else:
        st.success(f"{formatting.number(len(saved))} kegiatan diimpor.")

# --- audit trail -----------------------------------------------------------------------------
with st.expander("Riwayat perubahan"):
    try:
        trail = agenda.agenda().audit(limit=100)
    except AgendaUnavailableError as error:
        st.warning(str(error))
        trail = []
    visible = [
        entry
        for entry in trail
        if editor.may_edit(str((entry.after or entry.before or {}).get("regency_code", "")))
    ]
    tables.show_table(outreach_view.audit_frame(visible), description="Riwayat perubahan agenda")
st.caption(agenda.author_line(editor, scope))
