"""Rows outside the data contract are quarantined: counted by table and reason, left out of
every figure, never fatal.

The refresh keeps every copied row in ``raw_*`` and derives ``valid_*`` tables from them; the
``facts`` table, the data period and the unknown-code list come only from valid rows. A row is
quarantined when its event time is before the programme or after the refresh, an amount is
zero, negative or absurd, an enum value is unknown, its id repeats (a person registered twice
under one id; without this, each of their events would be counted twice), a payment repeats
the same instalment of the same person, or it refers to a registrant, course or payment
partner that is unknown or quarantined. Rows whose id is zero or negative are never copied (a
refresh copies ids above a watermark that starts at 0): each refresh counts them on the replica
instead (``queries.sync``), under ``id_not_positive``.

The registrant id is the only person key the contract has (no NIK): two registrants with the
same regency, registration second, gender, birth year, channel and disability are not
provably one person — the synthetic replica has such pairs (1 in 79,500 at scale 0.005) —
so they are counted as two.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from queries.filters import PROGRAMME_START

MAX_PAYMENT_IDR = 2_400_000
"""The whole incentive of one person; a single payment above it is absurd."""
CLOCK_SLACK = timedelta(hours=1)
WIB = ZoneInfo("Asia/Jakarta")

REASONS = {
    "date": "tanggal sebelum program dimulai atau setelah waktu penyegaran",
    "enum": "nilai di luar kode yang dikenal",
    "amount": "jumlah Rupiah nol, negatif atau tidak masuk akal",
    "duplicate_id": "id ganda",
    "duplicate_payment": "pembayaran yang sama tercatat dua kali",
    "unknown_registrant": "pendaftar tidak dikenal atau dikarantina",
    "unknown_reference": "kursus atau mitra pembayaran tidak dikenal",
    "id_not_positive": "id nol atau negatif (tidak disalin)",
}
"""Reason codes stored in the ``quarantine`` table and their words on screens and exports."""

TABLE_WORDS = {
    "registrants": "pendaftar",
    "recipients": "penerima",
    "training_completions": "penyelesaian pelatihan",
    "incentive_payments": "pembayaran insentif",
    "platforms": "platform pelatihan",
    "training_providers": "lembaga pelatihan",
    "courses": "kursus",
    "payment_partners": "mitra pembayaran",
}


def latest_valid_time() -> datetime:
    """The refresh time in the replica's clock (WIB, no zone), with a little slack."""
    return datetime.now(WIB).replace(tzinfo=None) + CLOCK_SLACK


def _out_of_period(column: str) -> str:
    return f"{column} IS NULL OR {column} < $start OR {column} > $until"


def quarantine_sql(source: str, output: str) -> str:
    """The checks as SQL over the ``{source}_*`` tables (``raw``, or a refresh's scoped views),
    leaving ``valid_*`` temp tables and the per-reason counts in ``output`` (``TABLE name`` or
    ``TEMP TABLE name``)."""
    return f"""
CREATE OR REPLACE TEMP TABLE checked_registrants AS
SELECT *,
       CASE WHEN {_out_of_period("registered_at")} THEN 'date'
            WHEN channel IS NULL OR channel NOT IN ('online', 'offline') OR gender IS NULL
                 OR gender NOT IN ('F', 'M') OR disability IS NULL OR regency_code IS NULL
                 OR birth_year IS NULL OR birth_year NOT BETWEEN 1900 AND year(registered_at)
                 THEN 'enum'
            WHEN row_number() OVER (PARTITION BY id ORDER BY registered_at) > 1
                 THEN 'duplicate_id'
       END AS reason
FROM {source}_registrants;

CREATE OR REPLACE TEMP TABLE valid_registrants AS
SELECT id, regency_code, registered_at, channel, gender, birth_year, disability, district_code
FROM checked_registrants WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE checked_recipients AS
SELECT r.id, v.id AS registrant_id, r.wave, r.selected_at,
       CASE WHEN {_out_of_period("r.selected_at")} THEN 'date'
            WHEN r.wave IS NULL OR r.wave NOT BETWEEN 1 AND 255 THEN 'enum'
            WHEN v.id IS NULL THEN 'unknown_registrant'
            WHEN row_number() OVER (PARTITION BY r.id ORDER BY r.selected_at) > 1
                 THEN 'duplicate_id'
       END AS reason
FROM {source}_recipients r LEFT JOIN valid_registrants v ON v.id = r.registrant_id;

CREATE OR REPLACE TEMP TABLE checked_training_completions AS
SELECT t.id, v.id AS registrant_id, c.platform_id, t.completed_at,
       CASE WHEN {_out_of_period("t.completed_at")} THEN 'date'
            WHEN c.id IS NULL OR c.platform_id IS NULL OR c.platform_id NOT BETWEEN 0 AND 255
                 THEN 'unknown_reference'
            WHEN v.id IS NULL THEN 'unknown_registrant'
            WHEN row_number() OVER (PARTITION BY t.id ORDER BY t.completed_at) > 1
                 THEN 'duplicate_id'
       END AS reason
FROM {source}_training_completions t
LEFT JOIN valid_registrants v ON v.id = t.registrant_id
LEFT JOIN {source}_courses c ON c.id = t.course_id;

CREATE OR REPLACE TEMP TABLE checked_incentive_payments AS
SELECT p.id, v.id AS registrant_id, p.partner_id, p.amount_idr, p.paid_at,
       CASE WHEN {_out_of_period("p.paid_at")} THEN 'date'
            WHEN p.amount_idr IS NULL OR p.amount_idr <= 0 OR p.amount_idr > $max_amount
                 THEN 'amount'
            WHEN p.kind IS NULL OR p.kind NOT IN ('monthly', 'survey') OR p.installment IS NULL
                 THEN 'enum'
            WHEN partner.id IS NULL OR p.partner_id NOT BETWEEN 0 AND 255
                 THEN 'unknown_reference'
            WHEN v.id IS NULL THEN 'unknown_registrant'
            WHEN row_number() OVER (PARTITION BY p.id ORDER BY p.paid_at) > 1
                 THEN 'duplicate_id'
            WHEN row_number() OVER (PARTITION BY p.registrant_id, p.kind, p.installment
                                    ORDER BY p.paid_at, p.id) > 1
                 THEN 'duplicate_payment'
       END AS reason
FROM {source}_incentive_payments p
LEFT JOIN valid_registrants v ON v.id = p.registrant_id
LEFT JOIN {source}_payment_partners partner ON partner.id = p.partner_id;

CREATE OR REPLACE TEMP TABLE valid_recipients AS
SELECT * EXCLUDE (reason) FROM checked_recipients WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE valid_training_completions AS
SELECT * EXCLUDE (reason) FROM checked_training_completions WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE valid_incentive_payments AS
SELECT * EXCLUDE (reason) FROM checked_incentive_payments WHERE reason IS NULL;

CREATE OR REPLACE {output} AS
SELECT table_name, reason, count(*)::BIGINT AS rows FROM (
    SELECT 'registrants' AS table_name, reason FROM checked_registrants
    UNION ALL SELECT 'recipients', reason FROM checked_recipients
    UNION ALL SELECT 'training_completions', reason FROM checked_training_completions
    UNION ALL SELECT 'incentive_payments', reason FROM checked_incentive_payments
) WHERE reason IS NOT NULL GROUP BY ALL ORDER BY table_name, reason;
"""


def quarantine_params(until: datetime) -> dict[str, object]:
    """Bound values of :func:`quarantine_sql`; ``until`` is the refresh time it judges by."""
    start = datetime.combine(PROGRAMME_START, datetime.min.time())
    return {"start": start, "until": until, "max_amount": MAX_PAYMENT_IDR}


def quarantine_note(frame: pd.DataFrame) -> str:
    """The data note for exports and screens; empty when no row was quarantined."""
    if frame.empty:
        return ""
    parts = [describe_rows(t, r, int(n)) for t, r, n in frame.itertuples(index=False)]
    return "Baris di luar kontrak data, tidak dihitung: " + "; ".join(parts) + "."


def describe_rows(table: str, reason: str, rows: int) -> str:
    """One line for screens and export notes, e.g. ``pendaftar — id ganda: 3 baris``."""
    return (
        f"{TABLE_WORDS.get(table, table)} — {REASONS.get(reason, reason)}: {rows:,} baris".replace(
            ",", "."
        )
    )
