"""Outreach events planted in the synthetic replica, with known effects (the demo's truth).

The synthetic agenda (:data:`PLANTED_EVENTS`) sits beside the synthetic replica. In an
event's window (its length, within 14 and 42 days, as the effect estimate reads it),
registrants of those same days join the event's population (they are given its regency and
its group: offline channel, women, youth, disability) with the chance that makes the
window's expected count ``1 + lift`` times what it would have been, so a planted lift of 1.0
doubles it. They come from every other regency in
proportion to its size (a few hundred people out of millions at scale 1), nobody is added or
removed, so the calibrated totals stay exact, and the window before the event is untouched.

Measures: ``offline`` (offline registrations, any group) or ``target`` (the target group's
registrations, any channel). Events with a lift of 0 are planted too: the effect estimate
must report them as showing no effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from geo.regions import region_name

WINDOW_DAYS, MAX_WINDOW_DAYS = 14, 42
YOUTH_AGES = (18, 25)
ORGANISER = "Disnakertrans {name}"


@dataclass(frozen=True)
class PlantedEvent:
    regency_code: str
    start_date: date
    kind: str
    target_group: str
    measure: str
    lift: float
    note: str
    days: int = 1

    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(days=self.days - 1)

    @property
    def window_days(self) -> int:
        """The effect's window (``outreach.effect.windows``): the event's length, within
        14 and 42 days. The lift is planted over exactly these days."""
        return min(MAX_WINDOW_DAYS, max(WINDOW_DAYS, self.days))

    @property
    def group(self) -> str:
        """The measured population: ``offline``, or the target group."""
        return "offline" if self.measure == "offline" else self.target_group


PLANTED_EVENTS = (
    PlantedEvent(
        "3201",
        date(2020, 7, 13),
        "layanan_luring",
        "umum",
        "offline",
        1.5,
        "Meja pendaftaran luring di kantor Disnakertrans selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3204",
        date(2020, 7, 13),
        "sosialisasi",
        "umum",
        "offline",
        1.2,
        "Sosialisasi keliling aula kecamatan bersama kepala desa selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3578",
        date(2020, 7, 20),
        "layanan_luring",
        "umum",
        "offline",
        2.0,
        "Layanan pendaftaran luring keliling kelurahan selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3603",
        date(2020, 7, 27),
        "kunjungan_desa",
        "umum",
        "offline",
        0.0,
        "Kunjungan ke desa-desa selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3205",
        date(2020, 8, 3),
        "media_lokal",
        "umum",
        "offline",
        0.0,
        "Siaran radio lokal tentang pendaftaran selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3175",
        date(2020, 7, 13),
        "sosialisasi",
        "umum",
        "offline",
        0.0,
        "Sosialisasi di kantor wali kota dan kecamatan selama empat pekan.",
        days=28,
    ),
    PlantedEvent(
        "3507",
        date(2020, 7, 20),
        "sosialisasi",
        "perempuan",
        "target",
        0.5,
        "Sosialisasi bersama PKK untuk perempuan pencari kerja selama enam pekan.",
        days=42,
    ),
    PlantedEvent(
        "3216",
        date(2020, 7, 13),
        "sosialisasi",
        "pemuda",
        "target",
        0.6,
        "Sosialisasi di SMK dan karang taruna selama enam pekan.",
        days=42,
    ),
    PlantedEvent(
        "3577",
        date(2020, 8, 3),
        "layanan_luring",
        "disabilitas",
        "target",
        1.0,
        "Pendampingan pendaftaran bagi penyandang disabilitas.",
    ),
)
"""Nine events in large regencies, lasting four to six weeks (the effect's window is the
event's length, so it holds two to three times the registrations of a one-day event's 14
days): three with a lift in offline registrations, three without any, two for women and
youth, and a one-day event for people with disabilities in a small city (Kota Madiun), too
few to tell."""


def joining(
    rng: np.random.Generator,
    event: PlantedEvent,
    times: np.ndarray,
    members: np.ndarray,
    chance: float,
) -> np.ndarray:
    """Which of these registrants (at ``times``) join the event's population: in its window,
    not members already, each with ``lift · chance / (1 − chance)``, where ``chance`` is how
    likely a registrant is to be a member anyway."""
    start = np.datetime64(event.start_date, "s")
    in_window = (times >= start) & (times < start + np.timedelta64(event.window_days, "D"))
    if event.lift <= 0 or not in_window.any():
        return np.zeros(len(times), dtype=bool)
    rate = event.lift * chance / (1 - chance)
    return in_window & ~members & (rng.random(len(times)) < rate)


def agenda_rows(today: date) -> list[dict[str, Any]]:
    """The synthetic agenda: the planted events, and one planned event three weeks ahead."""
    rows = [
        {
            "regency_code": event.regency_code,
            "start_date": event.start_date,
            "end_date": event.end_date,
            "kind": event.kind,
            "target_group": event.target_group,
            "organiser": ORGANISER.format(name=region_name(event.regency_code)),
            "note": event.note,
        }
        for event in PLANTED_EVENTS
    ]
    planned = today + timedelta(days=21)
    rows.append(
        {
            "regency_code": "3201",
            "start_date": planned,
            "end_date": planned + timedelta(days=2),
            "kind": "sosialisasi",
            "target_group": "pemuda",
            "organiser": ORGANISER.format(name=region_name("3201")),
            "note": "Rencana: sosialisasi di tiga SMK.",
        }
    )
    return rows
