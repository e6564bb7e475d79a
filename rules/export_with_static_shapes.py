from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, add_keyword_argument

from ._export_call import (
    argument,
    declares_dynamic_shapes,
    example_inputs,
    exported_program_model,
    has_unpacking,
    is_onnx_export,
    resolve,
    string_list,
)


class ExportWithStaticShapes(Rule):
    """`torch.onnx.export` without `dynamic_shapes` or `dynamic_axes`: every input dim is fixed.

    ## What it does
    Flags `torch.onnx.export` calls that declare no dynamic dims at all: no `dynamic_shapes`
    (the dynamo exporter) and no `dynamic_axes` (the TorchScript exporter).

    ## Why is this bad for ONNX
    Without them both exporters write every input dim as the example's size. Measured on
    torch 2.13 (NestedUNet-like model, batch-1 example, no dynamic dims): the ONNX input is
    `[1, 3, 16, 16]`, and onnxruntime rejects a batch of 2 with "Got invalid dimensions for
    input". Inside the graph, reshapes and resizes are computed for that size too. Batched
    inference, a different image size, or a runtime that wants to pick its own batch then
    fails, or needs a second export. A fixed-shape model is right for some targets (a static
    TensorRT engine, a mobile build): then say so with `# noqa: ONX507`.

    ## Example
    ```python
    torch.onnx.export(model, (dummy_input,), "model.onnx")
    ```

    ## Use instead
    ```python
    torch.onnx.export(model, (dummy_input,), "model.onnx", dynamic_shapes=({0: "batch"},))
    ```
    With `dynamo=False`: `input_names=["input"], dynamic_axes={"input": {0: "batch"}}`.

    ## Fix safety
    Display-only: making the batch dynamic is a design decision, and it changes the graph
    (code that decides on the batch size then needs to keep working at other sizes).

    ## References
    - torch.onnx.export, `dynamic_shapes`: https://pytorch.org/docs/stable/onnx_export.html
    - ONNX Runtime, "Got invalid dimensions for input" (fixed input dims)
    """

    code = "ONX507"
    name = "export_with_static_shapes"
    message = "The export declares no dynamic dims: the ONNX model only accepts the example's shapes"
    fix_title = "Declare the batch dim dynamic"
    fix_applicability = Applicability.DISPLAY_ONLY
    fix_scope = "script"
    severity = Severity.WARNING
    trigger_names = ("export",)
    applies_to = "both exporters"

    def visit_Call(self, node: ast.Call) -> None:
        if not is_onnx_export(self.context, node) or has_unpacking(node) or declares_dynamic_shapes(node):
            return
        if exported_program_model(self.context, node) or argument(node, 1, "args") is None:
            return
        config = self.context.export_config_for(node)
        if config.is_dynamo:
            how = 'pass `dynamic_shapes=({0: "batch"},)` (one entry per input)'
        else:
            how = 'pass `input_names` and `dynamic_axes={"input": {0: "batch"}}`'
        message = (
            f"No dynamic dims declared: {config.exporter_label} fixes every input dim to the example's size, and "
            f"the ONNX model rejects any other batch size; {how}"
        )
        self.report(node.func, message, fix=self._suggestion(node, config.is_dynamo))

    def _suggestion(self, node: ast.Call, dynamo: bool):
        if dynamo:
            examples = example_inputs(self.context, node)
            if not examples:
                return None
            entries = ", ".join('{0: "batch"}' for _ in examples) + ("," if len(examples) == 1 else "")
            text = f"dynamic_shapes=({entries})"
        else:
            names = string_list(resolve(self.context, argument(node, 99, "input_names"), node))
            if not names:
                return None
            text = "dynamic_axes={" + ", ".join(f'"{n}": {{0: "batch"}}' for n in names) + "}"
        return self.make_fix([add_keyword_argument(self.context, node, text)], Applicability.DISPLAY_ONLY)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        torch.onnx.export(model, (x,), "m.onnx", dynamic_shapes=({0: "batch"},))
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", input_names=["x"], dynamic_axes={"x": {0: "batch"}}, dynamo=False)
        """,
        # Options the source does not show.
        """
        import torch
        torch.onnx.export(model, x, "m.onnx", **export_options)
        """,
        # An ExportedProgram carries its own dynamic shapes.
        """
        import torch
        program = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},))
        torch.onnx.export(program, (x,), "m.onnx")
        """,
        """
        import torch
        torch.onnx.export(model, x, "m.onnx")  # noqa: ONX507 - a static TensorRT engine
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            x = torch.randn(1, 3, 224, 224)
            torch.onnx.export(model, (x,), "m.onnx", opset_version=18)
            """,
            line=3,
            message_contains="dynamo",
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(model, image, "m.onnx", dynamo=False, input_names=["image"])
            """,
            line=2,
            message_contains="dynamic_axes",
        ),
    ]
