"""A region's report e-mail: subject and body in Bahasa Indonesia, an HTML part a phone can
read, a plain-text part, the attachment (or a note and a link when it is too large), and a
signed unsubscribe link in the body and in ``List-Unsubscribe``.

Every number comes from :class:`queries.suppression.ProtectedFigures`, the door the screens
and exports take: a hidden count reads ``<10`` here as on screen, and a change against a
hidden count is not given. The priorities are the deck's (:func:`deck.priority_frame`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from babel.dates import format_date

from dashboard import formatting, priorities
from dashboard.exports import deck
from dashboard.exports.context import SYNTHETIC_LABEL
from dashboard.subscriptions import unsubscribe
from dashboard.subscriptions.settings import MAIL_FROM, PUBLIC_URL
from dashboard.subscriptions.storage import Subscription
from geo.regions import region_name
from queries.filters import PROGRAMME_START, Filters
from queries.store import Store
from queries.suppression import ProtectedFigures, suppressed_label

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
PRIORITY_ROWS = 5
KEY_FIGURES = (
    ("registrants", "Pendaftar"),
    ("recipients", "Penerima"),
    ("completed", "Selesai pelatihan"),
    ("paid", "Menerima insentif"),
    ("paid_idr", "Insentif dibayar"),
)
MIME = {".pdf": ("application", "pdf"), ".html": ("text", "html")}


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    change: str


@dataclass(frozen=True)
class Digest:
    """What every subscriber of one region and frequency reads, already in words."""

    region_code: str
    region_name: str
    period: Filters
    period_text: str
    change_note: str
    as_of_text: str
    synthetic: bool
    figures: tuple[KeyFigure, ...]
    priorities: tuple[tuple[str, str], ...]
    priorities_title: str
    hidden_note: str

    @property
    def subject(self) -> str:
        stamp = " [DATA SINTETIS]" if self.synthetic else ""
        return f"Pantau Prakerja: {self.region_name}, {self.period_text}{stamp}"

    @property
    def dashboard_link(self) -> str:
        params = {"wilayah": self.region_code, "sampai": self.period.date_to.isoformat()}
        return f"{PUBLIC_URL.get().rstrip('/')}/daerah-saya?{urlencode(params)}"


def report_period(frequency: str, data_from: date, data_until: date) -> Filters:
    """The last whole ISO week (weekly) or calendar month (monthly) the data covers; a
    shorter span at the start of the data."""
    if frequency == "monthly":
        last = data_until if (data_until + timedelta(days=1)).day == 1 else None
        end = last or data_until.replace(day=1) - timedelta(days=1)
        start = end.replace(day=1)
    else:
        end = data_until - timedelta(days=(data_until.weekday() + 1) % 7)
        start = end - timedelta(days=6)
    start = max(start, data_from, PROGRAMME_START)
    return Filters(date_from=start, date_to=max(end, start))


def period_words(frequency: str, period: Filters) -> str:
    if frequency == "monthly":
        return "bulan " + format_date(period.date_from, "MMMM y", locale=formatting.LOCALE)
    return "minggu " + formatting.period(period.date_from, period.date_to)


def build_digest(store: Store, figures: ProtectedFigures, region: str, frequency: str) -> Digest:
    """The region's figures for the last period of ``frequency`` and the change against the
    period of equal length before it (as the KPI cards compare), plus the priorities."""
    meta = store.meta()
    period = report_period(
        frequency, date.fromisoformat(meta["data_from"]), date.fromisoformat(meta["data_until"])
    ).with_region(region)
    scope = deck.deck_scope(store, period, region, figures)
    whole = deck.deck_scope(store, Filters(date_to=period.date_to), region, figures)
    now = figures.totals(period)
    previous = period.previous_period()
    before = figures.totals(previous) if previous else None
    shown = tuple(
        KeyFigure(label, _value(now[key], key, figures.threshold), _change(now, before, key))
        for key, label in KEY_FIGURES
    )
    note = (
        "Perubahan dibanding periode sebelumnya yang sama panjang "
        f"({formatting.period(previous.date_from, previous.date_to)})."
        if previous
        else "Perubahan tidak dihitung: periode sebelumnya jatuh sebelum program dimulai."
    )
    return Digest(
        region_code=region,
        region_name=region_name(region),
        period=period,
        period_text=period_words(frequency, period),
        change_note=note,
        as_of_text=scope.context.as_of_text,
        synthetic=scope.context.synthetic,
        figures=shown,
        priorities=_priorities(whole),
        priorities_title=f"Prioritas sosialisasi — {region_name(period.province or 'ID')}",
        hidden_note=(
            f"Jumlah di bawah {figures.threshold} ditampilkan sebagai "
            f'"{suppressed_label(figures.threshold)}", seperti di dasbor.'
        ),
    )


def _value(value: object, key: str, threshold: int) -> str:
    """As the KPI cards show it: a hidden count ``<10``, hidden Rupiah ``–``."""
    if key == "paid_idr":
        return formatting.rupiah(value)  # type: ignore[arg-type]  # NA reads "–"
    return suppressed_label(threshold) if value is pd.NA else formatting.number(value)  # type: ignore[arg-type]


def _change(now: pd.Series, before: pd.Series | None, key: str) -> str:
    relative = formatting.change(now[key], None if before is None else before[key])
    return "–" if relative is None else formatting.signed_percent(relative)


def _priorities(scope: deck.DeckScope) -> tuple[tuple[str, str], ...]:
    ranked, _ = deck.priority_frame(scope)
    shown = priorities.display_frame(ranked, PRIORITY_ROWS)
    return tuple(zip(shown["Wilayah"], shown["Alasan"], strict=True))


# --- the message ---------------------------------------------------------------------------


def compose(digest: Digest, subscription: Subscription, attachment: Path | None) -> EmailMessage:
    """The e-mail to one subscriber. ``attachment``: the region's PDF deck or HTML report
    (None for a body-only subscription); above 2 MB a note and the link replace it."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = MAIL_FROM.get()
    message["To"] = subscription.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("pantau-prakerja")
    stop = unsubscribe.link(subscription.id)
    message["List-Unsubscribe"] = f"<{stop}>"
    if unsubscribe.one_click_offered():  # a mail client's button POSTs to the link
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    attached = attachment is not None and attachment.stat().st_size <= MAX_ATTACHMENT_BYTES
    file_note = _file_note(digest, subscription, attachment, attached)
    message.set_content(_text(digest, subscription, file_note, stop))
    message.add_alternative(_html(digest, subscription, file_note, stop), subtype="html")
    if attached:
        assert attachment is not None  # attached implies a file
        maintype, subtype = MIME[attachment.suffix]
        name = f"pantau-prakerja-{attachment.name}"
        message.add_attachment(
            attachment.read_bytes(), maintype=maintype, subtype=subtype, filename=name
        )
    return message


def _file_note(
    digest: Digest, subscription: Subscription, attachment: Path | None, attached: bool
) -> str:
    if attachment is None:
        return ""
    what = "Dek presentasi (PDF)" if subscription.format == "pdf" else "Laporan luring (HTML)"
    if attached:
        return f"{what} terlampir."
    size = formatting.number(attachment.stat().st_size / 1024 / 1024, 1)
    return (
        f"{what} tidak dilampirkan: ukurannya {size} MB, di atas batas 2 MB. "
        f"Unduh dari dasbor: {digest.dashboard_link}"
    )


def _text(digest: Digest, subscription: Subscription, file_note: str, stop: str) -> str:
    width = max(len(f.label) for f in digest.figures)
    lines = [
        f"Pantau Prakerja: {digest.region_name}",
        digest.period_text[0].upper() + digest.period_text[1:],
        digest.as_of_text,
        *([SYNTHETIC_LABEL] if digest.synthetic else []),
        "",
        "Angka utama (perubahan dibanding periode sebelumnya):",
        *(f"  {f.label.ljust(width)}  {f.value} ({f.change})" for f in digest.figures),
        digest.change_note,
        "",
        f"{digest.priorities_title}:",
        *(f"  {i}. {name}: {reason}" for i, (name, reason) in enumerate(digest.priorities, 1)),
        "",
        *([file_note, ""] if file_note else []),
        f"Buka di dasbor: {digest.dashboard_link}",
        digest.hidden_note,
        "",
        f"Anda menerima surel ini karena {subscription.email} berlangganan laporan "
        f"{subscription.describe()} untuk {digest.region_name}.",
        f"Berhenti berlangganan (tanpa login): {stop}",
    ]
    return "\n".join(lines) + "\n"


def _html(digest: Digest, subscription: Subscription, file_note: str, stop: str) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td style="padding:6px 4px;border-bottom:1px solid #ddd">{e(f.label)}</td>'
        f'<td style="padding:6px 4px;border-bottom:1px solid #ddd;text-align:right;'
        f'font-weight:bold">{e(f.value)}</td>'
        f'<td style="padding:6px 4px;border-bottom:1px solid #ddd;text-align:right">'
        f"{e(f.change)}</td></tr>"
        for f in digest.figures
    )
    items = "".join(f"<li><b>{e(name)}</b>: {e(reason)}</li>" for name, reason in digest.priorities)
    stamp = (
        f'<p style="color:#c00000;font-weight:bold;border:2px solid #c00000;padding:6px">'
        f"{e(SYNTHETIC_LABEL)}</p>"
        if digest.synthetic
        else ""
    )
    note = f"<p>{e(file_note)}</p>" if file_note else ""
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(digest.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f4">
<div style="max-width:600px;margin:0 auto;padding:12px;background:#fff;
font-family:Arial,'Liberation Sans',sans-serif;font-size:16px;line-height:1.4;color:#222">
<h1 style="font-size:22px;margin:4px 0">{e(digest.region_name)}</h1>
<p style="margin:2px 0">{e(digest.period_text[0].upper() + digest.period_text[1:])}</p>
<p style="margin:2px 0;color:#555">{e(digest.as_of_text)}</p>
{stamp}
<h2 style="font-size:18px;margin:16px 0 4px">Angka utama</h2>
<table role="presentation" style="width:100%;border-collapse:collapse">
<tr><th style="text-align:left;padding:4px">Ukuran</th>
<th style="text-align:right;padding:4px">Jumlah</th>
<th style="text-align:right;padding:4px">Perubahan</th></tr>
{rows}</table>
<p style="font-size:14px;color:#555">{e(digest.change_note)}</p>
<h2 style="font-size:18px;margin:16px 0 4px">{e(digest.priorities_title)}</h2>
<ol style="padding-left:20px">{items}</ol>
{note}
<p><a href="{e(digest.dashboard_link)}" style="color:#1f5f8b">Buka di dasbor</a></p>
<p style="font-size:13px;color:#555">{e(digest.hidden_note)}</p>
<p style="font-size:13px;color:#555">Anda menerima surel ini karena {e(subscription.email)}
berlangganan laporan {e(subscription.describe())} untuk {e(digest.region_name)}.
<a href="{e(stop)}" style="color:#1f5f8b">Berhenti berlangganan</a> (tanpa login).</p>
</div></body></html>
"""
