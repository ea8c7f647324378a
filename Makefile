# The two commands of the README. Each builds the environment first when it
# is missing or out of date (tools/setup_env.sh; a no-op the second time).
VENV ?= $(or $(PATCHSEL_VENV),$(CURDIR)/.venv)
PY := $(VENV)/bin/python
DATA ?= ../shared/data/mmpose_testdata
export PATCHSEL_VENV := $(VENV)

.PHONY: env demo test test-quick docs

env:
	@bash tools/setup_env.sh

demo: env
	@$(PY) demo/patchsel_demo.py --data-root $(DATA) --work-dir outputs/demo

# On every core (pytest-xdist), one torch thread per worker process; a
# free worker takes the next test, long ones first (tests/conftest.py).
PYTEST := OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest -n auto \
	--maxschedchunk 1

test: env
	@echo "[test] running the test suite"
	@$(PYTEST) --durations=10 $(PYTEST_ARGS)

# The edit-test loop: every test but those marked slow (trainings,
# multi-process runs, benchmark dry runs, the docs build).
test-quick: env
	@echo "[test-quick] running the tests not marked slow"
	@$(PYTEST) -m "not slow" --durations=10 $(PYTEST_ARGS)

# The documentation as HTML (Sphinx + MyST), warnings as errors.
docs: env
	@$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
