#!/usr/bin/env bash
# Make sure what the tests talk to is there: PostgreSQL on 127.0.0.1:5432 and Debian's
# Chromium for the browser tests. Safe to run again; installs only what is missing.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "Starting PostgreSQL…"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests…"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium fonts-dejavu-core
fi

# Deck checks (`make check-decks`, tests/test_decks_libreoffice.py): LibreOffice Impress converts
# PPTX to PDF headless, poppler's pdftoppm rasterises the pages, and Liberation Sans is the
# open, metric-compatible stand-in for the decks' theme font Arial (README, "Slides").
if [ ! -x /usr/bin/soffice ] || [ ! -x /usr/bin/pdftoppm ] || ! fc-list | grep -q "Liberation Sans"; then
  echo "Installing LibreOffice Impress, poppler-utils and fonts-liberation for the deck checks…"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends \
    libreoffice-impress poppler-utils fonts-liberation
fi
