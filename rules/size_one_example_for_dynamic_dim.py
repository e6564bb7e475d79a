from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, replace_node

from ._export_call import (
    dynamic_dims,
    example_inputs,
    exported_program_model,
    exporter_hidden,
    is_onnx_export,
    literal_int,
)


class SizeOneExampleForDynamicDim(Rule):
    """An example input of size 1 (or 0) on a dim the export call declares dynamic.

    ## What it does
    Resolves the export call's example inputs to the `torch.randn(...)` / `torch.rand` /
    `torch.zeros` / `torch.ones` / `torch.empty` call that builds them in the script, and the
    dynamic dims from `dynamic_shapes` or `dynamic_axes` (by `input_names`), and reports each
    literal size 0 or 1 on a dynamic dim: the usual `torch.randn(1, 3, 256, 256)` with a
    dynamic batch.

    ## Why is this bad for ONNX
    `torch.export`, which the dynamo exporter runs, treats sizes 0 and 1 specially: a Python
    decision on such a dim in `forward` is taken for size 1 and guarded, and the exported
    graph keeps it while its input stays symbolic. Measured on torch 2.13 with a batch-1
    example and a dynamic batch: `x * len(x)` and `if x.shape[0] > 1:` were wrong at batch 2
    and 3 (with a batch-2 example `len(x)` was right); the NestedUNet layers
    (Conv/BatchNorm/ReLU/MaxPool/bilinear Upsample/cat), a `reshape(x.shape[0], -1)` and a
    `token.expand(x.shape[0], -1, -1)` stayed correct. No error and no warning either way. So
    this is information: whether it bites depends on the model code, which an export script
    does not show (the graph layer, ONX704 with `--model`, sees the guards). An example of
    size 2 costs nothing and removes the question. The TorchScript exporter does not
    specialise on 1 (it bakes such decisions whatever the example size) and is not reported.

    ## Example
    ```python
    dummy_input = torch.randn(1, 3, 256, 256)
    torch.onnx.export(model, (dummy_input,), "model.onnx", dynamic_shapes=({0: "batch"},))
    ```

    ## Use instead
    ```python
    dummy_input = torch.randn(2, 3, 256, 256)
    torch.onnx.export(model, (dummy_input,), "model.onnx", dynamic_shapes=({0: "batch"},))
    ```

    ## Fix safety
    The fix changes the literal size to 2. It is unsafe: the example input changes, and so does
    everything else the script does with it (a later comparison with onnxruntime now runs a
    batch of 2, which a dynamic batch accepts).

    ## References
    - torch.export, 0/1 specialisation: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - docs/measurements.md (ONX506 rows); docs/ground-truth.md, harness notes "Silently wrong, no error, no warning"
    """

    code = "ONX506"
    name = "size_one_example_for_dynamic_dim"
    message = "The example input has size 1 on a dim declared dynamic: `torch.export` specialises it"
    fix_title = "Use an example of size 2 on the dynamic dim"
    fix_applicability = Applicability.UNSAFE
    fix_scope = "script"
    severity = Severity.INFO
    trigger_names = ("dynamic_shapes", "dynamic_axes")
    applies_to = "dynamo exporter; information (bites only when forward decides on that size)"

    def visit_Call(self, node: ast.Call) -> None:
        if (
            exporter_hidden(node)
            or not is_onnx_export(self.context, node)
            or exported_program_model(self.context, node)
        ):
            return
        config = self.context.export_config_for(node)
        if not config.is_dynamo:
            return
        examples = example_inputs(self.context, node)
        if not examples:
            return
        dims = dynamic_dims(self.context, node, len(examples))
        if not dims:
            return
        reported = self.context.cache.setdefault(self.code, set())
        for position, axes in dims.items():
            if position >= len(examples) or examples[position].sizes is None:
                continue
            sizes = examples[position].sizes or []
            for axis in sorted(axes):
                if axis >= len(sizes):
                    continue
                size = literal_int(sizes[axis])
                if size not in (0, 1) or id(sizes[axis]) in reported:
                    continue
                reported.add(id(sizes[axis]))
                message = (
                    f"The example input has size {size} on dim {axis}, which the export call on line {node.lineno} "
                    f"declares dynamic: under {config.exporter_label} `torch.export` specialises sizes 0 and 1, so a "
                    f"Python decision on that size in `forward` (`len(x)`, `if x.shape[{axis}] > 1`) is frozen at "
                    f"{size} while the ONNX input stays dynamic; an example of size 2 avoids it"
                )
                fix = self.make_fix([replace_node(self.context, sizes[axis], "2")], Applicability.UNSAFE)
                self.report(sizes[axis], message, fix=fix)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        x = torch.randn(2, 3, 256, 256)
        torch.onnx.export(model, (x,), "m.onnx", dynamic_shapes=({0: "batch"},))
        """,
        # Size 1 on a static dim.
        """
        import torch
        x = torch.randn(1, 3, 256, 256)
        torch.onnx.export(model, (x,), "m.onnx", dynamic_shapes=({2: "h", 3: "w"},))
        """,
        # The TorchScript exporter does not specialise on 1.
        """
        import torch
        x = torch.randn(1, 3, 256, 256)
        torch.onnx.export(model, x, "m.onnx", dynamo=False, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
        """,
        # Not shown in the script.
        """
        import torch
        x = next(iter(loader))
        torch.onnx.export(model, (x,), "m.onnx", dynamic_shapes=({0: "batch"},))
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            dummy_input = torch.randn(1, 3, 256, 256)
            torch.onnx.export(
                model,
                dummy_input,
                "m.onnx",
                input_names=["input"],
                dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
            )
            """,
            line=2,
            message_contains="size 1",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            dummy_input = torch.randn(2, 3, 256, 256)
            torch.onnx.export(
                model,
                dummy_input,
                "m.onnx",
                input_names=["input"],
                dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
            )
            """,
        ),
        Invalid(
            """
            import torch
            def main():
                image = torch.rand((1, 3, 64, 64)).to("cpu")
                grid = torch.zeros(1, 64, 64, 2)
                torch.onnx.export(model, (image, grid), "w.onnx", dynamic_shapes=({0: "b"}, {0: "b"}))
            """,
            count=2,
        ),
    ]
