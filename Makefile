# The two commands of the README. Both set up what they need first (see scripts/setup.sh):
#   make demo   train a network and write its pictures into ./out/
#   make test   run the whole test suite
# The setup builds the compiled engine (autograd/value.py compiled by Cython, see setup.py)
# where a C compiler works, and says which engine runs. After an edit of value.py, demo and test
# rebuild it by themselves; `make engine` does it at once.
PYTHON ?= python3
VENV := .venv
ENGINE_SOURCES := autograd/value.py autograd/_cpython.pxd setup.py
SAY_ENGINE := $(VENV)/bin/python -c "import autograd.engine as e; print('[engine]', e.describe())"

.PHONY: demo test setup engine clean

demo: $(VENV)/.ready-demo $(VENV)/.engine
	$(VENV)/bin/chainrule demo $(ARGS)

test: $(VENV)/.ready-test $(VENV)/.engine
	$(VENV)/bin/python -m pytest $(ARGS)

setup: $(VENV)/.ready-test

engine: $(VENV)/.ready-demo
	$(VENV)/bin/python -m pip install --no-compile -q --no-deps -e .
	@$(SAY_ENGINE)
	touch $(VENV)/.engine

$(VENV)/.ready-demo: pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) EXTRAS= bash scripts/setup.sh
	@$(SAY_ENGINE)
	touch $@ $(VENV)/.engine

$(VENV)/.ready-test: pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) EXTRAS=test,torch bash scripts/setup.sh
	@$(SAY_ENGINE)
	touch $@ $(VENV)/.ready-demo $(VENV)/.engine

# value.py (or its build) changed since the engine was built: build it again
$(VENV)/.engine: $(ENGINE_SOURCES) | $(VENV)/.ready-demo
	@$(MAKE) --no-print-directory engine

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis build autograd/value.*.so autograd/value.*.pyd
