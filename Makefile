# Every step CI and developers run is a target here; .ci/run only calls `make test`.
SHELL := /bin/bash
PYTHON_3_10 ?= /root/.pyenv/versions/3.10.13/bin/python
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAINING_DATA := data/nlu data/rules data/stories
TRAINING_FILES := domain.yml config.yml $(shell find data/nlu data/rules data/stories -name '*.yml' 2>/dev/null)
MODEL := models/skelleftea.tar.gz
SPACY_MODEL := var/spacy_sv/meta.json

.PHONY: help setup run run-scaled train shell lint types validate test test-unit eval bench bench-serve bench-scale bench-language clean browser npm nginx

help:
	@echo "make run       set up everything, train if needed, start the bot (Ctrl-C stops)"
	@echo "make test      set up everything and run lint, data validation and all tests"
	@echo "make test-unit the unit tests only: seconds, no servers"
	@echo "make types     the type check (mypy over bot and actions; also part of lint)"
	@echo "make eval      answer-level evaluation (dev, dev2, oos_dev, dev_en, blind, out-of-scope, reviewed, english)"
	@echo "make train     train the full-quality model into $(MODEL)"
	@echo "make shell     chat with the bot in the terminal"
	@echo "make bench     NLU accuracy and server speed, ours vs stock Rasa"
	@echo "make bench-serve  one Rasa process: msg/s, p50/p95, RSS, CPU per message by part,"
	@echo "               ours vs stock Rasa in the same run"
	@echo "make run-scaled SCALE=2 ACTIONS=2   Rasa replicas + action servers behind nginx,"
	@echo "               PostgreSQL tracker store, Redis lock store"
	@echo "make bench-scale  throughput and latency: 1 replica vs 2 replicas behind nginx"
	@echo "make bench-language  language identification: confusion table and time per message"

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON_3_10) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

$(SPACY_MODEL): $(VENV)/.installed bench/spacy_model.py
	$(PY) -m bench.spacy_model

setup: $(VENV)/.installed $(SPACY_MODEL)

$(MODEL): $(VENV)/.installed $(TRAINING_FILES)
	$(RASA) train --quiet --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA) --out models --fixed-model-name skelleftea

train: setup
	$(RASA) train --quiet --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA) --out models --fixed-model-name skelleftea

run: setup $(MODEL)
	$(PY) -m bot.ops.cli run --model $(MODEL)

# Scaled, as Rasa scales: SCALE Rasa replicas and ACTIONS action servers on internal ports,
# nginx in front of both on RASA_PORT/ACTION_PORT (5005/5055), a shared PostgreSQL tracker
# store (database created if missing) and the Redis lock store. Override TRACKER_DB_URL /
# LOCK_STORE_URL to point elsewhere.
SCALE ?= 2
ACTIONS ?= 2
SCALED_TRACKER_DB_URL ?= postgresql://127.0.0.1:5432/skelleftea
SCALED_LOCK_STORE_URL ?= redis://127.0.0.1:6379/0

run-scaled: setup nginx $(MODEL)
	TRACKER_DB_URL="$${TRACKER_DB_URL:-$(SCALED_TRACKER_DB_URL)}" \
	LOCK_STORE_URL="$${LOCK_STORE_URL:-$(SCALED_LOCK_STORE_URL)}" \
	  $(PY) -m bot.ops.cli run --model $(MODEL) --rasa-replicas $(SCALE) \
	  --action-servers $(ACTIONS) --create-database

# Debian's nginx, the load balancer of run-scaled, the scaling tests and bench-scale.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
	  (apt-get update && apt-get install -y nginx-light)

shell: setup $(MODEL)
	$(PY) -m bot.ops.cli shell --model $(MODEL)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot actions bench tests
	$(VENV)/bin/ruff format --check bot actions bench tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The type check alone (also the last step of lint): bot and actions, as pyproject.toml's
# [tool.mypy] says.
types: $(VENV)/.installed
	$(VENV)/bin/mypy

validate: $(VENV)/.installed
	$(PY) -m bot.ops.cli check
	$(RASA) data validate --fail-on-warnings --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA)

# Browser tests (tests/e2e/test_web_browser.py) drive Debian's Chromium through Playwright and
# inject axe-core from node_modules; Playwright never downloads a browser of its own.
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	npm ci --no-audit --no-fund
	touch $@

npm: $(AXE)

test: setup lint validate browser npm nginx
	$(PY) -m pytest

# Unit tests only: no servers, no model, no apt-get (a few seconds).
test-unit: $(VENV)/.installed
	$(PY) -m pytest -q tests/unit

# Answer-level evaluation through the REST webhook of the real stack with the full model:
# accuracy per kind and difficulty, invented promises, out-of-scope answered with a
# declaration; failures printed for the open splits only (dev, dev2, oos_dev, dev_en, reviewed) (bench/answer_eval.py).
eval: setup $(MODEL)
	$(PY) -m bench.answer_eval

bench: setup
	$(PY) -m bench.nlu && $(PY) -m bench.privacy

# One Rasa process with every safeguard on (masking channel and tracker store, action server,
# SQLite) against stock Rasa served the same way, same messages, same run: msg/s and p50/p95 at
# 1 and 10 concurrent conversations, RSS, and CPU per message by part (py-spy). Trains two
# small models the first time (cached under var/test-models).
bench-serve: setup
	$(PY) -m bench.serve

# Personal data through the masking function (10,000 messages) and a running server's
# webhook into its tracker store (500): how many items got through, how many harmless
# numbers were masked. `loadtest`: 50 conversations x 20 messages at concurrency 20 with
# the action server killed mid-run: none lost, none duplicated; errors and latency.
.PHONY: bench-privacy loadtest
bench-privacy: setup
	$(PY) -m bench.privacy

loadtest: setup
	$(PY) -m bench.loadtest

# The staff review tool (/granska) at 100,000 synthetic conversations: p50/p95 of the list
# (each filter), a transcript, the NLU inbox and the dashboard over HTTP, without and with
# its index on `events`; SQLite, and PostgreSQL when 127.0.0.1:5432 answers (~10 min).
.PHONY: bench-review
bench-review: setup
	$(PY) -m bench.review

# 20 concurrent conversations, same messages, same run: 1 replica on SQLite, 1 on
# PostgreSQL + Redis (direct and behind nginx), 2 replicas behind nginx; and the lock
# store's job shown (20 messages at once to one conversation, with and without it).
bench-scale: setup nginx
	$(PY) -m bench.scale

# Language identification (bot/core/message_language.py) on the labelled short messages of
# tests/data/language_id.yml and language_id_fresh.yml: accuracy per label, the confusion
# table and the time per message. Seconds; no servers, no model.
bench-language: $(VENV)/.installed
	$(PY) -m bench.language_id

clean:
	rm -rf models var .pytest_cache
