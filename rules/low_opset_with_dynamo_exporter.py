from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Invalid,
    Rule,
    Severity,
    Valid,
    add_keyword_argument,
    behaviour,
    exporter_facts,
    keyword,
    profile,
    replace_node,
)

from ._export_call import has_unpacking, is_onnx_export


class LowOpsetWithDynamoExporter(Rule):
    """`torch.onnx.export(..., opset_version=N)` with N below 18 and the dynamo exporter.

    ## What it does
    Flags `torch.onnx.export` calls that ask for an `opset_version` below 18 while exporting
    with the dynamo exporter: the default since torch 2.9 when the call has no `dynamo=False`.

    ## Why is this bad for ONNX
    The dynamo exporter has no translations below opset 18. Asked for less, it translates at
    18, logs "Setting ONNX exporter to use operator set version 18 because the requested
    opset_version 11 is a lower version than we have implementations for", and tries to
    convert the model down with onnx's version converter. When the conversion fails it logs
    "Failed to convert the model to the target version 11 using the ONNX C API. The model was
    not modified" and **writes the opset-18 model without raising**. Measured on torch 2.13:
    - requests of 11, 13, 14 and 15 failed for every model measured (Conv+ReLU: "No Adapter
      From Version $14 for Relu"; the NestedUNet layers Conv/BatchNorm/ReLU/MaxPool/bilinear
      Upsample/cat; Conv+BatchNorm+Upsample) and wrote opset 18;
    - requests of 16 and 17 converted for those models, and failed (opset 18 written) for a
      model with LayerNorm, reductions, reflect padding and GELU.

    The opset-18 model runs in ONNX Runtime and matches PyTorch; the trap is the runtime you
    asked for opset 11 for (an old TensorRT, an embedded runtime, a pinned onnxruntime), which
    then rejects the file or, worse, the mismatch is discovered in deployment. The seed
    article's own call (`opset_version=11`, no `dynamo=`) does exactly this on torch ≥ 2.9.

    ## Example
    ```python
    torch.onnx.export(model, dummy_input, "model.onnx", opset_version=11)
    ```

    ## Use instead
    Ask for what the exporter writes, when your runtime reads opset 18 (ONNX Runtime ≥ 1.14,
    TensorRT ≥ 8.6, OpenVINO ≥ 2023.0):
    ```python
    torch.onnx.export(model, dummy_input, "model.onnx", opset_version=18)
    ```
    or, when the runtime really needs the old opset, keep it with the TorchScript exporter
    (deprecated since torch 2.9, but it writes the opset you ask for):
    ```python
    torch.onnx.export(model, dummy_input, "model.onnx", opset_version=11, dynamo=False)
    ```

    ## Fix safety
    The fix raises `opset_version` to 18, or, when the `--target` runtime profile reads only
    older opsets, passes `dynamo=False`. Both are unsafe: raising the opset changes the file
    whenever the down-conversion would have succeeded (your runtime may need the old opset),
    and switching exporters changes the graph and brings the TorchScript exporter's own
    hazards (baked `.item()`, unsupported ops) into play.

    ## References
    - torch/onnx/_internal/exporter/_compat.py (the opset 18 floor and the fallback)
    - onnxscript/version_converter (the onnx C API fallback that fails)
    - ONNX opset support of runtimes: https://onnxruntime.ai/docs/reference/compatibility.html
    - docs/measurements.md (ONX502 rows); docs/ground-truth.md, harness notes "The seed article's own export call"
    """

    code = "ONX502"
    name = "low_opset_with_dynamo_exporter"
    message = "`opset_version` below 18 with the dynamo exporter may silently write an opset-18 model"
    fix_title = "Raise `opset_version` to 18 (or pass `dynamo=False` to keep the requested opset)"
    fix_applicability = Applicability.UNSAFE
    fix_scope = "script"
    severity = Severity.WARNING
    trigger_names = ("opset_version",)
    applies_to = "dynamo exporter (torch.onnx.export's default since torch 2.9): opset_version < 18"

    def visit_Call(self, node: ast.Call) -> None:
        if not is_onnx_export(self.context, node) or has_unpacking(node):
            return
        opset_keyword = keyword(node, "opset_version")
        if opset_keyword is None:
            return
        value = opset_keyword.value
        if type(value) is not ast.Constant or type(value.value) is not int:
            return
        requested = value.value
        floor = exporter_facts().dynamo_minimum_opset
        config = self.context.export_config_for(node)
        if not config.is_dynamo or requested >= floor:
            return
        dynamo = keyword(node, "dynamo")
        if dynamo is not None and type(dynamo.value) is not ast.Constant:
            return  # decided at run time
        fails_up_to = behaviour("dynamo.down_conversion_fails_up_to").opset
        if requested <= fails_up_to:
            what = (
                f"it translates at opset {floor}, fails to convert the model down to {requested} "
                f"(measured on torch 2.13 for every model tried) and silently writes an opset-{floor} model"
            )
        else:
            what = (
                f"it translates at opset {floor} and converts down to {requested}: measured to work for "
                f"Conv/BatchNorm/ReLU/Upsample models and to fail for a model with LayerNorm and reductions, "
                f"which is then silently written at opset {floor}"
            )
        message = (
            f"`opset_version={requested}` is below {floor}, the lowest opset {config.exporter_label} translates at: "
            f"{what}; raise it to {floor}, or pass `dynamo=False` to keep opset {requested}"
        )
        self.report(opset_keyword, message, fix=self._fix(node, value, floor, config.target))

    def _fix(self, node: ast.Call, value: ast.expr, floor: int, target: str):
        try:
            max_opset = profile(target).max_opset
        except KeyError:
            max_opset = None
        if max_opset is not None and max_opset < floor:
            dynamo = keyword(node, "dynamo")
            edit = (
                replace_node(self.context, dynamo.value, "False")
                if dynamo is not None
                else add_keyword_argument(self.context, node, "dynamo=False")
            )
            return self.make_fix(
                [edit],
                Applicability.UNSAFE,
                f"Pass `dynamo=False`: the {target} profile reads opset {max_opset} at most",
            )
        return self.make_fix(
            [replace_node(self.context, value, str(floor))], Applicability.UNSAFE, f"Raise `opset_version` to {floor}"
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # The TorchScript exporter writes the opset it is asked for.
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", opset_version=11, dynamo=False)
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", opset_version=18)
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx")
        """,
        # --exporter legacy: calls without `dynamo=` are judged as TorchScript exports (torch < 2.9).
        Valid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", opset_version=11)
            """,
            settings={"exporter": "legacy"},
        ),
        # Not a literal: unknown.
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", opset_version=args.opset)
        """,
        # Not torch's exporter.
        """
        import mylib
        mylib.onnx.export(model, x, "m.onnx", opset_version=11)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            torch.onnx.export(model, dummy_input, "m.onnx", opset_version=11)
            """,
            line=2,
            message_contains="writes an opset-18 model",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            torch.onnx.export(model, dummy_input, "m.onnx", opset_version=18)
            """,
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(
                model,
                dummy_input,
                "m.onnx",
                opset_version=17,
                dynamo=True,
            )
            """,
            line=6,
            message_contains="LayerNorm",
        ),
        # A runtime profile that reads only older opsets: keep the opset, switch the exporter.
        Invalid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", opset_version=13)
            """,
            line=2,
            settings={"target": "coreml"},
            unsafe_fixes=True,
            expected_fix="""
            import torch
            torch.onnx.export(model, x, "m.onnx", opset_version=13, dynamo=False)
            """,
        ),
    ]
