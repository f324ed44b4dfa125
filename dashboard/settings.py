"""Display settings, declared once with their help text (listed in the README)."""

from __future__ import annotations

from queries.settings import Setting, number_setting

SUPPRESSION_THRESHOLD = Setting(
    "PRAKERJA_SUPPRESSION_THRESHOLD",
    "10",
    "Counts below this in regency-level breakdowns show as '<N' (with complementary suppression).",
    "Jumlah di bawah angka ini pada rincian tingkat kabupaten/kota tampil sebagai '<N' "
    "(dengan penyembunyian pelengkap).",
)
CACHE_TTL_SECONDS = Setting(
    "PRAKERJA_CACHE_TTL_SECONDS",
    "600",
    "How long query results stay in the app's cache.",
    "Berapa lama hasil kueri disimpan di cache aplikasi, dalam detik.",
)

LAG_WARNING_SECONDS = Setting(
    "PRAKERJA_LAG_WARNING_SECONDS",
    "900",
    "Replication lag (seconds) above which every screen warns that the replica is behind.",
    "Jeda replikasi (detik) yang membuat setiap layar memperingatkan bahwa replika tertinggal.",
)

AGENDA_OPEN_WRITE = Setting(
    "PRAKERJA_AGENDA_OPEN_WRITE",
    "0",
    "1 = without login (no [auth] in secrets.toml) anyone may record, edit and delete agenda "
    "events (the open demo of `make run`). By default the agenda is read-only without login.",
    "1 = tanpa login, siapa pun boleh mencatat, mengubah dan menghapus kegiatan agenda (demo "
    "terbuka `make run`). Bawaannya, agenda hanya dapat dibaca tanpa login.",
)

DISPLAY_SETTINGS = (
    SUPPRESSION_THRESHOLD,
    CACHE_TTL_SECONDS,
    LAG_WARNING_SECONDS,
    AGENDA_OPEN_WRITE,
)


def suppression_threshold() -> int:
    return int(number_setting(SUPPRESSION_THRESHOLD, minimum=1, maximum=1000, example="10"))


def lag_warning_seconds() -> float:
    return number_setting(LAG_WARNING_SECONDS, minimum=0, maximum=10**7, example="900")


def cache_ttl_seconds() -> int:
    return int(number_setting(CACHE_TTL_SECONDS, minimum=0, maximum=10**7, example="600"))


def agenda_open_write() -> bool:
    return AGENDA_OPEN_WRITE.get() == "1"
