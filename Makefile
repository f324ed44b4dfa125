# The two commands a newcomer needs: `make run` (install, then open the dashboard on the
# synthetic demo replica) and `make test` (install, make sure PostgreSQL and Chromium are
# there, then lint, type-check and run every test). CI runs `make test` through .ci/run.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Two test processes, one test file each at a time (--dist loadfile keeps a module's fixtures
# in one process): the suite waits on browsers and servers as much as it computes.
TEST_WORKERS ?= 2

.PHONY: install run serve test bench check-decks
install: $(BIN)/.installed

# The open demo: without login anyone may write the agenda (PRAKERJA_AGENDA_OPEN_WRITE=0 to
# try the read-only default that `make serve`, compose and Kubernetes use).
run: install
	PRAKERJA_AGENDA_OPEN_WRITE=$${PRAKERJA_AGENDA_OPEN_WRITE:-1} $(BIN)/streamlit run dashboard/app.py

# Many people: HAProxy on $(PORT) in front of $(WORKERS) Streamlit workers and an nginx static
# sidecar, plus the single refresh service (dashboard/serve.py; proxy config in deploy/haproxy.cfg).
WORKERS ?= 2
PORT ?= 8080
serve: install
	@command -v haproxy >/dev/null || { echo 'HAProxy is missing: sudo apt-get install haproxy'; exit 1; }
	@command -v nginx >/dev/null || { echo 'nginx is missing: sudo apt-get install nginx-light libnginx-mod-http-brotli-static'; exit 1; }
	$(BIN)/python -m dashboard.serve --workers $(WORKERS) --port $(PORT)

test: install
	bash .ci/services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python -m bench --scale 1.0

# Build the national, every province's and a few regency decks from the current store, convert
# them with LibreOffice Impress (headless) and pdftoppm, and check that no text overflows its
# frame and every picture is there. Pages as PNG in artifacts/decks/pdf/ (look at them).
check-decks: install
	bash .ci/services.sh
	$(BIN)/python -m dashboard.exports.deck_check --sample --out artifacts/decks
