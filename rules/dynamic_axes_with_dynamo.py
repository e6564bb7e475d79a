from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, Valid, keyword

from ._export_call import dynamic_shapes_migration, exporter_hidden, is_onnx_export


class DynamicAxesWithDynamo(Rule):
    """`dynamic_axes=` passed to the dynamo exporter, which converts it with a deprecated shim.

    ## What it does
    Flags `torch.onnx.export(..., dynamic_axes=...)` when the call exports with the dynamo
    exporter (the default since torch 2.9 when there is no `dynamo=False`) and gives no
    `dynamic_shapes`.

    ## Why is this bad for ONNX
    `dynamic_axes` is the TorchScript exporter's way to declare dynamic dims. The dynamo
    exporter (`torch.export`) takes `dynamic_shapes`, and converts `dynamic_axes` on the fly:
    torch 2.13 warns "'dynamic_axes' is not recommended when dynamo=True, and may lead to
    'torch._dynamo.exc.UserError: Constraints violated.'", and the converter itself,
    `from_dynamic_axes_to_dynamic_shapes`, is deprecated and "will be removed in a future
    release". Measured on torch 2.13 with the seed article's call (NestedUNet-like layers,
    `dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}}`): the converted
    export works, and the `dynamic_shapes` form below exports the same graph with the same
    input dim name and the same numbers at batch 1, 2 and 3, without the warnings. Today the
    call works; it breaks when the shim is removed, and the shim's keying by `input_names`
    hides that `dynamic_shapes` follows the positions of `forward`'s inputs.

    ## Example
    ```python
    torch.onnx.export(
        model,
        dummy_input,
        "model.onnx",
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
    )
    ```

    ## Use instead
    ```python
    torch.onnx.export(
        model,
        dummy_input,
        "model.onnx",
        input_names=["input"],
        output_names=["output"],
        dynamo=True,
        dynamic_shapes=({0: "batch_size"},),
    )
    ```
    One entry per positional input, in the order of `input_names`; outputs need none (their
    shapes follow from the inputs). A string names the dim in the ONNX file, as the
    `dynamic_axes` name did.

    ## Fix safety
    The fix is safe: it writes the `dynamic_shapes` that torch's own conversion builds
    (strings become `Dim.DYNAMIC` named dims, lists become `Dim.DYNAMIC`), by position from
    `input_names`, drops output entries, and states `dynamo=True`, which is what the call runs
    with already. tests/static/test_export_scripts.py exports the seed call both ways and compares the
    graphs and outputs. It edits only the keyword's text (comments inside the old value move
    above it), and is offered only when the script shows `input_names`, the number of example
    inputs and a literal `dynamic_axes`.

    ## References
    - torch.onnx.export, `dynamic_shapes`: https://pytorch.org/docs/stable/onnx_export.html
    - torch.export dynamic shapes: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - torch/onnx/_internal/exporter/_dynamic_shapes.py (`from_dynamic_axes_to_dynamic_shapes`)
    """

    code = "ONX504"
    name = "dynamic_axes_with_dynamo"
    message = "`dynamic_axes` with the dynamo exporter goes through a deprecated conversion to `dynamic_shapes`"
    fix_title = "Migrate `dynamic_axes` to `dynamic_shapes`"
    fix_applicability = Applicability.SAFE
    fix_scope = "script"
    severity = Severity.WARNING
    trigger_names = ("dynamic_axes",)
    applies_to = "dynamo exporter (default since torch 2.9); silent with dynamo=False"

    def visit_Call(self, node: ast.Call) -> None:
        if exporter_hidden(node) or not is_onnx_export(self.context, node):
            return
        axes = keyword(node, "dynamic_axes")
        if axes is None or (type(axes.value) is ast.Constant and axes.value.value is None):
            return
        if keyword(node, "dynamic_shapes") is not None:
            return
        config = self.context.export_config_for(node)
        if not config.is_dynamo:
            return
        message = (
            f"`dynamic_axes` with {config.exporter_label}: torch converts it to `dynamic_shapes` through a deprecated "
            "shim (it warns the conversion 'may lead to Constraints violated' and will be removed); "
            "pass `dynamic_shapes` by input position"
        )
        edits = dynamic_shapes_migration(self.context, node, switch_to_dynamo=False)
        fix = self.make_fix(edits, Applicability.SAFE) if edits else None
        self.report(axes, message, fix=fix)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", input_names=["input"], dynamic_axes={"input": {0: "batch"}}, dynamo=False)
        """,
        """
        import torch
        torch.onnx.export(model, (x,), "m.onnx", dynamo=True, dynamic_shapes=({0: "batch"},))
        """,
        Valid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", input_names=["input"], dynamic_axes={"input": {0: "batch"}})
            """,
            settings={"exporter": "legacy"},
        ),
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", dynamic_axes=None)
        """,
        # `dynamo=False` may come in through **kwargs (ultralytics, rfdetr, timm do this).
        """
        import torch
        kwargs = {"dynamo": False} if new_torch else {}
        torch.onnx.export(model, im, f, input_names=["images"], dynamic_axes=dynamic, **kwargs)
        """,
    ]
    INVALID = [
        # The seed article's call.
        Invalid(
            """
            import torch

            dummy_input = torch.randn(1, 3, 256, 256)
            torch.onnx.export(
                model,
                dummy_input,
                "nested_unet.onnx",
                opset_version=11,
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},  # batch only
            )
            """,
            line=11,
            message_contains="deprecated",
            expected_fix="""
            import torch

            dummy_input = torch.randn(1, 3, 256, 256)
            torch.onnx.export(
                model,
                dummy_input,
                "nested_unet.onnx",
                opset_version=11,
                input_names=["input"],
                output_names=["output"],
                dynamo=True,
                dynamic_shapes=({0: "batch_size"},),  # batch only
            )
            """,
        ),
        # Two inputs, the second one static, list form, comments inside the value, a named dict.
        Invalid(
            """
            import torch

            image = torch.randn(2, 3, 64, 64)
            grid = torch.rand(2, 64, 64, 2)
            axes = {"image": [0, 2, 3]}
            torch.onnx.export(
                model,
                (image, grid),
                "warp.onnx",
                dynamo=True,
                input_names=["image", "grid"],
                dynamic_axes=axes,
            )
            """,
            line=12,
            expected_fix="""
            import torch

            image = torch.randn(2, 3, 64, 64)
            grid = torch.rand(2, 64, 64, 2)
            axes = {"image": [0, 2, 3]}
            torch.onnx.export(
                model,
                (image, grid),
                "warp.onnx",
                dynamo=True,
                input_names=["image", "grid"],
                dynamic_shapes=({0: torch.export.Dim.DYNAMIC, 2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC}, None),
            )
            """,
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(
                model,
                (x,),
                "m.onnx",
                input_names=["x"],
                dynamic_axes={
                    # the batch
                    "x": {0: "batch"},
                },
            )
            """,
            line=7,
            expected_fix="""
            import torch
            torch.onnx.export(
                model,
                (x,),
                "m.onnx",
                input_names=["x"],
                # the batch
                dynamo=True,
                dynamic_shapes=({0: "batch"},),
            )
            """,
        ),
        # A comment that cannot move above the keyword (one-line call): no fix rather than losing it.
        Invalid(
            """
            import torch
            torch.onnx.export(model, (x,), "m.onnx", input_names=["x"], dynamic_axes={
                "x": {0: "batch"},  # the batch
            })
            """,
            line=2,
            expected_fix="""
            import torch
            torch.onnx.export(model, (x,), "m.onnx", input_names=["x"], dynamic_axes={
                "x": {0: "batch"},  # the batch
            })
            """,
        ),
        # No input_names: the mapping to positions is not in the script; no fix.
        Invalid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", dynamic_axes={"input": {0: "batch"}})
            """,
            line=2,
        ),
    ]
