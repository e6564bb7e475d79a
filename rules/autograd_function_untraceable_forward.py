from __future__ import annotations

import ast

from onnxlint.rules.api import ClassInfo, Invalid, Rule, Severity, Valid

FUNCTION_BASES = frozenset({"torch.autograd.Function", "torch.autograd.function.Function"})
# Calls into libraries that compute outside torch: the tracer sees only their result.
_FOREIGN_MODULES = ("numpy.", "scipy.", "cv2.", "cupy.", "PIL.")
# Tensor methods that leave torch for Python or NumPy values.
_LEAVING_METHODS = frozenset({"numpy", "tolist", "item"})

_FUNCTIONS = """
import numpy as np
import torch


class NumpyTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.from_numpy(np.tanh(x.detach().cpu().numpy()))

    @staticmethod
    def backward(ctx, grad):
        return grad


class NumpyTanhWithSymbolic(NumpyTanh):
    @staticmethod
    def symbolic(g, x):
        return g.op("Tanh", x)


class ScaleByMax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x / x.abs().max().item()

    @staticmethod
    def backward(ctx, grad):
        return grad


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x * 4) / 4

    @staticmethod
    def backward(ctx, grad):
        return grad
"""


class AutogradFunctionUntraceableForward(Rule):
    """A custom `torch.autograd.Function` whose `forward` leaves torch, used in model code, without `symbolic`.

    ## What it does
    Flags `MyFunction.apply(...)` (or an alias `my_fn = MyFunction.apply`) in model code when
    `MyFunction` is a `torch.autograd.Function` of the same file that has no `symbolic`
    staticmethod and whose `forward` computes outside torch: NumPy / SciPy / OpenCV calls,
    `.numpy()`, `.tolist()` or `.item()`. Only for the TorchScript exporter.

    ## Why is this bad for ONNX
    The TorchScript exporter exports a `Function` through its `symbolic` staticmethod when it
    has one, and otherwise traces its `forward`. Tracing records torch ops only: what NumPy
    computes becomes a constant. Measured on torch 2.13: a NumPy `forward`
    (`torch.from_numpy(np.tanh(x.numpy()))`) was BAKED (right for the export input only) at
    opsets 11, 13 and 17, and failed to export outright behind a convolution ("Couldn't
    export operator aten::lift_fresh"); a `forward` dividing by `.item()` was BAKED too. A
    `forward` in plain torch ops exported correctly, and so did the NumPy one with a
    `symbolic`. The dynamo exporter traces `forward` with `torch.export`, which follows NumPy
    calls and `.item()`: the same NumPy and `.item()` functions exported and matched, so the
    rule stays silent for it. (A compiled extension called from `forward` is not judged here.)

    ## Example
    ```python
    class NumpyTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.from_numpy(np.tanh(x.detach().cpu().numpy()))

    class Net(nn.Module):
        def forward(self, x):
            return NumpyTanh.apply(x)
    ```

    ## Use instead
    Tell the TorchScript exporter which ONNX ops the function is:
    ```python
    class NumpyTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.from_numpy(np.tanh(x.detach().cpu().numpy()))

        @staticmethod
        def symbolic(g, x):
            return g.op("Tanh", x)
    ```
    or write `forward` in torch ops, or export with the dynamo exporter. For an op the dynamo
    exporter cannot translate, register an ONNX Script function in
    `torch.onnx.export(..., custom_translation_table={torch.ops.my_lib.my_op.default: fn})`
    for a `torch.library.custom_op`.

    ## Fix safety
    No fix: the ONNX equivalent of the function's `forward` is for its author to write.

    ## References
    - Extending torch.autograd: https://pytorch.org/docs/stable/notes/extending.html
    - TorchScript exporter, `symbolic` for `autograd.Function`: https://pytorch.org/docs/stable/onnx_torchscript.html
    - torch.onnx.export `custom_translation_table`: https://pytorch.org/docs/stable/onnx_export.html
    - docs/measurements.md (ONX508 rows); docs/ground-truth.md, harness rows autograd_fn_*
    """

    code = "ONX508"
    name = "autograd_function_untraceable_forward"
    message = "A custom autograd Function whose `forward` leaves torch is baked by the TorchScript exporter"
    severity = Severity.ERROR
    trigger_names = ("apply",)
    applies_to = "TorchScript exporter (dynamo=False); silent for dynamo (measured: traced correctly)"

    def visit_Call(self, node: ast.Call) -> None:
        if not self.context.in_model_code:
            return
        info = self._function_class(node.func)
        if info is None:
            return
        config = self.context.export_config_for(node)
        if not config.is_legacy or self._has_method(info, "symbolic"):
            return
        forward = self._method(info, "forward")
        if forward is None:
            return
        construct = self._leaves_torch(forward)
        if construct is None:
            return
        what, line = construct
        name = info.node.name
        message = (
            f"`{name}.apply`: {config.exporter_label} traces `{name}.forward`, which computes with {what} "
            f"(line {line}): the tracer records the result as a constant (BAKED, measured) or the export fails; "
            f"give `{name}` a `symbolic` staticmethod, write `forward` in torch ops, or export with the dynamo exporter"
        )
        self.report(node, message)

    # -- the Function class ------------------------------------------------------------------------

    def _function_class(self, func: ast.expr) -> ClassInfo | None:
        if type(func) is ast.Attribute and func.attr == "apply" and type(func.value) is ast.Name:
            return self._autograd_class(func.value.id)
        if type(func) is ast.Name:
            alias = self._aliases().get(func.id)
            if alias is not None and (self.context.scope is None or not self.context.scope.binds_locally(func.id)):
                return self._autograd_class(alias)
        return None

    def _aliases(self) -> dict[str, str]:
        """Module-level `name = SomeFunction.apply` bindings."""
        key = f"{self.code}:aliases"
        aliases = self.context.cache.get(key)
        if aliases is None:
            aliases = {}
            for statement in self.context.tree.body:
                if (
                    type(statement) is ast.Assign
                    and len(statement.targets) == 1
                    and type(statement.targets[0]) is ast.Name
                    and type(statement.value) is ast.Attribute
                    and statement.value.attr == "apply"
                    and type(statement.value.value) is ast.Name
                ):
                    aliases[statement.targets[0].id] = statement.value.value.id
            self.context.cache[key] = aliases
        return aliases

    def _autograd_class(self, name: str, depth: int = 0) -> ClassInfo | None:
        info = self.context.model.classes.get(name)
        if info is None or depth > 5:
            return None
        for base in info.node.bases:
            if self.context.model.qualified_name(base) in FUNCTION_BASES:
                return info
            if type(base) is ast.Name and base.id != name and self._autograd_class(base.id, depth + 1) is not None:
                return info
        return None

    def _method(self, info: ClassInfo, name: str, depth: int = 0) -> ast.FunctionDef | None:
        method = info.methods.get(name)
        if method is not None or depth > 5:
            return method  # type: ignore[return-value]
        for base in info.node.bases:
            if type(base) is ast.Name and base.id in self.context.model.classes and base.id != info.node.name:
                found = self._method(self.context.model.classes[base.id], name, depth + 1)
                if found is not None:
                    return found
        return None

    def _has_method(self, info: ClassInfo, name: str) -> bool:
        return self._method(info, name) is not None

    def _leaves_torch(self, forward: ast.FunctionDef) -> tuple[str, int] | None:
        for node in ast.walk(forward):
            if type(node) is not ast.Call:
                continue
            func = node.func
            if type(func) is ast.Attribute and func.attr in _LEAVING_METHODS and not node.args:
                qualified = self.context.model.qualified_name(func) or ""
                if not qualified.startswith(_FOREIGN_MODULES):
                    return f"`.{func.attr}()`", node.lineno
            qualified = self.context.model.qualified_name(func) or ""
            if qualified.startswith(_FOREIGN_MODULES):
                return f"`{self.context.source.segment(func)}` ({qualified.split('.')[0]})", node.lineno
        return None

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # A symbolic staticmethod: the TorchScript exporter does not trace forward.
        Valid(
            _FUNCTIONS
            + "\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return NumpyTanhWithSymbolic.apply(x)\n",
            settings={"exporter": "legacy"},
        ),
        # Pure torch forward.
        Valid(
            _FUNCTIONS + "\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return RoundSTE.apply(x)\n",
            settings={"exporter": "legacy"},
        ),
        # The dynamo exporter traced NumPy and .item() correctly (measured).
        Valid(
            _FUNCTIONS
            + "\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return NumpyTanh.apply(x)\n",
            settings={"exporter": "dynamo"},
        ),
        # Outside model code.
        Valid(_FUNCTIONS + "\ndef reference(x):\n    return NumpyTanh.apply(x)\n", settings={"exporter": "legacy"}),
        # A class of another file: not shown.
        Valid(
            """
            import torch
            from ops import NumpyTanh
            class Net(torch.nn.Module):
                def forward(self, x):
                    return NumpyTanh.apply(x)
            """,
            settings={"exporter": "legacy"},
        ),
    ]
    INVALID = [
        Invalid(
            _FUNCTIONS
            + "\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return NumpyTanh.apply(x) * 2\n",
            line=42,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="symbolic",
        ),
        # An alias, and a forward calling `.item()`.
        Invalid(
            _FUNCTIONS
            + "\nscale_by_max = ScaleByMax.apply\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return scale_by_max(x)\n",
            line=44,
            settings={"exporter": "legacy"},
            message_contains=".item()",
        ),
    ]
