"""Settings of the e-mail subscriptions (listed in the README's settings table)."""

from __future__ import annotations

from queries.settings import Setting

SMTP_URL = Setting(
    "PRAKERJA_SMTP_URL",
    "",
    "SMTP server for report e-mails: smtp://user:password@host:587 (STARTTLS), "
    "smtps://…:465 (TLS from the start), smtp://host:25 (no TLS, a local relay). Empty: "
    "nothing is sent.",
    "Server SMTP laporan e-mail: smtp://pengguna:sandi@host:587 (STARTTLS), smtps://…:465 "
    "(TLS sejak awal), smtp://host:25 (tanpa TLS, relai lokal). Kosong: tidak ada yang dikirim.",
)
SMTP_CA_FILE = Setting(
    "PRAKERJA_SMTP_CA_FILE",
    "",
    "PEM file of the CA(s) that signed the SMTP server's certificate (an internal CA); when "
    "set, only these are trusted. Empty: the system's CAs.",
    "Berkas PEM CA yang menandatangani sertifikat server SMTP (CA internal); bila diisi, hanya "
    "CA ini yang dipercaya. Kosong: CA sistem.",
)
MAIL_FROM = Setting(
    "PRAKERJA_MAIL_FROM",
    "Pantau Prakerja <noreply@localhost>",
    "Sender (From) of the report e-mails.",
    "Pengirim (From) laporan e-mail.",
)
PUBLIC_URL = Setting(
    "PRAKERJA_PUBLIC_URL",
    "http://localhost:8501",
    "The dashboard's address as readers reach it: links in e-mails (the region's page, "
    "unsubscribe).",
    "Alamat dasbor seperti dibuka pembaca: tautan dalam e-mail (halaman wilayah, berhenti "
    "berlangganan).",
)
UNSUBSCRIBE_SECRET = Setting(
    "PRAKERJA_UNSUBSCRIBE_SECRET",
    "",
    "Key that signs unsubscribe links (HMAC-SHA256); every worker and the sender need the "
    "same one. Empty: a random key kept in the data directory (unsubscribe.key).",
    "Kunci penanda tangan tautan berhenti berlangganan (HMAC-SHA256); setiap worker dan "
    "pengirim memakai kunci yang sama. Kosong: kunci acak di folder data (unsubscribe.key).",
)
ONE_CLICK_UNSUBSCRIBE = Setting(
    "PRAKERJA_ONE_CLICK_UNSUBSCRIBE",
    "0",
    "1 where the one-click unsubscribe handler is served behind the proxy (make serve, "
    "compose, Kubernetes set it): e-mails then carry List-Unsubscribe-Post (RFC 8058), when "
    "PRAKERJA_PUBLIC_URL is https.",
    "1 bila penangan berhenti satu klik dilayani di balik proksi (make serve, compose, "
    "Kubernetes): surel lalu membawa List-Unsubscribe-Post (RFC 8058), bila PRAKERJA_PUBLIC_URL "
    "memakai https.",
)
SETTINGS = (
    SMTP_URL,
    SMTP_CA_FILE,
    MAIL_FROM,
    PUBLIC_URL,
    UNSUBSCRIBE_SECRET,
    ONE_CLICK_UNSUBSCRIBE,
)
