# The two commands a newcomer needs: `make run` (install, then open the dashboard on the
# synthetic demo replica) and `make test` (install, make sure PostgreSQL and Chromium are
# there, then lint and run every test). CI runs `make test` through .ci/run.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

.PHONY: install run test bench
install: $(BIN)/.installed

run: install
	$(BIN)/streamlit run dashboard/app.py

test: install
	bash .ci/services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench --scale 1.0
