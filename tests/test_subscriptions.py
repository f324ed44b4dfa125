"""Report subscriptions by e-mail (issue 24), with real parts: an SMTP server on 127.0.0.1
(aiosmtpd) receives the messages, which are parsed; their figures are compared with the
screen's query functions; the PDF is opened with pypdf, the HTML report in offline
Chromium; the unsubscribe link is followed; two real processes run at once."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from openpyxl import Workbook
from pypdf import PdfReader

from dashboard import data, formatting
from dashboard.subscriptions import delivery, importer, message, unsubscribe
from dashboard.subscriptions.storage import (
    MAX_ATTEMPTS,
    SubscriptionError,
    SubscriptionInput,
    Subscriptions,
)
from outreach.spreadsheet import ImportRejected
from outreach.storage import Editor
from queries import refresh_service
from queries.health import record_failure
from queries.settings import ConfigError
from queries.store import store_dir

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = Editor("admin@kemenko.go.id", "ID")
SECRET = "rahasia-uji"


class Inbox:
    """An aiosmtpd handler that keeps every message, or answers every DATA with ``reply``."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reply.startswith("250"):
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self.lock:
                self.messages.append(parsed)
        return self.reply


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def smtp_server(reply: str = "250 OK") -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox(reply)
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_env(app_env, monkeypatch, tmp_path) -> Path:
    """The session's small store (as the screens read it), an application database of this
    test's own, a known unsubscribe key; returns the store directory."""
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("PRAKERJA_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.setenv("PRAKERJA_PUBLIC_URL", "https://pantau.example.go.id")
    return store_dir(Path(os.environ["PRAKERJA_DATA_DIR"]))


@pytest.fixture
def subs(mail_env) -> Iterator[Subscriptions]:
    with delivery.opened() as opened:
        yield opened


def _subscribe(subs: Subscriptions, *rows: tuple[str, str, str, str]) -> None:
    subs.subscribe_many(NATIONAL, [SubscriptionInput(e, r, f, 0, fmt) for e, r, f, fmt in rows])


def _by_recipient(inbox: Inbox) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in inbox.messages}


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    return content.replace("\r\n", "\n")  # as SMTP carried it


def _figure_lines(text: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r"^  (\S.*?)\s{2,}(\S+(?: \S+)?) \((.+)\)$", text, re.MULTILINE)
    return {label: (value, change) for label, value, change in found}


def _screen_figures(region: str, frequency: str) -> dict[str, tuple[str, str]]:
    """What the KPI cards would show for the e-mail's period, from the screens' own cached
    query functions (``dashboard.data``)."""
    meta = data.meta()
    period = message.report_period(
        frequency, pd.Timestamp(meta["data_from"]).date(), pd.Timestamp(meta["data_until"]).date()
    ).with_region(region)
    previous = period.previous_period()
    assert previous is not None
    now, before = data.totals(period), data.totals(previous)
    out = {}
    for key, label in message.KEY_FIGURES:
        value = now[key]
        if key == "paid_idr":
            shown = formatting.rupiah(value)
        else:
            shown = formatting.hidden_count() if value is pd.NA else formatting.number(value)
        relative = formatting.change(value, before[key])
        out[label] = (shown, "–" if relative is None else formatting.signed_percent(relative))
    return out


# --- the message ---------------------------------------------------------------------------------


def test_weekly_messages_reach_a_real_smtp_server_with_the_screens_figures(
    subs, mail_env, monkeypatch, browser, tmp_path
) -> None:
    _subscribe(
        subs,
        ("prov@jabar.go.id", "32", "weekly", "pdf"),
        ("kab@bogorkab.go.id", "3201", "weekly", "html"),
        ("kota@kotakecil.go.id", "9171", "monthly", "body"),
    )
    with smtp_server() as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        report = delivery.run_once(subs, mail_env, force=True, workers=1)
    assert report.sent == 3 and not report.failed
    mails = _by_recipient(inbox)
    assert set(mails) == {"prov@jabar.go.id", "kab@bogorkab.go.id", "kota@kotakecil.go.id"}

    province = mails["prov@jabar.go.id"]
    assert province["Subject"].startswith("Pantau Prakerja: Jawa Barat, minggu ")
    assert province["Subject"].endswith("[DATA SINTETIS]")
    for mail, region, frequency in (
        (province, "32", "weekly"),
        (mails["kab@bogorkab.go.id"], "3201", "weekly"),
        (mails["kota@kotakecil.go.id"], "9171", "monthly"),
    ):
        text = _text(mail)
        assert _figure_lines(text) == _screen_figures(region, frequency), region
        assert "DATA SINTETIS" in text and " WIB" in text
        html_part = mail.get_body(("html",))
        assert html_part is not None
        assert 'name="viewport"' in html_part.get_content()
        (link,) = re.findall(r"https://pantau\.example\.go\.id/\?berhenti=\S+", text)
        assert str(mail["List-Unsubscribe"]).strip() == f"<{link}>"  # folded on the wire

    # a small city's week: the hidden counts read "<10", as on screen, never a raw count
    small = _figure_lines(_text(mails["kota@kotakecil.go.id"]))
    assert any(value == "<10" for value, _ in small.values())

    # the PDF deck: every slide a page, the region and the synthetic stamp on the first
    (pdf,) = [p for p in province.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.get_content())).pages
    assert len(pages) == 10
    first = pages[0].extract_text()
    assert "Jawa Barat" in first and "DATA SINTETIS" in first

    # the offline HTML report opens in Chromium with no network at all
    (report_part,) = list(mails["kab@bogorkab.go.id"].iter_attachments())
    document = report_part.get_content()
    requests: list[str] = []
    with contextlib.closing(browser.new_context(offline=True)) as context:

        def refuse(route) -> None:
            requests.append(route.request.url)
            route.abort()

        context.route("**/*", refuse)
        page = context.new_page()
        page.set_content(document, wait_until="load")
        page.wait_for_selector("path.leaflet-interactive")
        heading = page.locator("h1").first.inner_text()
        stamp = page.locator("[data-stamp]").inner_text()
        # the HTML part on a phone: nothing wider than the screen, body text at 16 px
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        body = province.get_body(("html",))
        assert body is not None
        phone.set_content(body.get_content(), wait_until="load")
        widest = phone.evaluate("document.documentElement.scrollWidth")
        size = phone.evaluate("getComputedStyle(document.querySelector('div')).fontSize")
        shown = phone.inner_text("body")
    assert requests == []
    assert "Kabupaten Bogor" in heading and stamp == "DATA SINTETIS"
    assert widest <= 390 and size == "16px"
    assert "Angka utama" in shown and "Berhenti berlangganan" in shown
    assert not list(mails["kota@kotakecil.go.id"].iter_attachments())


def test_an_attachment_over_2_mb_becomes_a_note_and_a_link(subs, mail_env, tmp_path) -> None:
    from queries.store import Store
    from queries.suppression import ProtectedFigures

    (saved,) = subs.subscribe_many(NATIONAL, [SubscriptionInput("a@b.go.id", "32")])
    store = Store.open_current(mail_env)
    digest = message.build_digest(store, ProtectedFigures.direct(store, 10), "32", "weekly")
    store.close()
    big = tmp_path / "32.pdf"
    big.write_bytes(b"%PDF" + os.urandom(message.MAX_ATTACHMENT_BYTES))
    mail = message.compose(digest, saved, big)
    assert not list(mail.iter_attachments())
    text = _text(mail)
    assert "di atas batas 2 MB" in text and digest.dashboard_link in text
    assert "/daerah-saya?wilayah=32" in digest.dashboard_link


# --- delivery: failures, retries, two runners ----------------------------------------------


def test_a_refusing_server_is_recorded_and_retried_with_back_off(
    subs, mail_env, monkeypatch
) -> None:
    _subscribe(subs, ("ditolak@pemda.go.id", "32", "weekly", "body"))
    start = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # a Monday in WIB
    with smtp_server("554 5.7.1 Ditolak oleh kebijakan") as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        first = delivery.run_once(subs, mail_env, now=start, workers=1)
        again = delivery.run_once(subs, mail_env, now=start + timedelta(minutes=1), workers=1)
    assert len(first.failed) == 1 and "554" in first.failed[0] and inbox.messages == []
    (failed,) = subs.deliveries()
    assert (failed.status, failed.attempts, failed.period) == ("failed", 1, "2026-W50")
    assert "Ditolak oleh kebijakan" in (failed.error or "")
    assert failed.next_attempt_at == start + timedelta(minutes=5)
    assert again.sent == 0 and not again.failed  # still backing off

    with smtp_server() as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        later = delivery.run_once(subs, mail_env, now=start + timedelta(minutes=6), workers=1)
        after = delivery.run_once(subs, mail_env, now=start + timedelta(hours=1), workers=1)
    assert later.sent == 1 and len(inbox.messages) == 1
    assert after.sent == 0 and after.taken == 1  # never twice for the same week
    (sent,) = subs.deliveries()
    assert (sent.status, sent.attempts, sent.error) == ("sent", 2, None)
    assert MAX_ATTEMPTS >= 2


def test_a_server_that_never_answers_times_out_and_leaves_the_rest(
    subs, mail_env, monkeypatch
) -> None:
    _subscribe(
        subs,
        ("satu@pemda.go.id", "32", "weekly", "body"),
        ("dua@pemda.go.id", "33", "weekly", "body"),
    )
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        monkeypatch.setenv("PRAKERJA_SMTP_URL", f"smtp://127.0.0.1:{silent.getsockname()[1]}")
        report = delivery.run_once(subs, mail_env, force=True, workers=1, timeout=1)
    assert len(report.failed) == 1 and "tidak menjawab" in report.failed[0]
    assert report.left == 1  # not tried against a dead server; the next run takes it
    assert [d.status for d in subs.deliveries()] == ["failed"]


# --- TLS: STARTTLS and smtps against a real TLS server ------------------------------------------


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _certificate(folder: Path, ca: Path, name: str, subject_alt_name: str) -> tuple[Path, Path]:
    """A server certificate for ``subject_alt_name`` signed by ``ca`` (``ca.pem``/``ca.key``)."""
    key, request, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.pem"
    extensions = folder / f"{name}.ext"
    extensions.write_text(
        f"subjectAltName={subject_alt_name}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", request, "-subj", f"/CN={name}")  # fmt: skip
    _openssl("x509", "-req", "-in", request, "-CA", ca / "ca.pem", "-CAkey", ca / "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", cert)  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    """A test CA made here with openssl, and two server certificates it signed: one for
    127.0.0.1, one for another host name."""
    folder = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2",
             "-subj", "/CN=CA uji Pantau Prakerja",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    right = _certificate(folder, folder, "local", "IP:127.0.0.1,DNS:localhost")
    wrong = _certificate(folder, folder, "other", "DNS:mail.lain.example")
    return {"ca": folder / "ca.pem", "cert": right[0], "key": right[1],
            "other_cert": wrong[0], "other_key": wrong[1]}  # fmt: skip


class TlsInbox(Inbox):
    """Keeps each message's TLS version, and every login with whether it came over TLS."""

    def __init__(self) -> None:
        super().__init__()
        self.tls_versions: list[str | None] = []
        self.logins: list[tuple[str, str, bool]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        tls = server.transport.get_extra_info("ssl_object")
        self.tls_versions.append(tls.version() if tls else None)
        return await super().handle_DATA(server, session, envelope)

    def __call__(self, server, session, envelope, mechanism, auth_data):  # the authenticator
        from aiosmtpd.smtp import AuthResult

        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.logins.append((auth_data.login.decode(), auth_data.password.decode(), encrypted))
        return AuthResult(success=True)


@contextlib.contextmanager
def tls_smtp_server(mode: str, cert: Path, key: Path) -> Iterator[tuple[str, TlsInbox]]:
    """aiosmtpd with TLS: STARTTLS required on a plain port, or TLS from the first byte."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    inbox = TlsInbox()
    starttls = mode == "starttls"
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        ssl_context=None if starttls else context,  # smtps: TLS from the first byte
        tls_context=context if starttls else None,
        require_starttls=starttls,
        authenticator=inbox,
        auth_require_tls=starttls,  # smtps: the whole connection is TLS already
    )
    controller.start()
    scheme = "smtps" if mode == "smtps" else "smtp"
    try:
        yield f"{scheme}://pemda%40uji:s%3Dndi@127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_starttls_and_smtps_deliver_to_a_real_tls_server_whose_ca_is_trusted(
    subs, mail_env, monkeypatch, tls_files, mode
) -> None:
    _subscribe(subs, ("aman@pemda.go.id", "32", "weekly", "body"))
    monkeypatch.setenv("PRAKERJA_SMTP_CA_FILE", str(tls_files["ca"]))
    with tls_smtp_server(mode, tls_files["cert"], tls_files["key"]) as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        report = delivery.run_once(subs, mail_env, force=True, workers=1)
    assert report.sent == 1 and not report.failed
    (mail,) = inbox.messages
    assert mail["To"] == "aman@pemda.go.id" and "Jawa Barat" in mail["Subject"]
    assert inbox.tls_versions[0] in ("TLSv1.2", "TLSv1.3")
    assert inbox.logins == [("pemda@uji", "s=ndi", True)]  # the password only over TLS
    assert [d.status for d in subs.deliveries()] == ["sent"]


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
@pytest.mark.parametrize(
    ("trusted", "certificate", "problem"),
    [
        (False, "cert", "penerbit sertifikatnya bukan CA yang dipercaya"),
        (True, "other_cert", "sertifikatnya tidak berlaku untuk 127.0.0.1"),
    ],
    ids=["unknown-ca", "other-host"],
)
def test_a_wrong_certificate_is_refused_with_a_message_in_bahasa(
    subs, mail_env, monkeypatch, tls_files, mode, trusted, certificate, problem
) -> None:
    _subscribe(subs, ("ragu@pemda.go.id", "32", "weekly", "body"))
    if trusted:
        monkeypatch.setenv("PRAKERJA_SMTP_CA_FILE", str(tls_files["ca"]))
    else:
        monkeypatch.delenv("PRAKERJA_SMTP_CA_FILE", raising=False)
    key = tls_files[certificate.replace("cert", "key")]
    with tls_smtp_server(mode, tls_files[certificate], key) as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        report = delivery.run_once(subs, mail_env, force=True, workers=1)
    assert inbox.messages == [] and inbox.logins == []  # no password to an unverified server
    (error,) = report.failed
    assert "Sertifikat TLS server SMTP 127.0.0.1:" in error and problem in error
    assert "PRAKERJA_SMTP_CA_FILE" in error
    (failed,) = subs.deliveries()
    assert failed.status == "failed" and problem in (failed.error or "")


def test_an_unreadable_ca_file_stops_the_run_in_bahasa(subs, mail_env, monkeypatch, tmp_path):
    _subscribe(subs, ("ca@pemda.go.id", "32", "weekly", "body"))
    monkeypatch.setenv("PRAKERJA_SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.setenv("PRAKERJA_SMTP_CA_FILE", str(tmp_path / "tidak-ada.pem"))
    with pytest.raises(ConfigError, match=r"PRAKERJA_SMTP_CA_FILE .* tidak dapat dibaca"):
        delivery.run_once(subs, mail_env, force=True, workers=1)
    assert subs.deliveries() == []


def test_a_failing_refresh_delays_the_mail_and_says_why(
    subs, mail_env, monkeypatch, tmp_path, capsys
) -> None:
    _subscribe(subs, ("tunda@pemda.go.id", "32", "weekly", "body"))
    stale = tmp_path / "store"
    stale.mkdir()
    record_failure(stale, "Replika tidak dapat dijangkau")
    with smtp_server() as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        with pytest.raises(delivery.DeliveryDelayed, match="Replika tidak dapat dijangkau"):
            delivery.run_once(subs, stale, force=True)
        refresh_service.send_reports(False)  # what the refresh service does after a failure
        assert "delayed: the refresh failed" in capsys.readouterr().err and not inbox.messages
        refresh_service.send_reports(True)  # and after a success: the mail command's process
    assert len(inbox.messages) == 1


def test_two_runners_at_once_send_each_message_once(mail_env, own_pg_database, tmp_path) -> None:
    url = own_pg_database.replace("postgresql://", "postgresql+psycopg://")
    with delivery.opened(url) as subs:
        subs.subscribe_many(
            NATIONAL,
            [
                SubscriptionInput(f"p{code}@pemda.go.id", code, "weekly", 0, "body")
                for code in ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32")
            ],
        )
        with smtp_server() as (smtp, inbox):
            env = {
                **os.environ,
                "PRAKERJA_APP_DB_URL": url,
                "PRAKERJA_SMTP_URL": smtp,
                "PYTHONPATH": str(ROOT),
            }
            command = [sys.executable, "-m", "dashboard.subscriptions", "run", "--once", "--now"]
            runners = [
                subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
                for _ in range(2)
            ]
            outputs = [runner.communicate(timeout=300)[0] for runner in runners]
        assert [runner.returncode for runner in runners] == [0, 0], outputs
        recipients = sorted(str(m["To"]) for m in inbox.messages)
        assert len(recipients) == 12 == len(set(recipients)), recipients
        deliveries = subs.deliveries()
        assert len(deliveries) == 12 and {(d.status, d.attempts) for d in deliveries} == {
            ("sent", 1)
        }
        counts = [re.findall(r"Terkirim (\d+)", output) for output in outputs]
        assert sum(int(count) for found in counts for count in found) == 12


# --- subscriptions: scope, audit, import -----------------------------------------------------


def test_scope_and_audit(subs) -> None:
    regency = Editor("staf@bogorkab.go.id", "3201")
    with pytest.raises(SubscriptionError, match="di luar akses Anda"):
        subs.subscribe(regency, SubscriptionInput("staf@bogorkab.go.id", "32", format="body"))
    with pytest.raises(SubscriptionError, match="format badan surel saja"):
        subs.subscribe(regency, SubscriptionInput("staf@bogorkab.go.id", "3201", format="pdf"))
    saved = subs.subscribe(
        regency, SubscriptionInput(" Staf@BogorKab.go.id ", "32.01", "monthly", None, "body")
    )
    assert (saved.email, saved.region_code, saved.created_by) == (
        "staf@bogorkab.go.id",
        "3201",
        regency.who,
    )
    again = subs.subscribe(
        regency, SubscriptionInput("staf@bogorkab.go.id", "3201", "weekly", 4, "body")
    )
    assert (
        again.id == saved.id
        and again.describe() == "mingguan, setiap jumat · angka di badan surel saja"
    )
    subs.set_active("staf@bogorkab.go.id", saved.id, False)
    actions = [(row["action"], row["actor"]) for row in subs.audit(saved.id)]
    assert actions == [("stop", regency.who), ("update", regency.who), ("create", regency.who)]
    stopped = subs.get(saved.id)
    assert stopped is not None and not stopped.active


def test_a_national_list_imports_all_or_nothing(subs) -> None:
    bad = (
        "Surel,Kode wilayah,Frekuensi,Hari,Format\n"
        "a@b.go.id,32,mingguan,senin,pdf\nx,99,tahunan,,zip\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        importer.import_file(subs, NATIONAL, "daftar.csv", bad.encode())
    (problem,) = rejected.value.problems
    assert problem.row == 3
    for words in ("alamat surel", "kode wilayah", "frekuensi", "format"):
        assert words in problem.message.lower()
    assert subs.subscriptions() == []

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(importer.HEADERS))
    sheet.append(["a@b.go.id", "32", "mingguan", "rabu", "pdf"])
    sheet.append(["c@d.go.id", "3201", "bulanan", "", "badan"])
    buffer = io.BytesIO()
    book.save(buffer)
    saved = importer.import_file(subs, NATIONAL, "daftar.xlsx", buffer.getvalue())
    assert [(s.region_code, s.frequency, s.weekday, s.format) for s in saved] == [
        ("32", "weekly", 2, "pdf"),
        ("3201", "monthly", None, "body"),
    ]
    with pytest.raises(ImportRejected, match="1 masalah"):
        importer.import_file(subs, Editor("p@jabar.go.id", "32"), "daftar.xlsx", buffer.getvalue())


def test_unsubscribe_tokens_are_signed(mail_env) -> None:
    token = unsubscribe.token(7)
    assert unsubscribe.verify(token) == 7
    number, signature = token.split(".")
    assert unsubscribe.verify(f"8.{signature}") is None
    assert unsubscribe.verify(f"{number}.{signature[:-1]}A") is None
    assert unsubscribe.verify("berhenti") is None


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url, body, {"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError as error:  # the proxy is not listening yet
        return 0, str(error)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_a_mail_clients_one_click_post_through_the_proxy_stops_the_subscription(
    subs, mail_env, monkeypatch, tmp_path
) -> None:
    """RFC 8058 as served: the message promises one-click, and a POST of its
    List-Unsubscribe link through HAProxy (deploy/haproxy.cfg as ``make serve`` renders it)
    reaches the handler process, which stops that subscription in the application database;
    a GET of the same link goes to the workers, never to the handler."""
    from dashboard.serve import proxy_config, unsubscribe_command
    from dashboard.subscriptions import one_click

    _subscribe(
        subs,
        ("satu-klik@pemda.go.id", "32", "weekly", "body"),
        ("tetap@pemda.go.id", "33", "weekly", "body"),
    )
    monkeypatch.setenv("PRAKERJA_ONE_CLICK_UNSUBSCRIBE", "1")  # as make serve sets it
    with smtp_server() as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        delivery.run_once(subs, mail_env, force=True, workers=1)
    mails = _by_recipient(inbox)
    mail = mails["satu-klik@pemda.go.id"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = urllib.parse.urlsplit(str(mail["List-Unsubscribe"]).strip().strip("<>"))
    assert link.scheme == "https"  # RFC 8058: one-click only for an HTTPS link

    run, port = tmp_path / "run", _free_port()
    run.mkdir()
    config = run / "haproxy.cfg"
    config.write_text(proxy_config([_free_port()], run / "static.sock", run / "unsubscribe.sock"))
    env = {**os.environ, "PANTAU_RUN_DIR": str(run), "PANTAU_BIND": "127.0.0.1"}
    env["PANTAU_PORT"] = str(port)
    handler = subprocess.Popen(
        unsubscribe_command(f"unix:{run / 'unsubscribe.sock'}"), cwd=ROOT, env=env
    )
    proxy = subprocess.Popen(["haproxy", "-W", "-db", "-f", str(config)], env=env)
    try:
        # the link as the mail client has it, through the proxy (TLS ends before HAProxy)
        target = f"http://127.0.0.1:{port}{link.path}?{link.query}"
        deadline = time.monotonic() + 30
        status, answer = _post(target, b"List-Unsubscribe=One-Click")
        while status != 200 and time.monotonic() < deadline:  # the proxy, the handler start
            time.sleep(0.5)
            status, answer = _post(target, b"List-Unsubscribe=One-Click")
        assert (status, answer.strip()) == (
            200,
            "Langganan laporan Jawa Barat untuk satu-klik@pemda.go.id telah dihentikan.",
        )
        forged = target.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
        assert _post(forged, b"List-Unsubscribe=One-Click")[0] == 400
        assert _post(target, b"")[0] == 400  # not a one-click request
        with pytest.raises(urllib.error.HTTPError) as got:  # GET: a worker's page (none here)
            urllib.request.urlopen(target, timeout=5)
        assert got.value.code == 503 and "one-click" not in got.value.read().decode()
    finally:
        for process in (proxy, handler):
            process.terminate()
            process.wait(timeout=10)
    by_email = {s.email: s for s in subs.subscriptions()}
    assert not by_email["satu-klik@pemda.go.id"].active
    assert by_email["tetap@pemda.go.id"].active  # one link stops exactly one subscription
    stopped = subs.audit(by_email["satu-klik@pemda.go.id"].id)
    assert stopped[0]["actor"] == one_click.ACTOR


def test_one_click_is_promised_only_where_it_is_served_over_https(subs, mail_env, monkeypatch):
    """``make run`` (one Streamlit process, nothing answers a POST) and an http address keep
    the link alone: the header would promise a button that fails."""
    _subscribe(subs, ("biasa@pemda.go.id", "32", "weekly", "body"))
    figures = (message.KeyFigure("Pendaftar", "1.000", "+1,0%"),)
    for setting, public, promised in [
        ("0", "https://pantau.example.go.id", False),
        ("1", "http://pantau.example.go.id", False),
        ("1", "https://pantau.example.go.id", True),
    ]:
        monkeypatch.setenv("PRAKERJA_ONE_CLICK_UNSUBSCRIBE", setting)
        monkeypatch.setenv("PRAKERJA_PUBLIC_URL", public)
        (subscription,) = subs.subscriptions()
        digest = message.Digest(
            "32", "Jawa Barat", message.Filters(), "minggu ini", "", "", True, figures, (), "", ""
        )
        mail = message.compose(digest, subscription, None)
        assert str(mail["List-Unsubscribe"]).startswith(f"<{public}/?berhenti=")
        assert (mail["List-Unsubscribe-Post"] is not None) is promised


def test_the_cli_adds_lists_and_refuses_bad_input_in_one_line(mail_env) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dashboard.subscriptions"]
    added = subprocess.run(
        [
            *command,
            "add",
            "--email",
            "op@pemda.go.id",
            "--region",
            "3201",
            "--every",
            "weekly",
            "--format",
            "html",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*command, "list"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert (
        "op@pemda.go.id\t3201\tmingguan, setiap senin · laporan HTML luring\tya\tbelum ada"
        in listed.stdout
    )
    bad = subprocess.run(
        [*command, "add", "--email", "op", "--region", "99"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    unset = subprocess.run(
        [*command, "run", "--once"],
        env={**env, "PRAKERJA_SMTP_URL": ""},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert unset.returncode == 1 and "PRAKERJA_SMTP_URL belum diatur" in unset.stderr


# --- the app: unsubscribe link in Chromium, the Langganan laporan page ------------------------


@pytest.fixture
def app_with_mail(mail_env, boundary_cache, monkeypatch, tmp_path) -> Iterator[str]:
    """A worker of its own, sharing this test's application database and unsubscribe key."""
    from browser_fixtures import _free_port as free_port

    from dashboard.serve import worker_command

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("PRAKERJA_PUBLIC_URL", url)
    env = {**os.environ, "PRAKERJA_CACHE_DIR": str(boundary_cache), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        worker_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(120):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            threading.Event().wait(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_unsubscribe_link_asks_then_stops_the_subscription_without_login(
    app_with_mail, subs, mail_env, monkeypatch, browser
) -> None:
    from browser_fixtures import wait_until_idle

    _subscribe(
        subs,
        ("berhenti@pemda.go.id", "32", "weekly", "body"),
        ("tetap@pemda.go.id", "33", "weekly", "body"),
    )
    with smtp_server() as (url, inbox):
        monkeypatch.setenv("PRAKERJA_SMTP_URL", url)
        delivery.run_once(subs, mail_env, force=True, workers=1)
    mail = _by_recipient(inbox)["berhenti@pemda.go.id"]
    link = str(mail["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith(app_with_mail + "/?berhenti=")
    with contextlib.closing(browser.new_context()) as context:
        page = context.new_page()
        page.goto(link.replace(".", ".X", 1).replace(".X", ".", 1)[:-2] + "AA")  # forged
        wait_until_idle(page)
        forged = page.locator("[data-testid='stAlert']").inner_text()
        page.goto(link)
        wait_until_idle(page)
        # (formatting.plain breaks the address's autolink with a word joiner)
        asked = page.locator("[data-testid='stMain']").inner_text().replace("\u2060", "")
        opened = {s.email: s.active for s in subs.subscriptions()}
        page.get_by_role("button", name="Ya, hentikan langganan").click()
        page.locator("[data-testid='stAlert']").wait_for(timeout=60_000)
        done = page.locator("[data-testid='stAlert']").inner_text()
    assert "tidak sah" in forged
    # a mail scanner opening (even drawing) the link stops nothing: only the click does
    assert "Hentikan laporan Jawa Barat yang dikirim ke berhenti@pemda.go.id?" in asked
    assert opened == {"berhenti@pemda.go.id": True, "tetap@pemda.go.id": True}
    assert "telah dihentikan" in done and "Jawa Barat" in done
    active = {s.email: s.active for s in subs.subscriptions()}
    assert active == {"berhenti@pemda.go.id": False, "tetap@pemda.go.id": True}
    (entry, *_) = subs.audit()
    assert (entry["action"], entry["actor"]) == ("stop", "tautan berhenti berlangganan (surel)")


def test_the_langganan_page_subscribes_lists_and_stops(subs, mail_env) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("../pages/langganan.py")
    at.run()
    assert not at.exception, at.exception
    at.text_input[0].set_value("kepala@pemda.go.id")
    at.selectbox[0].set_value("3201")
    at.selectbox[2].set_value("html")
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (saved,) = subs.subscriptions()
    assert (saved.email, saved.region_code, saved.format) == ("kepala@pemda.go.id", "3201", "html")
    assert "Belum ada" in at.table[0].value.to_string()
    at.button[1].click()  # Hentikan
    at.run()
    assert not at.exception
    stopped = subs.get(saved.id)
    assert stopped is not None and not stopped.active
