from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, keyword, replace_node

from ._export_call import dynamic_shapes_migration, is_onnx_export


class TorchScriptExporterSelected(Rule):
    """`torch.onnx.export(..., dynamo=False)`: the deprecated TorchScript exporter.

    ## What it does
    Reports, as information, `torch.onnx.export` calls that pass `dynamo=False`.

    ## Why is this bad for ONNX
    Since torch 2.9 `torch.onnx.export` uses the dynamo exporter (`torch.export`) by default;
    `dynamo=False` selects the TorchScript exporter, which torch 2.13 reports with a
    `DeprecationWarning` ("You are using the legacy TorchScript-based ONNX export. Starting in
    PyTorch 2.9, the new torch.export-based ONNX exporter has become the default") and no
    longer develops. It still works, and it is the only way to write opsets below 18 (see
    ONX502), so keep it when your runtime needs them. Otherwise, moving to the dynamo exporter
    trades known TorchScript hazards for others (measured on torch 2.13, see
    docs/measurements.md): `.item()`, `int(t)` and `math.*` on sizes bake constants only under
    the TorchScript exporter, and it exports in eval mode even when you forget `model.eval()`;
    the dynamo exporter refuses data-dependent `if`s instead of freezing them and writes
    opset 18 or later.

    ## Example
    ```python
    torch.onnx.export(model, x, "model.onnx", dynamo=False, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}})
    ```

    ## Use instead
    ```python
    torch.onnx.export(model, (x,), "model.onnx", dynamo=True, input_names=["input"],
                      dynamic_shapes=({0: "batch"},))
    ```

    ## Fix safety
    Display-only: switching exporters changes the graph, may make an export that works fail
    (data-dependent control flow) and changes the opset written. The suggested edit flips
    `dynamo` and, when the script shows enough, migrates `dynamic_axes` to `dynamic_shapes`.

    ## References
    - torch.onnx export overview: https://pytorch.org/docs/stable/onnx_export.html
    - torch 2.9 release notes (dynamo=True becomes the default)
    """

    code = "ONX505"
    name = "torchscript_exporter_selected"
    message = "`dynamo=False` selects the TorchScript exporter, deprecated since torch 2.9"
    fix_title = "Export with `dynamo=True` (and `dynamic_shapes`)"
    fix_applicability = Applicability.DISPLAY_ONLY
    fix_scope = "script"
    severity = Severity.INFO
    trigger_names = ("dynamo",)
    applies_to = "TorchScript exporter (explicit dynamo=False); information"

    def visit_Call(self, node: ast.Call) -> None:
        if not is_onnx_export(self.context, node):
            return
        dynamo = keyword(node, "dynamo")
        if dynamo is None or type(dynamo.value) is not ast.Constant or dynamo.value.value is not False:
            return
        opset = keyword(node, "opset_version")
        requested = opset.value.value if opset is not None and type(opset.value) is ast.Constant else None
        keep = (
            f"; keep it if your runtime needs opset {requested} (the dynamo exporter writes 18 or later)"
            if isinstance(requested, int) and requested < 18
            else ""
        )
        message = (
            "`dynamo=False` selects the TorchScript exporter, deprecated since torch 2.9 (torch warns on every "
            f"export){keep}"
        )
        edits = dynamic_shapes_migration(self.context, node, switch_to_dynamo=True) or [
            replace_node(self.context, dynamo.value, "True")
        ]
        self.report(dynamo, message, fix=self.make_fix(edits, Applicability.DISPLAY_ONLY))

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        torch.onnx.export(model, x, "m.onnx")
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", dynamo=True)
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", dynamo=use_dynamo)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", dynamo=False, input_names=["input"], dynamic_axes={"input": {0: "batch"}})
            """,
            line=2,
            message_contains="deprecated",
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(model, (image, grid), "w.onnx", dynamo=False, opset_version=10)
            """,
            line=2,
            message_contains="opset 10",
        ),
    ]
