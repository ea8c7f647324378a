# The two commands of the README. Each builds the environment first when it
# is missing or out of date (tools/setup_env.sh; a no-op the second time).
VENV ?= $(or $(PATCHSEL_VENV),$(CURDIR)/.venv)
PY := $(VENV)/bin/python
DATA ?= ../shared/data/mmpose_testdata
export PATCHSEL_VENV := $(VENV)

.PHONY: env demo test

env:
	@bash tools/setup_env.sh

demo: env
	@$(PY) demo/patchsel_demo.py --data-root $(DATA) --work-dir outputs/demo

test: env
	@echo "[test] running the test suite"
	@$(PY) -m pytest --durations=10 $(PYTEST_ARGS)
