from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Invalid,
    Rule,
    Valid,
    replace_node,
    requirement,
    segment,
)

from ._operators import argument, exports, failure_text, literal, may_be_traced, tensor_method

ROLL_METHODS = frozenset({"roll"})


class RollWithoutDims(Rule):
    """`torch.roll` without `dims` (a roll of the flattened tensor) under the TorchScript exporter.

    ## What it does
    Flags `torch.roll(x, shifts)` and `x.roll(shifts)` with no `dims` (or `dims=None`), which
    roll the flattened tensor, when the TorchScript exporter (`dynamo=False`) is used, at any
    opset.

    ## Why is this bad for ONNX
    The TorchScript exporter's `roll` symbolic handles one shift per listed dimension and
    asserts `len(shifts) == len(dims)`: with no dims the export fails with "AssertionError:
    len(shifts)=1 != len(dims)=0" at every opset (measured on torch 2.13 at 11, 17 and 20).
    Rolls along given dimensions (`torch.roll(x, 3, 2)`, `shifts=(1, -2), dims=(2, 3)`)
    export and match at every opset, and the dynamo exporter handles the flat roll too, so
    the common advice that "`torch.roll` is not exportable" is folklore: only this form fails,
    and only with this exporter.

    ## Example
    ```python
    def forward(self, x):
        return torch.roll(x, 3)
    ```

    ## Use instead
    Flatten, roll along dimension 0, and restore the shape; this is what `torch.roll` does
    when `dims` is omitted:
    ```python
    def forward(self, x):
        return torch.roll(x.reshape(-1), 3, 0).reshape(x.shape)
    ```

    ## Fix safety
    Safe: the rewrite is the definition of the flat roll, and a test exports it with both
    exporters (dynamic batch and spatial dims) and compares with the original in onnxruntime.
    Offered when the rolled tensor is a plain name (the rewrite names it twice); otherwise
    the same rewrite is suggested.

    ## References
    - torch.roll: https://pytorch.org/docs/stable/generated/torch.roll.html
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset9.py (`roll`)
    - docs/measurements.md (ONX105 rows); docs/ground-truth.md, harness rows roll_2d, roll_flat
    """

    code = "ONX105"
    name = "roll_without_dims"
    message = "`torch.roll` without `dims` cannot be exported by the TorchScript exporter"
    fix_title = "Roll the flattened tensor along dim 0 and restore its shape"
    fix_applicability = Applicability.SAFE
    trigger_names = ("roll",)
    applies_to = "TorchScript exporter, every opset; silent for dynamo and for rolls with dims"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.roll":
            tensor, shifts_position = argument(node, 0, "input"), 1
        elif qualified is None and tensor_method(context, node, ROLL_METHODS):
            tensor, shifts_position = node.func.value, 0  # type: ignore[attr-defined]
        else:
            return
        dims = argument(node, shifts_position + 1, "dims")
        shifts = argument(node, shifts_position, "shifts")
        if (dims is not None and literal(dims) is not None) or shifts is None or tensor is None:
            return
        config = context.export_config_for(node)
        entry = requirement("roll.flat")
        if exports(entry, config) or not may_be_traced(context) or context.skipped_during_export(node):
            return
        self.report(
            node,
            f"`torch.roll` without `dims` is not exportable here: {failure_text(entry, config)}",
            fix=self._fix(node, tensor, shifts, qualified is not None),
        )

    def _fix(self, node: ast.Call, tensor: ast.expr, shifts: ast.expr, function_form: bool):
        if type(tensor) is not ast.Name:
            return self.make_fix([], Applicability.DISPLAY_ONLY)
        name = tensor.id
        shift_text = segment(self.context, shifts)
        if function_form:
            text = f"{segment(self.context, node.func)}({name}.reshape(-1), {shift_text}, 0).reshape({name}.shape)"
        else:
            text = f"{name}.reshape(-1).roll({shift_text}, 0).reshape({name}.shape)"
        return self.make_fix([replace_node(self.context, node, text)], Applicability.SAFE)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x, 3, 2) + x.roll(shifts=(1, -2), dims=(2, 3))
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x, 3)
            """,
            settings={"exporter": "dynamo"},
        ),
        # numpy's roll, and a roll of something not known to be a tensor.
        Valid(
            """
            import numpy as np
            def f(x, dice):
                return np.roll(x, 3), dice.roll(2)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x, 3)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="any opset",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x.reshape(-1), 3, 0).reshape(x.shape)
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x * 2
                    return y.roll(shifts=-1, dims=None)
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 13},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x * 2
                    return y.reshape(-1).roll(-1, 0).reshape(y.shape)
            """,
        ),
        # Not a plain name: the rewrite is suggested, not applied.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x * 2, 1)

            torch.onnx.export(M(), x, "m.onnx", dynamo=False, opset_version=17)
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.roll(x * 2, 1)

            torch.onnx.export(M(), x, "m.onnx", dynamo=False, opset_version=17)
            """,
        ),
    ]
