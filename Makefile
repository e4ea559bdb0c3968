# positive_reinforcement (Odoo 19.0 addon; the repository root is the addon).
# All logic lives in tools/*.sh; see `tools/make_test.sh --help`.
#
#   make test    tier 1 (lint + pytest pr_lib) + Odoo tier (throwaway DB, install, tests,
#                tests/concurrency). The documented way to test; CI runs it via .ci/run.
#   make run     serve on http://localhost:8069 with DB $(RUN_DB) (install or upgrade first)
#   make bench   bench/bench_*.py against a throwaway DB (no demo)
#   make lint    tier 1 only
#   make fmt     ruff format + ruff check --fix
#   make pot     export i18n/positive_reinforcement.pot from a throwaway DB
#   make clean   remove caches and .test-results/ (distclean also removes .venv-tools/)

SHELL := /bin/bash
.DEFAULT_GOAL := test
RUN_DB ?= positive_reinforcement
export RUN_DB

.PHONY: test run bench lint fmt pot clean distclean tools help

test:
	@bash tools/make_test.sh

lint:
	@bash tools/make_test.sh --tier1

run:
	@bash tools/make_run.sh

bench:
	@bash tools/make_test.sh --bench

fmt:
	@bash tools/make_test.sh --fmt

pot:
	@bash tools/make_test.sh --pot

tools:
	@bash tools/make_test.sh --tools

help:
	@sed -n '1,12p' Makefile

clean:
	rm -rf .test-results .pytest_cache .ruff_cache
	find . \( -path ./.venv-tools -o -path ./.git \) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . \( -path ./.venv-tools -o -path ./.git \) -prune -o -name '*.pyc' -type f -exec rm -f {} +

distclean: clean
	rm -rf .venv-tools
