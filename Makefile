# Consult — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations compile-translations migrate demo lint clean bench bench-tools bench-profile

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

compile-translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d translations

## make run: the app on SQLite with demo data, at http://127.0.0.1:5000
run: install compile-translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set (there without the
## browser tests, which drive the same pages whatever the database, and with the concurrency tests, which need it)
test: install-dev compile-translations
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== Again on PostgreSQL ($$TEST_DATABASE_URL), browser tests left to the SQLite run"; \
		$(BIN)/pytest -m "not browser"; \
	fi

## make translations: extract messages, update the fr and es catalogs, compile
translations: install-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output --no-wrap \
		--project Consult --copyright-holder "Consult contributors" -o translations/messages.pot .
	for locale in fr es; do \
		[ -f translations/$$locale/LC_MESSAGES/messages.po ] || \
			$(BIN)/pybabel -q init -i translations/messages.pot -d translations -l $$locale; \
	done
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(BIN)/pybabel -q compile -d translations

## make bench: seed PostgreSQL (consult_bench on 127.0.0.1:5432, SQLite if absent), serve with gunicorn,
## load it with wrk, time the exports; writes bench/results/<date>-<scale>.json, docs/PERFORMANCE.md and
## docs/performance-exports.png. BENCH_SCALE=small (about 5 minutes on 2 cores) | medium | large.
BENCH_SCALE ?= small
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.bench: requirements.txt requirements-bench.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@ $(VENV)/.runtime

bench-tools: $(VENV)/.bench
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	@command -v psql >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql-client; }

bench: bench-tools compile-translations
	$(BIN)/python bench/run.py --scale $(BENCH_SCALE)

## make bench-profile PAGE=document: pyinstrument profile of one page (or submission, comment) on the seeded data
PAGE ?= document
bench-profile: bench-tools
	$(BIN)/python bench/profile_page.py $(PAGE) 5 --scale $(BENCH_SCALE)

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
