"""Signed unsubscribe links: ``?berhenti=<id>.<signature>``, valid without login.

The signature is an HMAC-SHA256 of the subscription id under a server-side key
(``PRAKERJA_UNSUBSCRIBE_SECRET``, or a random key written once to the data directory), so a
link stops exactly one subscription and cannot be forged for another.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from dashboard.subscriptions.settings import ONE_CLICK_UNSUBSCRIBE, PUBLIC_URL, UNSUBSCRIBE_SECRET
from queries.settings import data_dir

PARAMETER = "berhenti"
KEY_FILE = "unsubscribe.key"


def _key() -> bytes:
    configured = UNSUBSCRIBE_SECRET.get()
    if configured:
        return configured.encode()
    path = Path(data_dir()) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f"{KEY_FILE}.{os.getpid()}")
        staging.write_text(secrets.token_urlsafe(32))
        staging.chmod(0o600)
        with contextlib.suppress(FileExistsError):  # the first writer's key wins
            os.link(staging, path)
        staging.unlink()
    return path.read_text().strip().encode()


def _signature(subscription_id: int) -> str:
    mac = hmac.new(_key(), f"langganan:{subscription_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def token(subscription_id: int) -> str:
    return f"{subscription_id}.{_signature(subscription_id)}"


def verify(text: str) -> int | None:
    """The subscription id a token names, or None when it is malformed or forged."""
    number, _, signature = text.strip().partition(".")
    if not number.isdigit() or len(number) > 12:
        return None
    return int(number) if hmac.compare_digest(signature, _signature(int(number))) else None


def link(subscription_id: int) -> str:
    return f"{PUBLIC_URL.get().rstrip('/')}/?{urlencode({PARAMETER: token(subscription_id)})}"


def one_click_offered() -> bool:
    """Whether e-mails may promise one-click (RFC 8058): the handler is served
    (:mod:`one_click`, behind the proxy) and the link is HTTPS, which the RFC requires."""
    return ONE_CLICK_UNSUBSCRIBE.get() == "1" and PUBLIC_URL.get().startswith("https://")
