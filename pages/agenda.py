"""Agenda sosialisasi (for Pemda): record outreach events, import a spreadsheet of plans, and
see each event's effect. Writes are limited to the user's scope and kept in an audit trail;
when the agenda database is unreachable the page is read-only with a banner."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import access, agenda, formatting, outreach_view, state
from dashboard.components import controls, header, tables
from dashboard.components.outreach_impact import unavailable_banner
from geo.regions import dotted, provinces, regencies, region_name
from outreach import spreadsheet
from outreach.events import KINDS, TARGET_GROUPS, Event, EventError, EventInput
from outreach.storage import AgendaUnavailableError, ConflictError, ScopeError

NEW = 0
NO_DISTRICT = ""
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
# The event as this session opened it (id, identity, version): the form starts from it and a
# save names it, so an edit made meanwhile, or a deletion, is detected rather than overwritten.
# It stays selectable when it leaves the list (deleted by someone else), with the typing kept.
opened: dict[int, Event] = st.session_state.setdefault("agenda_dibuka", {})
kept: dict[int, EventInput] = st.session_state.setdefault("agenda_ketikan", {})
listed = {e.id: e for e in events}
picked = st.session_state.get("agenda_pilih", NEW)
if st.session_state.get("agenda_provinsi_dibuka") != province:  # another province: new forms
    opened.clear()
    kept.clear()
st.session_state["agenda_provinsi_dibuka"] = province
for other in [key for key in opened if key != picked]:  # its form (and typing) is gone
    opened.pop(other)
    kept.pop(other, None)


def _label(event_id: int) -> str:
    if event_id == NEW:
        return "Kegiatan baru"
    if event_id in listed:
        return outreach_view.title(listed[event_id])
    return f"{outreach_view.title(opened[event_id])} (tidak ada lagi di daftar)"


def _reload(event_id: int, latest: Event, typed: EventInput) -> None:
    """ "Muat versi terbaru": the form starts again from the stored version, and what was
    typed stays on screen beside it."""
    opened[event_id] = latest
    kept[event_id] = typed


def _save_as_new(typed: EventInput) -> None:
    """ "Simpan sebagai kegiatan baru" after a deletion: the next run creates what was typed."""
    st.session_state["agenda_sebagai_baru"] = typed


st.header("Catat atau ubah kegiatan")
refusal = agenda.write_refusal()
read_only = listing.read_only or refusal is not None
if refusal:
    st.info(refusal)
chosen = st.selectbox(
    "Kegiatan",
    [NEW, *listed, *([picked] if picked in opened and picked not in listed else [])],
    format_func=_label,
    placeholder="Pilih kegiatan…",
    key="agenda_pilih",
)
if chosen != NEW and chosen not in opened:
    opened[chosen] = listed[chosen]
current = opened.get(chosen)
if chosen in kept:
    st.info(
        "Versi terbaru dimuat ke formulir. Isian Anda yang belum disimpan ada di tabel ini: "
        "salin yang masih Anda perlukan ke formulir, lalu simpan."
    )
    tables.show_table(
        outreach_view.events_frame([Event(**kept[chosen].as_dict())], [], today),
        description="Isian Anda yang belum disimpan",
    )
# A new key after each save (or reload) gives a fresh form; the same key keeps what was typed.
round_key = current.version if current is not None else st.session_state.get("agenda_baru", 0)
form_key = f"agenda_form_{chosen}_{round_key}"
regency_codes = list(names)
elsewhere = current is not None and current.regency_code not in names
if elsewhere:  # a newer version moved it out of this province (or out of the user's scope)
    assert current is not None
    read_only = True
    st.warning(
        f"Versi terbaru kegiatan ini tercatat di {region_name(current.regency_code)}: pilih "
        "provinsinya untuk mengubahnya."
    )
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
    # a form does not rerun until it is sent: every kecamatan of the listed regencies, checked
    # against the chosen regency on saving
    kecamatan = outreach_view.district_choices(regency_codes)
    district_codes = [NO_DISTRICT, *kecamatan]
    district = st.selectbox(
        "Kecamatan (opsional)",
        district_codes,
        index=district_codes.index(current.district_code or NO_DISTRICT) if current else 0,
        format_func=lambda code: kecamatan.get(code, "Seluruh kabupaten/kota"),
        placeholder="Pilih kecamatan…",
        key=f"{form_key}_district",
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
    save = buttons[0].form_submit_button("Simpan", type="primary", disabled=read_only)
    remove = buttons[1].form_submit_button("Hapus kegiatan", disabled=read_only or current is None)
if listing.read_only:
    st.caption("Menyimpan dinonaktifkan selama basis data agenda tidak dapat dipakai.")

# "Simpan sebagai kegiatan baru" after the event was deleted: what was typed, as a new event
as_new: EventInput | None = st.session_state.pop("agenda_sebagai_baru", None)
if save and None in (start, end):
    st.error(
        f"Belum disimpan: tulis tanggal sebagai {controls.DATE_HINT}, misalnya 06/07/2020. "
        "Isian Anda masih ada di formulir."
    )
elif save or remove or as_new is not None:
    # a save without both dates stopped above; a removal does not read the dates
    typed = as_new or EventInput(
        regency,
        start,  # type: ignore[arg-type]
        end,  # type: ignore[arg-type]
        kind,
        group,
        organiser,
        note,
        district_code=None if district == NO_DISTRICT else district,
    )
    try:
        if as_new is not None:
            agenda.agenda().create(editor, typed)
            message = "Disimpan sebagai kegiatan baru."
        elif remove and current is not None:
            agenda.agenda().delete(editor, current)
            message = "Kegiatan dihapus."
        elif current is not None:
            agenda.agenda().update(editor, current, typed)
            message = "Perubahan disimpan."
        else:
            agenda.agenda().create(editor, typed)
            message = "Kegiatan disimpan."
    except EventError as error:
        st.error(
            "Belum disimpan:\n" + "\n".join(f"- {p}" for p in error.problems.values()),
        )
    except ConflictError as error:
        st.error(formatting.plain(str(error)))
        if error.current is None:  # deleted
            st.caption("Isian Anda masih ada di formulir.")
            st.button("Simpan sebagai kegiatan baru", on_click=_save_as_new, args=(typed,))
        else:
            st.caption("Versi terbaru yang tersimpan (isian Anda masih ada di formulir):")
            tables.show_table(
                outreach_view.events_frame([error.current], [], today),
                description="Versi terbaru yang tersimpan",
            )
            st.button("Muat versi terbaru", on_click=_reload, args=(chosen, error.current, typed))
    except (AgendaUnavailableError, ScopeError) as error:
        st.error(
            f"Belum disimpan: {error} Isian Anda masih ada di formulir.",
        )
    else:
        opened.pop(chosen, None)
        kept.pop(chosen, None)
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
upload = st.file_uploader(
    "Berkas agenda (XLSX)",
    type=["xlsx"],
    disabled=read_only,
    max_upload_size=spreadsheet.MAX_UPLOAD_MB,
)
if upload is not None and st.button("Impor", disabled=read_only):
    try:
        saved = spreadsheet.import_file(agenda.agenda(), editor, upload)
    except spreadsheet.ImportRejected as rejected:
        st.error(rejected.summary())
        if rejected.per_row:
            tables.show_table(
                pd.DataFrame(
                    {
                        "Baris": [str(p.row or "–") for p in rejected.problems],
                        "Masalah": [formatting.plain(p.message) for p in rejected.problems],
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
    try:  # only the user's scope, filtered before the limit
        trail = agenda.agenda().audit(limit=100, scope=editor.scope)
    except AgendaUnavailableError as error:
        st.warning(str(error))
        trail = []
    tables.show_table(outreach_view.audit_frame(trail), description="Riwayat perubahan agenda")
st.caption(agenda.author_line(editor, scope))
