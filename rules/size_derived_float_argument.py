from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Kind, Rule, Severity, Valid, requirement

from ._operators import argument, exports, may_be_traced, tensor_method
from ._sizes import is_dynamic_size, with_size_origin

REMAINDER_METHODS = frozenset({"remainder", "remainder_"})
_SIZE_KINDS = (Kind.DIM, Kind.SHAPE)


class SizeDerivedFloatArgument(Rule):
    """A tensor size turned into a step count or a float operand that the dynamo exporter cannot trace.

    ## What it does
    Under the dynamo exporter, flags
    - `torch.linspace(start, end, steps)` whose `steps` comes from a tensor's size;
    - `x % d`, `torch.remainder(x, d)` and `x.remainder(d)` on a tensor `x` where `d` is a
      float computed from a size (`(x.shape[-1] - 1) / 2`, `float(h)`, `w * 0.5`);
    - `torch.arange(...)` with a start, end or step that is a float computed from a size.

    Sizes of dims that are static in most models are skipped, as in the other size rules
    (`rules/_sizes.likely_static`): the channels of an image, the last dim of a sequence or of
    a tensor of unknown rank (`torch.linspace(start, end, logits.shape[-1])`: the bins of a
    head), a size bound to a name that counts bins or colours (`n_bins = x.shape[1]`, CHMv2's depth
    head), a parameter's or buffer's size.

    ## Why is this bad for ONNX
    With dynamic shapes, `torch.export` represents sizes as symbols and has to prove facts
    about them. Measured on torch 2.13 with a dynamic width (`b, c, h, w = x.shape`):
    `torch.linspace(-1, 1, w)` fails ("Found the following conflicts between user-specified
    ranges and inferred ranges"), `torch.remainder(x, (w - 1) / 2)` fails ("float() argument
    must be a string or a real number, not 'SymbolicTensor'"), and `torch.arange(0, 1, 1 /
    x.shape[-1])` fails ("symbolically traced variables cannot be used as inputs to control
    flow"). The same calls exported and matched with static shapes, with only the batch
    dynamic, and with the TorchScript exporter; `%` by an integer size and `torch.fmod` by a
    float size exported fine.

    ## Example
    ```python
    def forward(self, x):
        b, c, h, w = x.shape
        return x + torch.linspace(-1, 1, w)
    ```

    ## Use instead
    Build the values from `arange` (integer sizes are fine) and tensor arithmetic:
    ```python
    def forward(self, x):
        b, c, h, w = x.shape
        i = torch.arange(w, dtype=x.dtype)
        return x + (-1 + 2 * i / (w - 1))
    ```
    and divide by a tensor instead of a Python float: `torch.remainder(x, torch.full_like(x,
    (w - 1) / 2))`. (`torch.linspace` computes its second half from the end, so the
    `arange` form can differ in the last bits.)

    ## Fix safety
    Display-only: the rewrites are not bit-identical.

    ## References
    - torch.export, dynamic shapes: https://pytorch.org/docs/stable/export.html
    - docs/measurements.md (ONX110 rows); docs/ground-truth.md, harness rows linspace_shape_steps, remainder_by_symfloat_from_shape
    """

    code = "ONX110"
    name = "size_derived_float_argument"
    message = "A value derived from a dynamic size is used where the dynamo exporter cannot trace it"
    fix_title = "Build the values with `torch.arange` and tensor arithmetic"
    fix_applicability = Applicability.DISPLAY_ONLY
    severity = Severity.WARNING
    trigger_names = ("linspace", "remainder", "%", "arange")
    applies_to = "dynamo exporter with a dynamic dimension; silent for the TorchScript exporter"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.linspace":
            steps = argument(node, 2, "steps")
            if steps is not None and context.kind(steps) in _SIZE_KINDS and is_dynamic_size(context, steps):
                self._report(node, "`torch.linspace` with a step count taken from a size", "linspace.size_steps", steps)
        elif qualified == "torch.arange":
            values = [*node.args, *(k.value for k in node.keywords if k.arg in ("start", "end", "step"))]
            size = next((v for v in values if self._float_from_size(v)), None)
            if size is not None:
                self._report(node, "`torch.arange` with a float computed from a size", "arange.size_float", size)
        elif qualified == "torch.remainder":
            divisor = argument(node, 1, "other")
            tensor = argument(node, 0, "input")
            if tensor is not None and context.kind(tensor) is Kind.TENSOR and self._float_from_size(divisor):
                self._report(node, "`torch.remainder` by a float computed from a size", "remainder.size_float", divisor)
        elif qualified is None and tensor_method(context, node, REMAINDER_METHODS):
            divisor = argument(node, 0, "other")
            if self._float_from_size(divisor):
                self._report(node, "`.remainder()` by a float computed from a size", "remainder.size_float", divisor)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if (
            type(node.op) is ast.Mod
            and self.context.kind(node.left) is Kind.TENSOR
            and self._float_from_size(node.right)
        ):
            self._report(node, "`%` by a float computed from a size", "remainder.size_float", node.right)

    def _float_from_size(self, expr: ast.expr | None) -> bool:
        """A float value computed from a size: a DIM expression with `/`, a float literal or `float()`."""
        if expr is None or self.context.kind(expr) is not Kind.DIM or not is_dynamic_size(self.context, expr):
            return False
        for node in ast.walk(expr):
            node_type = type(node)
            if node_type is ast.BinOp and type(node.op) is ast.Div:  # type: ignore[attr-defined]
                return True
            if node_type is ast.Constant and isinstance(node.value, float):  # type: ignore[attr-defined]
                return True
            if node_type is ast.Call and self.context.call_name(node) == "builtins.float":
                return True
        return False

    def _report(self, node: ast.AST, what: str, key: str, size: ast.expr | None) -> None:
        context = self.context
        config = context.export_config_for(node)
        if exports(requirement(key), config) or not may_be_traced(context) or context.skipped_during_export(node):
            return
        message = f"{what}: {config.exporter_label} fails when that dimension is dynamic (static shapes export)"
        self.report(
            node,
            with_size_origin(context, message, size),
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                n = x.shape[-1]
                return x + torch.linspace(-1, 1, 16) + torch.arange(n) + x % (n - 1) + torch.fmod(x, n / 2)
        """,
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x + torch.linspace(-1, 1, x.shape[-1])
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # The last dim of a tensor of unknown rank (a head's bins), a buffer's size: static in most models.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, logits):
                num_bins = logits.shape[-1]
                edges = torch.linspace(0.0, 1.0, num_bins + 1)
                centers = torch.arange(0.5 / num_bins, 1.0, 1.0 / num_bins)
                return logits * edges[1:] + centers + torch.linspace(0, 1, self.table.shape[0]).sum()
        """,
        # Python numbers: string formatting and plain arithmetic.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, scale: float = 2.0):
                name = "%d" % 3
                return x % scale
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    return x + torch.linspace(-1, 1, w)
            """,
            line=5,
            message_contains="linspace",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    h = x.size(2)
                    return torch.remainder(x, (h - 1) / 2) + x % float(h)
            """,
            count=2,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x + torch.arange(0, 1, 1 / x.shape[2])
            """,
            line=4,
        ),
    ]
