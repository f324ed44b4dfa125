"""What an outreach event is, and the checks every new or edited event passes.

An event carries no personal data: a date or date range, a regency (and, optionally, one of
its kecamatan), a kind, a target group, the organising unit and a short note.
:func:`validate` returns the problems in Bahasa Indonesia (one per field), so the form, the
spreadsheet import and the command line say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from geo.regions import UnknownRegionError, is_known, normalize_code, region_name
from queries.filters import LATEST_DATE, PROGRAMME_START

KINDS = {
    "sosialisasi": "Sosialisasi",
    "layanan_luring": "Layanan pendaftaran luring",
    "kunjungan_desa": "Kunjungan desa/kelurahan",
    "media_lokal": "Media lokal",
    "lainnya": "Lainnya",
}
"""Stored value → label shown on screen and in the spreadsheet."""

TARGET_GROUPS = {
    "umum": "Umum",
    "perempuan": "Perempuan",
    "disabilitas": "Penyandang disabilitas",
    "pemuda": "Pemuda (18–25 tahun)",
}

MAX_ORGANISER = 120
MAX_NOTE = 500
MAX_DAYS = 92
"""A longer range is a programme, not an event: record its parts instead."""
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters (NUL among them) that no text field may hold: PostgreSQL refuses NUL
outright, and none of them shows on a screen. Tab and line breaks are fine."""


@dataclass(frozen=True)
class EventInput:
    """The fields a person types (or a spreadsheet row holds), before validation."""

    regency_code: str
    start_date: date
    end_date: date
    kind: str
    target_group: str
    organiser: str
    note: str = ""
    district_code: str | None = field(default=None, kw_only=True)
    """A kecamatan of the regency (6 digits), or None for the whole regency (keyword-only,
    so that positional events written before it keep their meaning)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Event(EventInput):
    """A stored event: its id, its version (for optimistic concurrency) and who touched it."""

    id: int = 0
    version: int = 1
    uid: str = ""
    """A random identity: a save names it with the id, so it never lands on another event."""
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    @property
    def province_code(self) -> str:
        return self.regency_code[:2]

    def is_planned(self, today: date) -> bool:
        """Planned: it has not started yet (shown as *direncanakan*)."""
        return self.start_date > today

    def fields(self) -> EventInput:
        return EventInput(
            self.regency_code,
            self.start_date,
            self.end_date,
            self.kind,
            self.target_group,
            self.organiser,
            self.note,
            district_code=self.district_code,
        )


class EventError(ValueError):
    """An event that failed validation; ``problems`` maps field → message (Indonesian)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def regency_problem(raw: str) -> str | None:
    """Why ``raw`` is not a current regency code, or None."""
    try:
        code = normalize_code(raw)
    except UnknownRegionError:
        return f"Kabupaten/kota tidak dikenal: {str(raw)[:20]!r}"
    if len(code) != 4 or not is_known(code):
        return f"Kabupaten/kota tidak dikenal: {str(raw)[:20]!r}"
    return None


def district_problem(raw: str | None, regency_raw: str) -> str | None:
    """Why ``raw`` is not a kecamatan of the regency ``regency_raw``, or None (also for no
    kecamatan at all: it is optional)."""
    if not raw:
        return None
    try:
        code, regency = normalize_code(raw), normalize_code(regency_raw)
    except UnknownRegionError:
        return f"Kecamatan tidak dikenal: {str(raw)[:20]!r}"
    if len(code) != 6 or not is_known(code):
        return f"Kecamatan tidak dikenal: {str(raw)[:20]!r}"
    if code[:4] != regency:
        return f"Kecamatan {region_name(code)} bukan bagian dari kabupaten/kota kegiatan ini."
    return None


def validate(event: EventInput) -> dict[str, str]:
    """Problems per field (empty when the event is fine)."""
    problems: dict[str, str] = {}
    if problem := regency_problem(event.regency_code):
        problems["regency_code"] = problem
    elif problem := district_problem(event.district_code, event.regency_code):
        problems["district_code"] = problem
    dates = (event.start_date, event.end_date)
    if not all(isinstance(value, date) for value in dates):
        problems["start_date"] = "Tanggal harus berupa tanggal (TTTT-BB-HH)."
    elif not all(PROGRAMME_START <= value <= LATEST_DATE for value in dates):
        problems["start_date"] = (
            f"Tanggal di luar masa program ({PROGRAMME_START:%d-%m-%Y} s.d. "
            f"{LATEST_DATE:%d-%m-%Y})."
        )
    elif event.end_date < event.start_date:
        problems["end_date"] = "Tanggal selesai jatuh sebelum tanggal mulai."
    elif (event.end_date - event.start_date).days >= MAX_DAYS:
        problems["end_date"] = f"Rentang kegiatan paling lama {MAX_DAYS} hari."
    if event.kind not in KINDS:
        problems["kind"] = f"Jenis kegiatan tidak dikenal: {str(event.kind)[:30]!r}"
    if event.target_group not in TARGET_GROUPS:
        problems["target_group"] = (
            f"Kelompok sasaran tidak dikenal: {str(event.target_group)[:30]!r}"
        )
    organiser = (event.organiser or "").strip()
    if not organiser:
        problems["organiser"] = "Unit penyelenggara wajib diisi."
    elif len(organiser) > MAX_ORGANISER:
        problems["organiser"] = (
            f"Unit penyelenggara terlalu panjang ({len(organiser)} karakter, "
            f"paling banyak {MAX_ORGANISER})."
        )
    if len(event.note or "") > MAX_NOTE:
        problems["note"] = (
            f"Catatan terlalu panjang ({len(event.note)} karakter, paling banyak {MAX_NOTE})."
        )
    for name, label in (("organiser", "Unit penyelenggara"), ("note", "Catatan")):
        if CONTROL.search(str(getattr(event, name) or "")):
            problems[name] = (
                f"{label} berisi karakter kendali yang tidak dapat disimpan (misalnya NUL): "
                "hapus karakter itu."
            )
    return problems


def cleaned(event: EventInput) -> EventInput:
    """The event with a canonical regency code and trimmed text, or :class:`EventError`."""
    problems = validate(event)
    if problems:
        raise EventError(problems)
    return EventInput(
        normalize_code(event.regency_code),
        event.start_date,
        event.end_date,
        event.kind,
        event.target_group,
        event.organiser.strip(),
        (event.note or "").strip(),
        district_code=normalize_code(event.district_code) if event.district_code else None,
    )
