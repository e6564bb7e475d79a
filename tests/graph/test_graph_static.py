"""The graph layer's parts that need no torch: declaring checks, listing them, specs, configuration.

These run in the lean (no torch) environment too; tracing itself is tested in test_graph.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from onnxlint.core.modelspec import SpecError, specs_from_config
from onnxlint.core.registry import all_rules, documented_rules, known_codes, validate_selectors
from onnxlint.frontends.config import ConfigError, parse_table
from onnxlint.graph import all_checks
from onnxlint.graph.lint import specs_for_run

from ..conftest import run_onnxlint


def test_importing_the_graph_layer_imports_no_torch():
    code = (
        "import sys, onnxlint.graph, onnxlint.frontends.cli, onnxlint.graph.lint; "
        "from onnxlint.core.registry import documented_rules; documented_rules(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_graph_checks_are_documented_but_not_static_rules():
    checks = all_checks()
    assert set(checks) >= {f"ONX7{n:02d}" for n in range(1, 11)}
    assert not set(checks) & set(all_rules()), "the static engine must not load graph checks"
    assert set(checks) <= set(documented_rules())
    assert not validate_selectors(["ONX703", "ONX7"])


def test_rules_command_lists_graph_checks():
    result = run_onnxlint("rules")
    assert result.returncode == 0
    assert "ONX703  " in result.stdout and "dynamic_dim_specialized" in result.stdout
    assert "ONX710" in result.stdout and "(off by default)" in result.stdout
    one = run_onnxlint("rule", "ONX705")
    assert one.returncode == 0 and "## Why is this bad for ONNX" in one.stdout and "Layer: graph" in one.stdout


def test_models_table_is_validated_by_the_config(tmp_path):
    good = {"models": [{"entry": "net.py:Net", "inputs": [{"shape": [1, 3]}], "dynamic": ["batch"], "train": True}]}
    config = parse_table(good, tmp_path / "pyproject.toml")
    [spec] = specs_from_config(config.extra["models"], tmp_path)
    assert spec.train and spec.entry_file == tmp_path / "net.py" and spec.inputs[0].dynamic == {0: "batch"}
    with pytest.raises(ConfigError, match="unknown key 'shapes'"):
        parse_table({"models": [{"entry": "net.py:Net", "shapes": [1]}]}, tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError, match="'train' must be true or false"):
        parse_table({"models": [{"entry": "net.py:Net", "inputs": [{"shape": [1]}], "train": "yes"}]}, None)


def test_cli_reports_a_bad_models_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nmodels = [{ entry = "net" }]\n')
    (tmp_path / "net.py").write_text("x = 1\n")
    result = run_onnxlint("net.py", cwd=tmp_path)
    assert result.returncode == 2 and "tool.onnxlint.models" in result.stderr


def test_model_is_looked_up_in_the_linted_files(tmp_path):
    net = tmp_path / "net.py"
    net.write_text(textwrap.dedent("class Net:\n    pass\n"))
    other = tmp_path / "other.py"
    other.write_text("x = 1\n")
    common = {"dynamic": (), "weights": None, "train": False, "configured": None, "config_root": tmp_path}
    [spec] = specs_for_run([net, other], model="Net(width=2)", inputs=["2x3"], **common)
    assert spec.entry_file == net and spec.kwargs == {"width": 2}
    with pytest.raises(SpecError, match="no linted file defines it"):
        specs_for_run([other], model="Net()", inputs=["2x3"], **common)
    with pytest.raises(SpecError, match="need --model"):
        specs_for_run([net], model=None, inputs=["2x3"], **common)
    [dotted] = specs_for_run([other], model="torchvision.models.resnet18(weights=None)", inputs=["1x3x8x8"], **common)
    assert dotted.module == "torchvision.models" and dotted.entry_file is None


def test_cli_usage_errors_exit_2(tmp_path: Path):
    (tmp_path / "net.py").write_text("x = 1\n")
    result = run_onnxlint("net.py", "--input", "1x3", "--isolated", cwd=tmp_path)
    assert result.returncode == 2 and "need --model" in result.stderr


def test_known_codes_read_without_imports_match_the_registry():
    assert known_codes() == frozenset(documented_rules())


def test_a_dotted_factory_beside_a_file_that_does_not_import_it_is_imported(tmp_path):
    """`onnxlint export empty.py --model 'timm.create_model(...)'`: the factory's module is imported
    when the file does not define its first name (here a standard-library class stands in)."""
    from onnxlint.core.modelspec import SpecError, load_factory, spec_from_cli

    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n", encoding="utf-8")
    import json.decoder

    spec = spec_from_cli(empty, "json.decoder.JSONDecoder()", ["2x3"], [], None)
    assert load_factory(spec) is json.decoder.JSONDecoder
    missing = spec_from_cli(empty, "no_such_package_xyz.build()", ["2x3"], [], None)
    with pytest.raises(SpecError, match="no_such_package_xyz"):
        load_factory(missing)
    defined = spec_from_cli(empty, "X.bit_length()", ["2x3"], [], None)
    assert load_factory(defined) == (1).bit_length  # a name the file defines still wins
