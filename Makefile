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

.PHONY: help setup run train shell lint validate test bench clean

help:
	@echo "make run       set up everything, train if needed, start the bot (Ctrl-C stops)"
	@echo "make test      set up everything and run lint, data validation and all tests"
	@echo "make train     train the full-quality model into $(MODEL)"
	@echo "make shell     chat with the bot in the terminal"
	@echo "make bench     NLU accuracy and server speed, ours vs stock Rasa"

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON_3_10) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

$(SPACY_MODEL): $(VENV)/.installed bot/spacy_model.py
	$(PY) -m bot.spacy_model

setup: $(VENV)/.installed $(SPACY_MODEL)

$(MODEL): $(VENV)/.installed $(TRAINING_FILES)
	$(RASA) train --quiet --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA) --out models --fixed-model-name skelleftea

train: setup
	$(RASA) train --quiet --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA) --out models --fixed-model-name skelleftea

run: setup $(MODEL)
	$(PY) -m bot.cli run --model $(MODEL)

shell: setup $(MODEL)
	$(PY) -m bot.cli shell --model $(MODEL)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot actions tests

validate: $(VENV)/.installed
	$(PY) -m bot.cli check
	$(RASA) data validate --fail-on-warnings --domain domain.yml --config config.yml \
	  --data $(TRAINING_DATA)

test: setup lint validate
	$(PY) -m pytest

bench: setup
	$(PY) -m bot.bench

clean:
	rm -rf models var .pytest_cache
