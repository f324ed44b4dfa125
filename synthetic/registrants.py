"""Registrants, generated in time order one chunk at a time.

The number of registrations in every hour of the period is drawn first (one multinomial over
the daily intensity, so the total is exact); each chunk is then a run of whole hours, drawn
with its own seed, sorted by time and numbered on from the previous chunk. A chunk can be
drawn again identically, which the recipient selection uses (``synthetic.generator``), and
memory holds one chunk, whatever the scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from geo.regions import districts, regencies
from geo.vintages import code_changes_2022
from synthetic import planted

CHUNK_ROWS = 1_000_000
REGISTRATION_OPENS = datetime(2020, 4, 11)
DATA_UNTIL = datetime(2020, 9, 3, 23, 59, 59)
OFFLINE_FROM = np.datetime64("2020-06-15", "s")
"""Offline registration (layanan luring) opened in mid-June."""
WAVE_SELECTED = {
    1: datetime(2020, 4, 17, 9),
    2: datetime(2020, 4, 26, 9),
    3: datetime(2020, 5, 4, 9),
    4: datetime(2020, 6, 20, 9),
    5: datetime(2020, 7, 7, 9),
    6: datetime(2020, 8, 1, 9),
}
AGE_BANDS = ((18, 25, 0.29), (26, 35, 0.34), (36, 45, 0.21), (46, 55, 0.12), (56, 64, 0.04))
EMPLOYMENT = (("unemployed", 0.55), ("informal", 0.20), ("laid_off", 0.15), ("employed", 0.10))
FEMALE_SHARE = 0.51
DISABILITY_SHARE = 0.008
OFFLINE_SHARE = (0.05, 0.35)
"""Share registering offline once it opened: without, with a disability."""
UNKNOWN_CODE_SHARE = 0.0002
"""Rows whose NIK-derived regency code is not a Kemendagri code (typos, foreign NIK)."""
INVALID_CODES = ("0000", "9999", "3299", "1900")
PAPUA_PROVINCES = ("91", "92", "93", "94", "95", "96")
UNKNOWN_DISTRICT_SHARE = 0.004
"""Rows whose kecamatan code is not one of their regency's: a third missing, a third a code
no kecamatan has (``RRRR00``), a third another regency's kecamatan (a moved domicile)."""
DISTRICT_NOISE = 0.6
"""Sigma of the lognormal outreach noise on each kecamatan's weight."""
_EMPLOYMENT_NAMES = np.array([kind for kind, _ in EMPLOYMENT])
_BAND_LIMITS = np.array([band[:2] for band in AGE_BANDS])


@dataclass(frozen=True)
class Geography:
    """Where registrants live: 2020-vintage regency codes (the invalid codes last), the
    probability of each valid code, and each code's province index."""

    codes: np.ndarray
    probability: np.ndarray
    province: np.ndarray
    provinces: np.ndarray
    district_codes: tuple[np.ndarray, ...] = ()
    """Per valid regency (as ``codes``), its kecamatan codes as the NIK writes them (with the
    row's regency code), and the chance of each (:func:`district_weights`)."""
    district_probability: tuple[np.ndarray, ...] = ()

    def index(self, code: str) -> int:
        return int(np.flatnonzero(self.codes == code)[0])

    def share(self, code: str) -> float:
        """The chance that one registrant lives in ``code``."""
        valid = self.codes[: len(self.probability)] == code
        return float(self.probability[valid].sum()) * (1 - UNKNOWN_CODE_SHARE)


def geography(rng: np.random.Generator) -> Geography:
    """Population × outreach noise, with remote Papua regencies reached far less."""
    table = regencies()[["code", "province_code", "population"]]
    noise = rng.lognormal(mean=0.0, sigma=0.45, size=len(table))
    remote = np.where(table["province_code"].isin(PAPUA_PROVINCES), 0.15, 1.0)
    weight = table["population"].to_numpy(dtype=float) * noise * remote
    codes = np.concatenate([_vintage_2020(table["code"].to_numpy()), INVALID_CODES])
    provinces, province = np.unique([code[:2] for code in codes], return_inverse=True)
    # a child generator: the parent's stream, and so every other table, stays as it was
    kecamatan = district_weights(rng.spawn(1)[0])
    groups = dict(tuple(kecamatan.groupby("regency_code", sort=False)))
    written = [
        (row_code + groups[now]["code"].str[4:]).to_numpy()
        for row_code, now in zip(codes, table["code"], strict=False)
    ]
    shares = [
        groups[now]["weight"].to_numpy() / groups[now]["weight"].sum() for now in table["code"]
    ]
    return Geography(
        codes, weight / weight.sum(), province, provinces, tuple(written), tuple(shares)
    )


def district_weights(rng: np.random.Generator) -> pd.DataFrame:
    """Each kecamatan's relative weight within its regency (code, regency_code, weight): the
    kecamatan nearest the regency's label point (its capital, as a rule) weighs twice as
    much, weight falls off with distance from that point (over the regency's median distance)
    and grows with density — small, crowded kecamatan have near neighbours, so the weight is
    inverse to the distance to the nearest other kecamatan's label point — times lognormal
    noise: a few heavy, urban kecamatan and a long tail of small, remote ones."""
    frame = districts().merge(
        regencies()[["code", "lat", "lon"]].rename(
            columns={"code": "regency_code", "lat": "capital_lat", "lon": "capital_lon"}
        ),
        on="regency_code",
    )
    parts = []
    for _, group in frame.groupby("regency_code", sort=True):
        points = np.radians(group[["lat", "lon"]].to_numpy(dtype=float))
        capital = np.radians(group[["capital_lat", "capital_lon"]].to_numpy(dtype=float)[:1])
        to_capital = _km(points, capital)[:, 0]
        between = _km(points, points)
        np.fill_diagonal(between, np.inf)
        nearest = np.minimum(between.min(axis=1), 50.0) if len(group) > 1 else np.ones(1)
        weight = np.exp(-to_capital / max(float(np.median(to_capital)), 1.0))
        weight /= np.maximum(nearest, 1.0)
        weight[np.argmin(to_capital)] *= 2.0
        parts.append(group.assign(weight=weight))
    result = pd.concat(parts, ignore_index=True)
    result["weight"] *= rng.lognormal(0.0, DISTRICT_NOISE, size=len(result))
    return result[["code", "regency_code", "weight"]]


def _km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances in km between (lat, lon) radians, equirectangular: fine within a regency."""
    dlat = a[:, None, 0] - b[None, :, 0]
    dlon = (a[:, None, 1] - b[None, :, 1]) * np.cos((a[:, None, 0] + b[None, :, 0]) / 2)
    return 6371.0 * np.hypot(dlat, dlon)


def _vintage_2020(codes: np.ndarray) -> np.ndarray:
    """Rows recorded in 2020 carry the regency codes in force before the 2022 Papua split."""
    back = {now: old for old, now in code_changes_2022().items()}
    return np.array([back.get(code, code) for code in codes])


def day_weights() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Daily registration intensity: a launch rush, decay, and bumps before each wave."""
    days = pd.date_range(REGISTRATION_OPENS, DATA_UNTIL.date(), freq="D")
    offset = np.arange(len(days), dtype=float)
    weights = 0.25 + 6.0 * np.exp(-offset / 4.0)
    for selected in WAVE_SELECTED.values():
        before = (selected - days.to_pydatetime()).astype("timedelta64[D]").astype(float)
        weights += 0.9 * np.exp(-(((before - 4.0) / 3.0) ** 2))
    return days, weights / weights.sum()


@dataclass(frozen=True)
class Plan:
    """How many registrants in every hour, and the chunks (runs of hours) they are drawn in."""

    hour_starts: np.ndarray
    hour_counts: np.ndarray
    chunk_bounds: list[tuple[int, int]]
    first_id: int
    seed: int

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """(chunk number, first id, hour starts, hour counts) in time order."""
        first_id = self.first_id
        for number, (low, high) in enumerate(self.chunk_bounds):
            counts = self.hour_counts[low:high]
            yield number, first_id, self.hour_starts[low:high], counts
            first_id += int(counts.sum())


def plan(
    rng: np.random.Generator,
    n: int,
    days: pd.DatetimeIndex,
    weights: np.ndarray,
    seed: int,
    first_id: int = 1,
) -> Plan:
    hours = np.arange(24).astype("timedelta64[h]")
    starts = (days.to_numpy().astype("datetime64[s]")[:, None] + hours).ravel()
    counts = rng.multinomial(n, np.repeat(weights / 24, 24))
    bounds, low, filled = [], 0, 0
    for hour, count in enumerate(counts):
        if filled and filled + count > CHUNK_ROWS:
            bounds.append((low, hour))
            low, filled = hour, 0
        filled += int(count)
    bounds.append((low, len(counts)))
    return Plan(starts, counts, bounds, first_id, seed)


def draw_chunk(
    geo: Geography,
    seed: int,
    number: int,
    first_id: int,
    starts: np.ndarray,
    counts: np.ndarray,
) -> pd.DataFrame:
    """One chunk of registrants, identical every time it is drawn for the same arguments."""
    rng = np.random.default_rng([seed, number])
    n = int(counts.sum())
    offsets = rng.integers(0, 3_600, size=n).astype("timedelta64[s]")
    times = np.sort(np.repeat(starts, counts) + offsets)
    valid = len(geo.probability)
    code = rng.choice(valid, size=n, p=geo.probability)
    unknown = rng.random(n) < UNKNOWN_CODE_SHARE
    code[unknown] = valid + rng.integers(0, len(INVALID_CODES), size=int(unknown.sum()))
    band = rng.choice(len(AGE_BANDS), size=n, p=[share for *_, share in AGE_BANDS])
    age = rng.integers(_BAND_LIMITS[band, 0], _BAND_LIMITS[band, 1] + 1)
    disability = rng.random(n) < DISABILITY_SHARE
    offline = (times >= OFFLINE_FROM) & (rng.random(n) < np.where(disability, *OFFLINE_SHARE[::-1]))
    employment = rng.choice(len(EMPLOYMENT), size=n, p=[share for _, share in EMPLOYMENT])
    female = rng.random(n) < FEMALE_SHARE
    people = {"code": code, "age": age, "disability": disability, "offline": offline}
    people["female"] = female
    _plant(rng, geo, times, people)
    district = draw_districts(geo, np.random.default_rng([seed, number, 20]), people["code"])
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n, dtype=np.int64),
            "regency_code": geo.codes[people["code"]],
            "registered_at": times,
            "channel": np.where(people["offline"], "offline", "online"),
            "gender": np.where(people["female"], "F", "M"),
            "birth_year": (2020 - people["age"]).astype(np.int16),
            "disability": people["disability"],
            "employment_status": _EMPLOYMENT_NAMES[employment],
            "district_code": district,
        }
    )


def draw_districts(geo: Geography, rng: np.random.Generator, code: np.ndarray) -> np.ndarray:
    """A kecamatan code (or None) for people of the regency indexes ``code``: drawn within
    each regency by :func:`district_weights`, then :data:`UNKNOWN_DISTRICT_SHARE` of them made
    unknown. Its own generator (the caller's stream stays as it was)."""
    out = np.full(len(code), None, dtype=object)
    order = np.argsort(code, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(code[order])) + 1):
        index = int(code[group[0]]) if len(group) else len(geo.district_codes)
        if index < len(geo.district_codes):
            options = geo.district_codes[index]
            out[group] = options[
                rng.choice(len(options), len(group), p=geo.district_probability[index])
            ]
    unknown = np.flatnonzero(rng.random(len(code)) < UNKNOWN_DISTRICT_SHARE)
    kind = rng.integers(0, 3, size=len(unknown))
    out[unknown[kind == 0]] = None
    out[unknown[kind == 1]] = [geo.codes[c] + "00" for c in code[unknown[kind == 1]]]
    elsewhere = np.concatenate(geo.district_codes)
    out[unknown[kind == 2]] = rng.choice(elsewhere, size=int((kind == 2).sum()))
    return out


def _group_share(group: str) -> float:
    """The chance that a registrant after mid-June belongs to an event's measured group."""
    offline = (1 - DISABILITY_SHARE) * OFFLINE_SHARE[0] + DISABILITY_SHARE * OFFLINE_SHARE[1]
    youth = sum(share for low, high, share in AGE_BANDS if high <= planted.YOUTH_AGES[1])
    return {
        "registrants": 1.0,
        "offline": offline,
        "perempuan": FEMALE_SHARE,
        "pemuda": youth,
        "disabilitas": DISABILITY_SHARE,
    }[group]


def _in_group(people: dict[str, np.ndarray], group: str) -> np.ndarray:
    return {
        "registrants": lambda: np.ones(len(people["code"]), dtype=bool),
        "offline": lambda: people["offline"],
        "perempuan": lambda: people["female"],
        "pemuda": lambda: people["age"] <= planted.YOUTH_AGES[1],
        "disabilitas": lambda: people["disability"],
    }[group]()


def _plant(
    rng: np.random.Generator, geo: Geography, times: np.ndarray, people: dict[str, np.ndarray]
) -> None:
    """Move registrants between the regencies of their province week by week (trends,
    scatter, dips: ``synthetic.planted``), then apply the planted lifts and their
    spillovers, in place."""
    valid = len(geo.probability)
    weeks = planted.week_index(times)
    shares = planted.weekly_shares(geo.codes[:valid], geo.probability, geo.province[:valid])
    planted.reassign(rng, shares, geo.province[:valid], people["code"], weeks)
    for event in (*planted.PLANTED_EVENTS, *planted.spillovers()):
        group = event.group
        where = geo.index(event.regency_code)
        home = people["code"] == where
        chance = shares[where, weeks] * (1 - UNKNOWN_CODE_SHARE) * _group_share(group)
        joined = planted.joining(rng, event, times, home & _in_group(people, group), chance)
        if not joined.any():
            continue
        people["code"][joined] = where
        if group == "pemuda":
            people["age"][joined] = rng.integers(
                *planted.YOUTH_AGES, endpoint=True, size=joined.sum()
            )
        elif group != "registrants":
            key = {"offline": "offline", "perempuan": "female", "disabilitas": "disability"}[group]
            people[key][joined] = True
