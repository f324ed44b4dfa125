#!/usr/bin/env bash
# Make sure what the tests talk to is there: PostgreSQL on 127.0.0.1:5432, Debian's Chromium
# for the browser tests, HAProxy and nginx for the served topology (make serve), axe-core for the
# accessibility checks, and LibreOffice, poppler and Liberation Sans for the deck checks.
# Safe to run again; installs only what is missing.
set -euo pipefail

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
apt_updated=""

apt_install() {  # apt_install WHY PACKAGE…: Debian packages, with one 'apt-get update' per run
  echo "Installing for the $1: ${*:2}…"
  shift
  if [ -z "$apt_updated" ]; then $sudo_cmd apt-get update -q; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "$@"
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "Starting PostgreSQL…"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

[ -x /usr/bin/chromium ] || apt_install browser-tests chromium fonts-dejavu-core
command -v haproxy >/dev/null || apt_install served-topology haproxy
command -v openssl >/dev/null || apt_install smtp-tls-tests openssl  # CA and server certificates of the TLS mail tests
# the served topology's static sidecar: nginx with precompressed files (gzip_static, brotli_static)
if ! command -v nginx >/dev/null || [ ! -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]; then
  apt_install static-sidecar nginx-light libnginx-mod-http-brotli-static
fi

# Deck checks (`make check-decks`, tests/test_decks_libreoffice.py): LibreOffice Impress converts
# PPTX to PDF headless, poppler's pdftoppm rasterises the pages, and Liberation Sans is the
# open, metric-compatible stand-in for the decks' theme font Arial (README, "Slides").
if [ ! -x /usr/bin/soffice ] || [ ! -x /usr/bin/pdftoppm ] || ! fc-list | grep -q "Liberation Sans"; then
  apt_install deck-checks --no-install-recommends libreoffice-impress poppler-utils fonts-liberation
fi

# axe-core (accessibility rules) for tests/test_screens_a11y.py, pinned in .ci/axe/package.json.
if [ ! -f .ci/axe/node_modules/axe-core/axe.min.js ]; then
  command -v npm >/dev/null || apt_install axe-core npm
  npm ci --prefix .ci/axe --no-audit --no-fund
fi
