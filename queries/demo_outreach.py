"""Outreach events planted in the synthetic replica, with known effects (the demo's truth).

The synthetic agenda (:data:`PLANTED_EVENTS`) sits beside the synthetic replica: the demo
generator moves registrations of the event's population *in time* into the
:data:`WINDOW_DAYS` days that start with the event, so a planted lift of 1.0 doubles what
that window would have had. Nobody is added or removed, which keeps the calibrated totals
exact. Moved registrations come from the same regency and population, outside a buffer
around the event, so the window before the event is untouched.

Measures: ``offline`` (offline registrations, any group) or ``target`` (the target group's
registrations, any channel). Events with a lift of 0 are planted too: the effect estimate
must report them as showing no effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from geo.regions import region_name

WINDOW_DAYS = 14
DONOR_BUFFER_DAYS = 14
"""Moved registrations come from at least this far before the pre-event window or after the
post-event window, so neither window is touched by the move."""
PLANT_SEED = 4242
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

    @property
    def end_date(self) -> date:
        return self.start_date


PLANTED_EVENTS = (
    PlantedEvent(
        "3201",
        date(2020, 7, 6),
        "layanan_luring",
        "umum",
        "offline",
        1.5,
        "Meja pendaftaran luring di kantor Disnakertrans selama dua pekan.",
    ),
    PlantedEvent(
        "3204",
        date(2020, 7, 13),
        "sosialisasi",
        "umum",
        "offline",
        1.2,
        "Sosialisasi di aula kecamatan bersama kepala desa.",
    ),
    PlantedEvent(
        "3578",
        date(2020, 7, 20),
        "layanan_luring",
        "umum",
        "offline",
        2.0,
        "Layanan pendaftaran luring keliling kelurahan.",
    ),
    PlantedEvent(
        "3603",
        date(2020, 7, 27),
        "kunjungan_desa",
        "umum",
        "offline",
        0.0,
        "Kunjungan ke lima desa.",
    ),
    PlantedEvent(
        "3205",
        date(2020, 8, 3),
        "media_lokal",
        "umum",
        "offline",
        0.0,
        "Siaran radio lokal tentang pendaftaran.",
    ),
    PlantedEvent(
        "3175",
        date(2020, 7, 13),
        "sosialisasi",
        "umum",
        "offline",
        0.0,
        "Sosialisasi di kantor wali kota.",
    ),
    PlantedEvent(
        "3507",
        date(2020, 7, 20),
        "sosialisasi",
        "perempuan",
        "target",
        0.5,
        "Sosialisasi bersama PKK untuk perempuan pencari kerja.",
    ),
    PlantedEvent(
        "3209",
        date(2020, 7, 27),
        "sosialisasi",
        "pemuda",
        "target",
        0.6,
        "Sosialisasi di SMK dan karang taruna.",
    ),
    PlantedEvent(
        "3509",
        date(2020, 8, 3),
        "layanan_luring",
        "disabilitas",
        "target",
        1.0,
        "Pendampingan pendaftaran bagi penyandang disabilitas.",
    ),
)
"""Nine events in large regencies (so the windows hold enough registrations): three with a
lift in offline registrations, three without any, three for another target group."""


def _population(frame: pd.DataFrame, event: PlantedEvent) -> np.ndarray:
    """Rows of the event's regency and measured population."""
    mask = (frame["regency_code"] == event.regency_code).to_numpy()
    if event.measure == "offline":
        return mask & (frame["channel"] == "offline").to_numpy()
    group = {
        "perempuan": frame["gender"] == "F",
        "disabilitas": frame["disability"],
        "pemuda": (2020 - frame["birth_year"]).between(*YOUTH_AGES),
        "umum": pd.Series(True, index=frame.index),
    }[event.target_group]
    return mask & group.to_numpy()


def plant_lifts(frame: pd.DataFrame) -> pd.DataFrame:
    """Registrants with ``registered_at`` moved for each planted event whose windows lie
    inside the frame's period (others, e.g. appended days, are left alone)."""
    rng = np.random.default_rng(PLANT_SEED)
    times = frame["registered_at"].to_numpy().copy()
    first, last = times.min(), times.max()
    for event in PLANTED_EVENTS:
        start = np.datetime64(event.start_date, "s")
        window = np.timedelta64(WINDOW_DAYS, "D")
        buffer = np.timedelta64(DONOR_BUFFER_DAYS, "D")
        if event.lift <= 0 or start - window < first or start + window > last:
            continue
        population = _population(frame, event)
        in_window = population & (times >= start) & (times < start + window)
        donors = np.flatnonzero(
            population & ((times < start - window - buffer) | (times >= start + window + buffer))
        )
        moved = min(round(event.lift * in_window.sum()), len(donors))
        chosen = rng.choice(donors, size=moved, replace=False)
        offsets = rng.integers(0, WINDOW_DAYS * 86_400, size=moved).astype("timedelta64[s]")
        times[chosen] = start + offsets
    return frame.assign(registered_at=times)


def agenda_rows(today: date) -> list[dict[str, object]]:
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
