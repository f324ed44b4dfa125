"""Send what is due: ``python -m dashboard.subscriptions run --once [--now]``.

A weekly subscription is due from its chosen weekday (in WIB) until its week's message is
sent; a monthly one from the first of the month. The period a delivery is recorded under is
the sending week (``2026-W50``) or month (``2026-12``); the figures are those of the last whole
week or month of the data. Nothing is sent while the refresh is failing: the figures would
be stale, so the run stops with the reason and the refresh service sends after the next
successful refresh.

Files are built first, once per region and format, by the presenters' batch
(:mod:`dashboard.exports.batch`: worker processes, skipped when already built from the
current store version), then each message is claimed, sent and recorded; a failure is
retried with back-off on later runs (:func:`storage.retry_delay`).
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dashboard import formatting
from dashboard.exports import batch
from dashboard.subscriptions import message
from dashboard.subscriptions.settings import SMTP_CA_FILE, SMTP_URL
from dashboard.subscriptions.storage import Subscription, Subscriptions
from geo.regions import region_level, region_name
from queries.health import describe, read_health
from queries.settings import ConfigError, data_dir
from queries.store import Store
from queries.suppression import ProtectedFigures

SMTP_TIMEOUT_S = 30.0
FILE_FORMATS = ("pdf", "html")


class DeliveryDelayed(RuntimeError):
    """The data is not fresh (the refresh is failing): nothing is sent until it is."""


@dataclass(frozen=True)
class SmtpServer:
    """``PRAKERJA_SMTP_URL`` read: smtp:// uses STARTTLS when the server offers it (and
    requires it before sending a password), smtps:// TLS from the start."""

    host: str
    port: int
    user: str
    password: str
    implicit_tls: bool

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                "PRAKERJA_SMTP_URL harus berbentuk smtp://pengguna:sandi@host:587 "
                f"atau smtps://…:465 (sekarang {parts.scheme or url[:20]!r})."
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError as error:
            raise ConfigError("Port pada PRAKERJA_SMTP_URL tidak valid.") from error
        return cls(
            parts.hostname,
            port,
            unquote(parts.username or ""),
            unquote(parts.password or ""),
            parts.scheme == "smtps",
        )


class Mailer:
    """One SMTP connection for a run, opened on the first message and again after a
    dropped connection."""

    def __init__(
        self,
        server: SmtpServer,
        timeout: float = SMTP_TIMEOUT_S,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.timeout = timeout
        self.context = context or tls_context()
        self._smtp: smtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        """False after the server refused, dropped or never answered the connection."""
        return self._smtp is not None

    def send(self, mail: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(mail)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def _open(self) -> smtplib.SMTP:
        """A connection ready to send: TLS checked against the trusted CAs and the host name
        (a certificate that fails raises ``ssl.SSLCertVerificationError``), logged in."""
        s = self.server
        smtp: smtplib.SMTP
        if s.implicit_tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=self.context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            if not s.implicit_tls:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self.context)
                    smtp.ehlo()
                elif s.user:
                    raise smtplib.SMTPNotSupportedError(
                        "server tidak menawarkan STARTTLS; sandi tidak dikirim tanpa enkripsi"
                    )
            if s.user:
                smtp.login(s.user, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def smtp_error(error: Exception, server: SmtpServer) -> str:
    """One line in Bahasa Indonesia for the delivery record and the log."""
    where = f"{server.host}:{server.port}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = "; ".join(f"{c} {m.decode(errors='replace')}" for c, m in error.recipients.values())
        return f"Server SMTP {where} menolak penerima: {codes}"
    if isinstance(error, smtplib.SMTPResponseException):
        raw = error.smtp_error
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        return f"Server SMTP {where} menolak: {error.smtp_code} {text}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"Sertifikat TLS server SMTP {where} ditolak: {_certificate_problem(error, server)}. "
            "Surel tidak dikirim. Periksa sertifikat server, atau isi PRAKERJA_SMTP_CA_FILE "
            "dengan berkas CA yang menandatanganinya."
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"Sambungan TLS ke server SMTP {where} gagal ({error.reason or error}): periksa "
            "apakah port ini memakai TLS sejak awal (smtps://) atau STARTTLS (smtp://)."
        )
    if isinstance(error, TimeoutError) or str(error).endswith("timed out"):  # also as a drop
        return f"Server SMTP {where} tidak menjawab (batas waktu habis)"
    if isinstance(error, ConnectionRefusedError):
        return f"Server SMTP {where} menolak sambungan"
    return f"Pengiriman lewat {where} gagal: {error}"


# OpenSSL's verification results (X509_V_ERR_*) in words
_CERTIFICATE_PROBLEMS = {
    10: "sertifikatnya sudah kedaluwarsa",
    18: "sertifikatnya ditandatangani sendiri dan tidak dipercaya",
    19: "rantai sertifikatnya berakhir di CA yang tidak dipercaya",
    20: "penerbit sertifikatnya bukan CA yang dipercaya",
    21: "penerbit sertifikatnya bukan CA yang dipercaya",
}


def _certificate_problem(error: ssl.SSLCertVerificationError, server: SmtpServer) -> str:
    if error.verify_code in (62, 64):  # host name or IP address mismatch
        return f"sertifikatnya tidak berlaku untuk {server.host}"
    return _CERTIFICATE_PROBLEMS.get(error.verify_code, error.verify_message or str(error))


def tls_context() -> ssl.SSLContext:
    """What TLS trusts: the system's CAs, or only those in ``PRAKERJA_SMTP_CA_FILE``."""
    ca_file = SMTP_CA_FILE.get()
    if not ca_file:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"PRAKERJA_SMTP_CA_FILE ({ca_file}) tidak dapat dibaca sebagai berkas CA PEM: "
            f"{getattr(error, 'strerror', None) or error}."
        ) from error


# --- what is due -------------------------------------------------------------------------------


def period_key(subscription: Subscription, today: date, force: bool = False) -> str | None:
    """The delivery period the subscription is due for ``today`` (WIB), or None when it is
    not due yet; ``force`` (``--now``): due whatever the weekday."""
    if subscription.frequency == "monthly":
        return f"{today:%Y-%m}"
    if not force and today.weekday() < (subscription.weekday or 0):
        return None
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class RunReport:
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    taken: int = 0  # sent earlier, or claimed by another runner
    not_due: int = 0
    left: int = 0  # not tried: the SMTP server stopped answering
    files_cpu_seconds: float = 0.0  # building the attachments themselves (batch workers)
    batch_cpu_seconds: float = 0.0  # the batch's processes from their start (imports, store)

    def summary(self) -> str:
        text = (
            f"Terkirim {self.sent}, gagal {len(self.failed)}, sudah dikirim atau sedang "
            f"dikirim pengirim lain {self.taken}, belum jatuh tempo {self.not_due}."
        )
        return text + (f" {self.left} ditunda ke putaran berikutnya." if self.left else "")


def run_once(
    subscriptions: Subscriptions,
    store_dir: Path,
    now: datetime | None = None,
    force: bool = False,
    workers: int | None = None,
    timeout: float = SMTP_TIMEOUT_S,
) -> RunReport:
    """Send every due message once (see the module's docstring)."""
    url = SMTP_URL.get()
    if not url:
        raise ConfigError("PRAKERJA_SMTP_URL belum diatur: tidak ada server untuk mengirim surel.")
    server = SmtpServer.parse(url)
    mailer = Mailer(server, timeout, tls_context())  # a bad CA file stops the run here
    health = read_health(store_dir)
    if health.failing:
        since = formatting.timestamp(health.failing_since) if health.failing_since else "?"
        raise DeliveryDelayed(
            f"Penyegaran data gagal sejak {since} ({health.reason}): laporan langganan "
            "ditunda sampai penyegaran berhasil."
        )
    now = now or datetime.now(UTC)
    today = formatting.in_wib(now).date()
    report = RunReport()
    due = []
    sent_before = _finished(subscriptions)
    for subscription in subscriptions.subscriptions(active_only=True):
        period = period_key(subscription, today, force)
        if period is None:
            report.not_due += 1
        elif (subscription.id, period) in sent_before:
            report.taken += 1
        else:
            due.append((subscription, period))
    if not due:
        return report
    store = Store.open_current(store_dir)
    try:
        files = build_files(store, {(s.region_code, s.format) for s, _ in due}, workers, report)
        _send_all(subscriptions, store, due, files, mailer, now, report)
    finally:
        store.close()
    return report


def _finished(subscriptions: Subscriptions) -> set[tuple[int, str]]:
    """(subscription, period) pairs that need nothing more: sent, or being sent."""
    return {
        (d.subscription_id, d.period)
        for d in subscriptions.deliveries()
        if d.status in ("sent", "sending")
    }


def _send_all(
    subscriptions: Subscriptions,
    store: Store,
    due: list[tuple[Subscription, str]],
    files: dict[tuple[str, str], Path],
    mailer: Mailer,
    now: datetime,
    report: RunReport,
) -> None:
    from dashboard.settings import suppression_threshold

    figures = ProtectedFigures.direct(store, suppression_threshold())
    digests: dict[tuple[str, str], message.Digest] = {}
    runner = f"{socket.gethostname()}-{os.getpid()}"
    as_of = store.meta().get("replica_as_of", "")
    try:
        for index, (subscription, period) in enumerate(due):
            if not subscriptions.claim(subscription.id, period, runner, now):
                report.taken += 1
                continue
            try:
                error = _send_one(subscription, store, figures, digests, files, mailer)
            except Exception as failure:  # recorded, retried later; the others still go out
                error = f"Surel tidak dapat disusun: {describe(failure)}"
            subscriptions.record(subscription.id, period, error, now, as_of)
            if error is None:
                report.sent += 1
                continue
            report.failed.append(f"{subscription.email} ({subscription.region_code}): {error}")
            if not mailer.connected:
                report.left = len(due) - index - 1  # the server is gone: try the rest later
                break
    finally:
        mailer.close()


def _send_one(
    subscription: Subscription,
    store: Store,
    figures: ProtectedFigures,
    digests: dict[tuple[str, str], message.Digest],
    files: dict[tuple[str, str], Path],
    mailer: Mailer,
) -> str | None:
    """Send one message; the error in words, or None when the server took it."""
    key = (subscription.region_code, subscription.frequency)
    if key not in digests:
        digests[key] = message.build_digest(store, figures, *key)
    attachment = files.get((subscription.region_code, subscription.format))
    if subscription.format != "body" and attachment is None:
        return f"Berkas {subscription.format} untuk {subscription.region_code} gagal dibuat"
    mail = message.compose(digests[key], subscription, attachment)
    try:
        mailer.send(mail)
    except (smtplib.SMTPException, OSError) as error:
        return smtp_error(error, mailer.server)
    return None


# --- files -------------------------------------------------------------------------------------


def files_dir() -> Path:
    return data_dir() / "subscriptions" / "files"


def build_files(
    store: Store, wanted: set[tuple[str, str]], workers: int | None, report: RunReport
) -> dict[tuple[str, str], Path]:
    """(region, format) → the region's PDF deck or HTML report over the whole data period,
    built by the batch (in parallel, reused while the store version is the same); adds the
    batch's CPU seconds to ``report``."""
    meta = store.meta()
    built: dict[tuple[str, str], Path] = {}
    for fmt in FILE_FORMATS:
        codes = sorted({code for code, f in wanted if f == fmt}, key=lambda c: (len(c), c))
        if not codes:
            continue
        jobs = [
            batch.Job(code, region_name(code), region_level(code), f"{fmt}/{code}.{fmt}")
            for code in codes
        ]
        spec = batch.BatchSpec(fmt, False, meta["data_from"], meta["data_until"], str(store.path))
        out = files_dir()
        result = batch.run_batch(jobs, spec, out, workers=workers, progress=False)
        report.files_cpu_seconds += result.cpu_seconds
        report.batch_cpu_seconds += result.total_cpu_seconds
        index = batch.read_index(out)
        for job in jobs:
            if batch.is_current(index.get(job.file), spec, out):
                built[job.code, fmt] = out / job.file
    return built


@contextmanager
def opened(url: str | None = None) -> Iterator[Subscriptions]:
    """The subscriptions, migrated, closed after use."""
    subscriptions = Subscriptions(url).migrate()
    try:
        yield subscriptions
    finally:
        subscriptions.dispose()
