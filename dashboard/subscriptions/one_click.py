"""One-click unsubscribe (RFC 8058): ``python -m dashboard.subscriptions one-click --listen 8089``.

A mail client's "Berhenti berlangganan" button (Gmail, Apple Mail, Outlook) does not open the
``List-Unsubscribe`` link: it POSTs ``List-Unsubscribe=One-Click`` to it, with no browser and
no cookie. Streamlit answers pages only by GET, so in the served topology HAProxy sends a POST
to a ``?berhenti=`` link here (``deploy/haproxy.cfg``) while a GET of the same link, a person
following it, still opens the page on a worker (:func:`section.handle_unsubscribe`). This small
stdlib HTTP server checks the signed token (:mod:`unsubscribe`), stops that one subscription
in the application database (``PRAKERJA_APP_DB_URL``, never the replica; audited like the
link) and answers in plain text. ``GET /health`` is HAProxy's check.

The message carries ``List-Unsubscribe-Post`` only where this handler is served
(``PRAKERJA_ONE_CLICK_UNSUBSCRIBE=1``: ``make serve``, compose, Kubernetes) and the public
address is HTTPS, as RFC 8058 requires: ``make run`` (one Streamlit process) keeps the link.
"""

from __future__ import annotations

import os
import socket
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from dashboard.subscriptions import unsubscribe
from dashboard.subscriptions.storage import Subscriptions
from geo.regions import region_name
from outreach.storage import AgendaUnavailableError

ACTOR = "tombol berhenti satu klik (klien surel)"
HEALTH_PATH = "/health"
PORT = 8089
MAX_BODY = 4096


class Handler(BaseHTTPRequestHandler):
    server_version = "pantau-berhenti"
    subscriptions: Subscriptions  # set on the class by serve()

    def do_GET(self) -> None:
        if urlsplit(self.path).path == HEALTH_PATH:
            self._answer(200, "ok")
        else:
            self._answer(405, "Buka tautan berhenti berlangganan lewat dasbor.")

    def do_POST(self) -> None:
        declared = self.headers.get("Content-Length", "0").strip()
        length = min(int(declared), MAX_BODY) if declared.isdigit() else 0
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        if "One-Click" not in body:  # RFC 8058: List-Unsubscribe=One-Click (form or multipart)
            self._answer(
                400, "Permintaan berhenti satu klik harus berisi List-Unsubscribe=One-Click."
            )
            return
        token = parse_qs(urlsplit(self.path).query).get(unsubscribe.PARAMETER, [""])[0]
        number = unsubscribe.verify(token)
        if number is None:
            self._answer(400, "Tautan ini tidak sah atau terpotong.")
            return
        try:
            stopped = self.subscriptions.set_active(ACTOR, number, False)
        except AgendaUnavailableError as error:
            self._answer(503, f"Langganan belum dapat dihentikan: {error} Coba lagi nanti.")
            return
        if stopped is None:
            self._answer(200, "Langganan ini sudah tidak ada.")
        else:
            self._answer(
                200,
                f"Langganan laporan {region_name(stopped.region_code)} untuk {stopped.email} "
                "telah dihentikan.",
            )

    def _answer(self, status: int, text: str) -> None:
        data = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def address_string(self) -> str:  # a unix socket's peer has no address
        return str(self.client_address[0]) if self.client_address else "-"

    def log_message(self, format: str, *args: object) -> None:
        print(f"one-click {format % args}", file=sys.stderr, flush=True)


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def make_server(listen: str) -> socketserver.BaseServer:
    """``PORT``, ``HOST:PORT`` or ``unix:PATH``."""
    if listen.startswith("unix:"):
        path = Path(listen.removeprefix("unix:"))
        path.unlink(missing_ok=True)
        return _UnixServer(str(path), Handler)
    host, _, port = listen.rpartition(":")
    server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return server


def serve(subscriptions: Subscriptions, listen: str) -> int:
    """Answer until killed (SIGTERM from the supervisor, or Ctrl-C)."""
    Handler.subscriptions = subscriptions
    server = make_server(listen)
    print(f"one-click unsubscribe on {listen} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
