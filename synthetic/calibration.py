"""Published Kartu Prakerja figures the synthetic replica is calibrated to.

Sources: press release of Kemenko Perekonomian, Bekasi, 4 September 2020 (totals), and the
*Laporan Kartu Prakerja 2020* as reported by Kompas.com on 26 February 2021 (recipients by
province, thousands, 2020 province codes: 91 Papua and 92 Papua Barat before the 2022 split;
Bengkulu, 17, is missing from the published list).
"""

PUBLISHED_TOTALS = {
    "registrants": 15_900_000,
    "recipients": 3_000_000,
    "completed": 849_921,
    "paid": 610_563,
}

RECIPIENTS_THOUSANDS_2020 = {
    "32": 793.4, "35": 651.5, "31": 542.5, "33": 450.0, "12": 251.1, "73": 242.3,
    "36": 168.5, "16": 157.3, "63": 139.3, "14": 133.4, "11": 128.4, "51": 112.7,
    "13": 127.6, "18": 122.4, "64": 111.9, "52": 107.1, "61": 99.3, "34": 98.6,
    "74": 87.1, "15": 86.9, "62": 86.1, "71": 83.6, "21": 83.1, "53": 77.1,
    "72": 72.8, "76": 70.2, "75": 64.3, "81": 59.0, "19": 58.0, "65": 29.7,
    "82": 16.5, "91": 14.1, "92": 7.6,
}  # fmt: skip


def target_counts(scale: float) -> dict[str, int]:
    """Totals at a scale: exactly the published figures at 1.0, proportional at any other."""
    return {key: round(value * scale) for key, value in PUBLISHED_TOTALS.items()}
