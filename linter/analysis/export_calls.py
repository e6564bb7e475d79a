"""Reading a `torch.onnx.export(...)` call: what it exports, with what, and what it asks for.

The one reader of an export call's own text, shared by the engine's export configuration
(`FileContext.export_config_for`), the runner's export-site pre-pass (`frontends/export_sites.py`)
and the export-script rules (rules/_export_call.py, which also follows the call's arguments back
through the script). Only literals count: anything else is unknown (None).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from onnxlint.analysis.calls import argument, keyword

ONNX_EXPORT = "torch.onnx.export"
DYNAMO_EXPORT = "torch.onnx.dynamo_export"
EXPORT_FUNCTIONS = frozenset({ONNX_EXPORT, DYNAMO_EXPORT})


@dataclass(frozen=True)
class ExportRequest:
    """What an export call asks for in its own text (None: it does not say)."""

    exporter: str | None  # "dynamo" (`dynamo=True`, `dynamo_export`) or "legacy" (`dynamo=False`)
    opset: int | None  # a literal `opset_version=`


def export_request(call: ast.Call, function: str | None) -> ExportRequest:
    """The literal `dynamo=` and `opset_version=` of `call`, a call of `function` (its qualified name)."""
    exporter = "dynamo" if function == DYNAMO_EXPORT else None
    opset = None
    for item in call.keywords:
        value = item.value
        if item.arg == "dynamo" and type(value) is ast.Constant:
            exporter = "dynamo" if value.value else "legacy"
        elif item.arg == "opset_version" and type(value) is ast.Constant and isinstance(value.value, int):
            opset = value.value
    return ExportRequest(exporter, opset)


def model_argument(call: ast.Call) -> ast.expr | None:
    """The exported model: the first argument, or `model=`."""
    return argument(call, 0, "model")


def inputs_argument(call: ast.Call) -> ast.expr | None:
    """The example inputs: the second argument, or `args=`."""
    return argument(call, 1, "args")


def exporter_hidden(call: ast.Call) -> bool:
    """`**kwargs` without an explicit `dynamo=`: the exporter may be chosen there (timm, ultralytics
    and rfdetr pass `{"dynamo": False}` that way), so the call's exporter is unknown."""
    return any(k.arg is None for k in call.keywords) and keyword(call, "dynamo") is None


def declares_dynamic_shapes(call: ast.Call) -> bool:
    """Whether the call passes `dynamic_shapes=` or `dynamic_axes=` (other than `None`)."""
    for name in ("dynamic_shapes", "dynamic_axes"):
        found = keyword(call, name)
        if found is not None and not (type(found.value) is ast.Constant and found.value.value is None):
            return True
    return False
