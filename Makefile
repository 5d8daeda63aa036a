# Linli — the two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
RASA_VENV := .venv-rasa
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: install system-run system-test run test test-unit test-integration train lint bench bench-voice bench-ar \
	bench-kb bench-reload clean

# System packages come first, before any venv is built: as root they are installed with apt-get, otherwise
# make stops at once with the one command to run. The list is requirements/debian-packages.txt.
SYSTEM_PACKAGES := requirements/system-packages.sh
# Kivy's OpenGL libraries only where the kiosk can open a window; without a screen `make run` opens the chat.
RUN_GROUPS := run $(if $(DISPLAY)$(WAYLAND_DISPLAY),display)

$(VENV)/.installed: pyproject.toml
	@test -n "$(PY)" || { echo "Linli needs Python 3.11 or newer for .venv (python3.11 not found)."; exit 1; }
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip wheel
	$(VENV)/bin/pip install -q -e '.[kiosk,dev]'
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa-constraints.txt $(VENV)/.installed
	@RASA_PY=$$($(VENV)/bin/python -m assistant.dialogue.rasa_python) || exit 1; \
	echo "Creating $(RASA_VENV) with $$RASA_PY (Rasa 3.6 needs Python 3.10)"; \
	$$RASA_PY -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip wheel
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.txt -c requirements/rasa-constraints.txt
	touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed

train: install
	$(VENV)/bin/linli train

system-run:
	@$(SYSTEM_PACKAGES) $(RUN_GROUPS)

system-test:
	@$(SYSTEM_PACKAGES) run display test

# `$(MAKE) install` after the check (not a second prerequisite): even under `make -j` no venv is built
# before the system packages are there.
run: system-run
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/linli run

test: system-test
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/python -m pytest -q

test-unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q -m "not integration"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy foundation assistant community_services kiosk_app ar_overlays wayfinding bench

bench: system-test
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/python -m bench.conversation
	$(VENV)/bin/python -m bench.voice
	$(VENV)/bin/python -m bench.ar
	$(VENV)/bin/python -m bench.knowledge
	$(VENV)/bin/python -m bench.reload

bench-voice: install
	$(VENV)/bin/python -m bench.voice

bench-ar: install
	$(VENV)/bin/python -m bench.ar

bench-kb: install
	$(VENV)/bin/python -m bench.knowledge

bench-reload: install
	$(VENV)/bin/python -m bench.reload

clean:
	rm -rf build var/models var/run
