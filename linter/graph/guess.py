"""`--model auto`: which classes of a file can be traced without a spec, and a guess at their input.

Candidates are the file's top-level `nn.Module` subclasses whose constructor needs no
arguments (read statically). The input is guessed from the first layer of the built model
(Conv2d(3, ...) -> 2x3x64x64, Linear(16, ...) -> 2x16, Embedding -> int64 2x16, ...), with a
dynamic batch; the CLI says what it guessed.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from onnxlint.analysis.semantic import ModuleModel
from onnxlint.core.modelspec import InputSpec, ModelSpec

_MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


def candidate_specs(files: list[Path]) -> list[ModelSpec]:
    """A spec without inputs for every top-level nn.Module class constructible with no arguments."""
    specs = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        model = ModuleModel(tree)
        for node in tree.body:
            if type(node) is not ast.ClassDef:
                continue
            if not any(model.qualified_name(base) in _MODULE_BASES for base in node.bases):
                continue
            init = next((n for n in node.body if type(n) is ast.FunctionDef and n.name == "__init__"), None)
            if init is not None and _required_arguments(init.args):
                continue
            specs.append(ModelSpec(path, None, node.name, name=node.name))
    return specs


def _required_arguments(arguments: ast.arguments) -> int:
    positional = [*arguments.posonlyargs, *arguments.args][1:]  # without self
    required = len(positional) - len(arguments.defaults)
    required += sum(1 for default in arguments.kw_defaults if default is None)
    return max(required, 0)


def guess_inputs(model: Any) -> tuple[InputSpec, ...] | None:
    """An example input for the model's first layer (None: no layer onnxlint knows how to feed)."""
    import torch.nn as nn

    batch = {0: "batch"}
    for module in model.modules():
        if isinstance(module, nn.Conv1d):
            return (InputSpec("input", (2, module.in_channels, 64), "float32", batch),)
        if isinstance(module, nn.Conv2d):
            return (InputSpec("input", (2, module.in_channels, 64, 64), "float32", batch),)
        if isinstance(module, nn.Conv3d):
            return (InputSpec("input", (2, module.in_channels, 8, 32, 32), "float32", batch),)
        if isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.num_features:
            return (InputSpec("input", (2, module.num_features, 64, 64), "float32", batch),)
        if isinstance(module, nn.Linear):
            return (InputSpec("input", (2, module.in_features), "float32", batch),)
        if isinstance(module, nn.Embedding):
            return (InputSpec("input", (2, 16), "int64", batch),)
        if isinstance(module, (nn.LSTM, nn.GRU, nn.RNN)):
            shape = (2, 16, module.input_size) if module.batch_first else (16, 2, module.input_size)
            return (InputSpec("input", shape, "float32", {0 if module.batch_first else 1: "batch"}),)
    return None
