"""Outreach events planted in the synthetic replica, with known effects (the demo's truth),
and the harder truth around them that real registrations have.

The synthetic agenda (:data:`PLANTED_EVENTS`) sits beside the synthetic replica. In an
event's window (its length, within 14 and 42 days, as the effect estimate reads it),
registrants of those same days join the event's population (they are given its regency and
its group: everyone, offline channel, women, youth, disability) with the chance that makes
the window's expected count ``1 + lift`` times what it would have been, so a planted lift of
1.0 doubles it. They come from every other regency in proportion to its size, nobody is
added or removed, so the calibrated totals stay exact, and the window before the event is
untouched. Events with a lift of 0 are planted too: the estimate must find no effect.

Around them (:func:`weekly_shares`, :func:`reassign`): each regency's share of its province
follows its own random-walk trend (:data:`TREND_SD`) with week-to-week scatter beyond Poisson
(:data:`WEEKLY_SD`), and sinks by :data:`DIP` in the week before each planted event;
registrants are redrawn within their own province, so every province's (and the nation's)
count stays exactly what the calibration drew. Each lifted event also spills
:data:`SPILLOVER` of its lift into its nearest neighbours (:func:`spillovers`), which the
estimate must keep out of its comparison.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from geo.adjacency import label_point_neighbours
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
        """The measured population: ``offline``, ``registrants`` (everyone), or the target
        group."""
        return self.target_group if self.measure == "target" else self.measure


def _event(
    code: str, start: date, kind: str, target: str, measure: str, lift: float, note: str, days: int
) -> PlantedEvent:
    return PlantedEvent(code, start, kind, target, measure, lift, note, days)


PLANTED_EVENTS = (
    _event(
        "3201",
        date(2020, 7, 13),
        "layanan_luring",
        "umum",
        "registrants",
        0.4,
        "Meja pendaftaran luring di kantor Disnakertrans selama empat pekan.",
        28,
    ),
    _event(
        "3204",
        date(2020, 8, 17),
        "layanan_luring",
        "umum",
        "offline",
        1.5,
        "Layanan pendaftaran luring di aula kecamatan selama dua pekan.",
        14,
    ),
    _event(
        "3578",
        date(2020, 8, 20),
        "layanan_luring",
        "umum",
        "offline",
        2.0,
        "Layanan pendaftaran luring keliling kelurahan selama dua pekan.",
        14,
    ),
    _event(
        "3603",
        date(2020, 7, 27),
        "kunjungan_desa",
        "umum",
        "registrants",
        0.0,
        "Kunjungan ke desa-desa selama empat pekan.",
        28,
    ),
    _event(
        "3205",
        date(2020, 8, 3),
        "media_lokal",
        "umum",
        "registrants",
        0.0,
        "Siaran radio lokal tentang pendaftaran selama empat pekan.",
        28,
    ),
    _event(
        "3175",
        date(2020, 7, 13),
        "sosialisasi",
        "umum",
        "registrants",
        0.0,
        "Sosialisasi di kantor wali kota dan kecamatan selama empat pekan.",
        28,
    ),
    _event(
        "3507",
        date(2020, 7, 20),
        "sosialisasi",
        "perempuan",
        "target",
        0.5,
        "Sosialisasi bersama PKK untuk perempuan pencari kerja selama enam pekan.",
        42,
    ),
    _event(
        "3216",
        date(2020, 7, 13),
        "sosialisasi",
        "pemuda",
        "target",
        0.6,
        "Sosialisasi di SMK dan karang taruna selama enam pekan.",
        42,
    ),
    _event(
        "3577",
        date(2020, 8, 3),
        "layanan_luring",
        "disabilitas",
        "target",
        1.0,
        "Pendampingan pendaftaran bagi penyandang disabilitas.",
        1,
    ),
)
"""Nine events in large regencies, each right after a dip in its regency's registrations
(:data:`DIP`): a four-week offline registration desk lifting all registrants by 40% (its
before window starts before offline registration opened, so all registrants is its primary
measure), two two-week offline registration services with offline lifts (+150%, +200%;
both windows after offline registration opened, so offline is their primary measure),
three four-week events without any effect, six-week events with +50% among women and +60%
among youth, and a one-day event for people with disabilities in a small city (Kota Madiun),
too few to tell. Every lifted event spills :data:`SPILLOVER` of its lift into its
:data:`SPILL_NEIGHBOURS` nearest regencies."""

TREND_SD = 0.02
"""Each regency's own trend: its log share of its province wanders by N(0, 0.02) a week (a
random walk: about ±0.05 over the six weeks between an event's windows)."""
WEEKLY_SD = 0.08
"""Week-to-week scatter of a regency's log share (overdispersion beyond Poisson)."""
DIP = 0.2
"""How far (log) the week before each planted event sinks: Pemda act after a bad month."""
SPILLOVER = 0.3
SPILL_NEIGHBOURS = 3
TRUTH_SEED = 20200615
"""The trends and scatter are the demo's truth: the same whatever the replica's seed."""
FIRST_DAY = np.datetime64("2020-04-11", "D")
WEEKS = 30


def spillovers() -> tuple[PlantedEvent, ...]:
    """Each lifted event's echo in its nearest neighbours (not themselves event regencies)."""
    near = label_point_neighbours(SPILL_NEIGHBOURS)
    home = {event.regency_code for event in PLANTED_EVENTS}
    return tuple(
        replace(event, regency_code=code, lift=event.lift * SPILLOVER)
        for event in PLANTED_EVENTS
        if event.lift > 0
        for code in sorted(near[event.regency_code] - home)
    )


def week_index(times: np.ndarray) -> np.ndarray:
    """The 7-day block (from registration opening) of each time."""
    days = (times.astype("datetime64[D]") - FIRST_DAY).astype(int)
    return np.clip(days // 7, 0, WEEKS - 1)


@functools.cache
def _modulation(codes: tuple[str, ...]) -> np.ndarray:
    """log multipliers (regency × week): own trend, weekly scatter, dips before events."""
    rng = np.random.default_rng(TRUTH_SEED)
    walk = np.cumsum(rng.normal(0.0, TREND_SD, (len(codes), WEEKS)), axis=1)
    log_m = walk + rng.normal(0.0, WEEKLY_SD, (len(codes), WEEKS))
    index = {code: i for i, code in enumerate(codes)}
    for event in PLANTED_EVENTS:
        before = np.datetime64(event.start_date, "s") - np.timedelta64(4, "D")
        log_m[index[event.regency_code], week_index(np.array([before]))[0]] -= DIP
    return log_m


def weekly_shares(codes: np.ndarray, probability: np.ndarray, province: np.ndarray) -> np.ndarray:
    """Regency × week chance that a registrant lives there: the base ``probability`` moved
    by the modulation within each province, so each province's share stays the same."""
    scaled = probability[:, None] * np.exp(_modulation(tuple(codes.tolist())))
    totals = np.zeros((province.max() + 1, WEEKS))
    np.add.at(totals, province, scaled)
    base = np.bincount(province, weights=probability)
    return scaled * (base / np.where(totals > 0, totals, 1).T).T[province]


def reassign(
    rng: np.random.Generator,
    shares: np.ndarray,
    province: np.ndarray,
    code: np.ndarray,
    weeks: np.ndarray,
) -> None:
    """Draw again, in place, the regency of each registrant with a valid code from the
    week's shares within their own province (province totals unchanged)."""
    valid = np.flatnonzero(code < len(shares))
    _, block = np.unique(province, return_inverse=True)
    order = np.argsort(block, kind="stable")
    for week in np.unique(weeks[valid]):
        chosen = valid[weeks[valid] == week]
        within = shares[:, week] / np.bincount(block, weights=shares[:, week])[block]
        edges = np.cumsum(within[order])
        target = block[code[chosen]] + rng.random(len(chosen)) * (1 - 1e-9)
        picked = np.minimum(np.searchsorted(edges, target, side="right"), len(order) - 1)
        code[chosen] = order[picked]


def joining(
    rng: np.random.Generator,
    event: PlantedEvent,
    times: np.ndarray,
    members: np.ndarray,
    chance: np.ndarray,
) -> np.ndarray:
    """Which of these registrants (at ``times``) join the event's population: in its window,
    not members already, each with ``lift · chance / (1 − chance)``, where ``chance`` (one
    per registrant: shares move week by week) is how likely a registrant is to be a member
    anyway."""
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
