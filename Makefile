# openedx-xapi: every target sets up what it needs on a fresh machine.
#   make demo     the sandbox: stand-in LMS, Celery worker, Redis, Ralph LRS, sample events
#   make test     the whole test suite (real Redis, Celery and Ralph included)
#   make bench    this project beside event-routing-backends (BENCH=translation,in-request,end-to-end,memory,replay)
.PHONY: help requirements system-packages browser-test-requirements test test-browser test-unit demo bench docs quality upgrade clean

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

help:
	@sed -n 's/^#   //p' Makefile

# Debian packages the tests and the demo run: the Redis server (the Celery broker and the
# events' stream), and RabbitMQ (the other broker the scale test runs on; the tests start
# a private node of their own, never the system service).
system-packages:
	@command -v redis-server >/dev/null || { \
	  echo "Installing redis-server (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@test -x /usr/lib/rabbitmq/bin/rabbitmq-server || { \
	  echo "Installing rabbitmq-server (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null; }

# The browser tests (tests/browser): Debian's chromium, driven headless by Playwright (never
# `playwright install`: no browser is downloaded), and axe-core from the npm registry, kept in
# the git-ignored .cache/axe-core. Screenshots go to .artifacts/screenshots/.
AXE_CORE_VERSION := 4.14.1
AXE_CORE := .cache/axe-core/node_modules/axe-core/axe.min.js

browser-test-requirements: $(AXE_CORE)
	@command -v chromium >/dev/null || { \
	  echo "Installing chromium (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(AXE_CORE):
	@command -v npm >/dev/null || { \
	  echo "Installing npm (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --prefix .cache/axe-core --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_CORE_VERSION)

$(STAMP): requirements/test.txt requirements/dev.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

requirements: $(STAMP)

test: system-packages browser-test-requirements $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

#   make test-browser   the admin console's browser tests (screenshots in .artifacts/screenshots/)
test-browser: system-packages browser-test-requirements $(STAMP)
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PY) -m pytest -m "not integration and not slow" $(PYTEST_ARGS)

demo: system-packages $(STAMP)
	$(PY) -m sandbox.demo

bench: system-packages $(STAMP)
	$(PY) -m benchmarks.run

docs: $(STAMP)
	$(VENV)/bin/openedx-xapi docs --output docs/event-mapping

quality: $(STAMP)
	$(VENV)/bin/ruff check openedx_xapi tests sandbox benchmarks

upgrade: $(STAMP)
	cd requirements && for f in base test dev; do \
	  ../$(VENV)/bin/pip-compile -q --upgrade --no-strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o $$f.txt $$f.in; done

clean:
	rm -rf $(VENV) build *.egg-info .sandbox .bench
