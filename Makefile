# The two commands of the README. Both set up what they need first (see scripts/setup.sh):
#   make demo   train a network and write its pictures into ./out/
#   make test   run the whole test suite
PYTHON ?= python3
VENV := .venv

.PHONY: demo test setup clean

demo: $(VENV)/.ready-demo
	$(VENV)/bin/chainrule demo $(ARGS)

test: $(VENV)/.ready-test
	$(VENV)/bin/python -m pytest $(ARGS)

setup: $(VENV)/.ready-test

$(VENV)/.ready-demo: pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) EXTRAS= bash scripts/setup.sh
	touch $@

$(VENV)/.ready-test: pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) EXTRAS=test,torch bash scripts/setup.sh
	touch $@ $(VENV)/.ready-demo

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
