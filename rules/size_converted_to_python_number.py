from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    ExportConfig,
    Fix,
    Invalid,
    Kind,
    OpRequirement,
    Rule,
    Severity,
    Valid,
    module_insertions,
    replace_node,
    requirement,
)

from ._sizes import (
    is_batch_size,
    is_dynamic_size,
    is_int_size,
    is_non_negative_size,
    is_size,
    parenthesized,
)
from ._static_sizes import static_by_construction

_SIZE_KINDS = (Kind.DIM, Kind.SHAPE)


def _math_requirement(function: str) -> OpRequirement | None:
    try:
        return requirement(f"math.{function}.size")
    except KeyError:
        return None


class SizeConvertedToPythonNumber(Rule):
    """A tensor's size turned into a plain Python number in model code.

    ## What it does
    Flags, inside `forward` and the functions it calls, `int(...)` and `float(...)` of a size
    (`int(x.size(2))`, `float(x.shape[-1])`, `[int(s) for s in x.shape]`), `math.*` functions
    of sizes (`math.ceil(h / 32)`, `math.sqrt(d)`) and `numpy` functions of sizes or shapes
    (`np.prod(x.shape[1:])`), for the exporter and functions measured to freeze or reject them.

    ## Why is this bad for ONNX
    With dynamic axes, a size must stay a graph value. Measured on torch 2.13 with dynamic
    batch, height and width, on the export input and on one of other sizes:
    - the TorchScript exporter (`dynamo=False`) traces sizes as 0-d tensors, and `int()`,
      `float()`, `math.ceil/floor/sqrt/log2/isqrt/gcd/pow` and `np.prod/np.sqrt` turn them into
      constants from the example input, silently (`math.trunc` raises);
    - the dynamo exporter keeps `math.ceil`, `math.floor`, `math.trunc` and `math.pow` of sizes
      symbolic, but not `math.sqrt` ("No ONNX function found for sym_sqrt"), `math.log2`,
      `math.isqrt`, `math.gcd` (the size is specialised and the export fails) nor `np.*` (baked
      or failing). `int()` and `float()` of a size break its first, non-strict capture; with
      `Dim.DYNAMIC` (what `dynamic_axes` and string dim names become) `torch.onnx.export` then
      falls back to `torch.export(strict=True)`, which kept them symbolic, except on a dim whose
      example size is 1 (the batch of `torch.randn(1, ...)`), which was baked silently; with
      `Dim.AUTO` they were baked silently on every dim.

    A frozen size is harmless when that dim is static in every deployed input. onnxlint cannot
    see which dims you declare dynamic, so it skips sizes that are static in most models: dim 1
    of a tensor unpacked as `b, c, h, w = x.shape` (channels), the last dim of one unpacked as
    `b, n, c` (features), and `x.size(-1)` / `x.shape[-1]` of a tensor of unknown rank
    (`math.sqrt(q.size(-1))` in attention is the head dim). Other sizes are reported.

    Measured fine and not flagged: arithmetic on the sizes themselves (`x.size(2) // 2` as an
    `interpolate` size, `x.view(x.size(0), -1)`, `b, c, h, w = x.shape; x.reshape(b, c * h * w)`,
    `token.expand(x.shape[0], -1, -1)`, `x.shape[-1] ** -0.5`) and `math.prod` of sizes, with
    both exporters, with `Dim.DYNAMIC` and `Dim.AUTO`, and with batch-1 and batch-2 examples.
    In particular, `x.view(x.size(0), -1)` does not pin the batch: rewriting it as
    `x.flatten(1)` changes nothing measurable, so it is not flagged. (Plain `torch.export`
    without `torch.onnx` 0/1-specialises a batch-1 example whatever the reshape is written
    as: that is the example input's problem, ONX506.)

    ## Example
    ```python
    def forward(self, x):
        h = int(x.size(2)) // 2
        H = math.ceil(x.shape[2] / 32) * 32
        return x / math.sqrt(x.shape[2] * x.shape[3])
    ```

    ## Use instead
    Integer arithmetic on the sizes, and `**` for powers:
    ```python
    def forward(self, x):
        h = x.size(2) // 2
        H = (x.shape[2] + 31) // 32 * 32
        return x / (x.shape[2] * x.shape[3]) ** 0.5
    ```

    ## Fix safety
    Safe fixes, each giving the same Python value in eager mode: `int(s)` → `s` when `s` is
    an integer size expression (`x.size(2)`, `h // 2`, `[s for s in x.shape]`);
    `math.ceil(a / b)` → `(a + b - 1) // b` and `math.floor(a / b)` → `a // b` for integer
    sizes `a` and a positive integer literal or size `b`; `int(a / b)` → `a // b` for the same
    `a` and `b` when `a` is proven non-negative (a size, or sums, products, `//` and `%` of sizes
    and non-negative literals: truncation and floor division then agree, and a size-0 `b` raises
    in both), an unsafe fix when `a` is a difference (`int((k - 1) / 2)` is 0 and
    `(k - 1) // 2` is -1 for `k == 0`); `math.sqrt(s)` → `s ** 0.5` when `s` is proven non-negative (both correctly
    rounded for the integers sizes are; for a negative value `math.sqrt` raises where `** 0.5`
    goes on with a complex number, so `math.sqrt(math.log(n, base))` gets an unsafe fix); `float(s)` → `s` where it is divided or raised to a float power. Dropping `float()` elsewhere (`float(s) // 2` is a float, `s // 2`
    an int) and `np.prod` → `math.prod` (an `int` instead of a numpy integer) are unsafe fixes;
    the rest are display-only.

    What each form does with a dynamic dim, measured with `torch.onnx.export` at one size and
    onnxruntime at that size and another (`scripts/fix_size_forms.py`; torch 2.13.0 and 2.14.1
    gave the same table): with the dynamo exporter, `int(n ** 0.5)`, `math.floor(n ** 0.5)`
    and `torch.sym_int(n ** 0.5)` stay dynamic and match, while `int(math.sqrt(n))`,
    `math.floor(math.sqrt(n))`, `torch.sym_int(torch.sym_sqrt(n))` (no ONNX translation of
    `sym_sqrt`), `round(n ** 0.5)` and `math.isqrt(n)` (the size is specialised) fail to export,
    so `int(math.sqrt(n))` becomes `int(n ** 0.5)`, not `math.isqrt(n)`. With the TorchScript
    exporter every square-root form is frozen (the tracer's `int()` reads the example's value):
    no plain-Python rewrite keeps it dynamic there, so none is offered for that reason. Quotients:
    `a // b` and `(a + b - 1) // b` stay dynamic and match with both exporters; `math.ceil(a / b)`
    and `math.floor(a / b)` only with the dynamo exporter; `int(a / b)` is frozen by both (hence
    `int(a / b)` → `a // b`); and `-(-a // b)`, the usual ceiling idiom, exports but gives the
    wrong size at other sizes with both exporters (exported at 8, run at 13: mismatch), so it is
    never offered.

    ## References
    - torch.export, dynamic shapes and `Dim.AUTO` / `Dim.DYNAMIC`: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - TorchScript-exporter tracing limitations: https://pytorch.org/docs/stable/onnx_torchscript.html#limitations
    - docs/measurements.md (ONX301 rows); docs/ground-truth.md, harness rows shape_int_cast_to_interp_size, shape_math_ceil, shape_view_size0_minus1
    """

    code = "ONX301"
    name = "size_converted_to_python_number"
    message = "A tensor size converted to a Python number is frozen at the example input's size"
    fix_title = "Keep the size symbolic (integer arithmetic, `**`)"
    fix_applicability = Applicability.SAFE
    trigger_names = ("int(", "float(", "math.", "np.", "numpy", "map(", "from math import")
    applies_to = "TorchScript exporter: int/float/math/numpy of sizes; dynamo: int/float (Dim.AUTO, size-1 dims), math.sqrt/log2/isqrt/gcd, numpy"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        if not context.in_model_code or node.keywords:
            return
        name = context.call_name(node)
        if name is None:
            return
        if name in ("builtins.int", "builtins.float") and len(node.args) == 1:
            self._conversion(node, name[9:], node.args[0])
        elif name == "builtins.map" and len(node.args) == 2:
            self._map(node)
        elif name.startswith("math.") and node.args:
            self._math(node, name[5:])
        elif name.startswith("numpy.") and node.args:
            self._numpy(node, name)

    # -- int() / float() -----------------------------------------------------------------------

    def _conversion(self, node: ast.Call, conversion: str, value: ast.expr) -> None:
        context = self.context
        if (
            not is_dynamic_size(context, value)
            or static_by_construction(context, value)
            or context.skipped_during_export(node)
        ):
            return
        config = context.export_config_for(node)
        message, severity = self._conversion_message(f"`{conversion}()`", config, is_batch_size(context, value))
        self.report(node, message, severity=severity, fix=self._conversion_fix(node, conversion, value))

    def _conversion_message(self, shown: str, config: ExportConfig, batch: bool) -> tuple[str, Severity]:
        if config.is_legacy:
            return (
                f"{shown} of a size: the TorchScript exporter records the example input's size as a constant",
                Severity.ERROR,
            )
        when = "a size-1 example (the usual batch of 1) or `Dim.AUTO`" if batch else "`Dim.AUTO` or a size-1 example"
        return (
            f"{shown} of a size: the dynamo exporter freezes it at the example's size with {when} "
            "(it stays dynamic only through the strict-capture fallback)",
            Severity.WARNING,
        )

    def _conversion_fix(self, node: ast.Call, conversion: str, value: ast.expr) -> Fix:
        context = self.context
        replacement = parenthesized(context, value)
        if conversion == "int":
            if is_int_size(context, value):
                return self.make_fix([replace_node(context, node, replacement)], Applicability.SAFE, "Drop `int()`")
            quotient = self._floor_quotient(value)
            if quotient is not None:
                text, proven = quotient
                text = _in_context(context, node, text, power=False)
                applicability = Applicability.SAFE if proven else Applicability.UNSAFE
                return self.make_fix([replace_node(context, node, text)], applicability, "Use `//`")
            return self.make_fix([], Applicability.DISPLAY_ONLY, "Compute the size with integer arithmetic (`//`)")
        parent = context.parent(node)
        safe = False
        if type(parent) is ast.BinOp:
            other = parent.right if parent.left is node else parent.left
            if type(parent.op) is ast.Div:
                safe = True
            elif type(parent.op) is ast.Pow and parent.left is node:
                safe = _is_float_literal(other)
            elif type(parent.op) in (ast.Mult, ast.Add, ast.Sub):
                safe = _is_float_literal(other)
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return self.make_fix([replace_node(context, node, replacement)], applicability, "Drop `float()`")

    def _floor_quotient(self, value: ast.expr) -> tuple[str, bool] | None:
        """`a // b` for `int(a / b)`, with whether it is proven: an integer size expression `a` over a
        positive integer literal or an integer size `b`. Truncation and floor division agree when `a`
        is not negative (a size-0 `b` raises in both): proven for a size read as is and for sums,
        products, floor quotients and remainders of sizes and non-negative literals; not for a
        difference (`kernel_size - 1` is -1 for an empty dim: `int(-1 / 2)` is 0, `-1 // 2` is -1)."""
        context = self.context
        if type(value) is not ast.BinOp or type(value.op) is not ast.Div:
            return None
        numerator, denominator = value.left, value.right
        if not is_int_size(context, numerator):
            return None
        if not (
            _is_positive_int_literal(denominator)
            or (is_size(context, denominator) and is_int_size(context, denominator))
        ):
            return None
        text = f"{parenthesized(context, numerator)} // {parenthesized(context, denominator)}"
        return text, is_non_negative_size(context, numerator)

    def _map(self, node: ast.Call) -> None:
        context = self.context
        function, iterable = node.args
        if type(function) is not ast.Name or context.qualified_name(function) not in ("builtins.int", "builtins.float"):
            return
        if context.kind(iterable) is not Kind.SHAPE or context.skipped_during_export(node):
            return
        config = context.export_config_for(node)
        message, severity = self._conversion_message(f"`map({function.id}, ...)`", config, True)
        hint = "Use the sizes as they are (`list(x.shape)`)"
        self.report(node, message, severity=severity, fix=self.make_fix([], Applicability.DISPLAY_ONLY, hint))

    # -- math.* ----------------------------------------------------------------------------------

    def _math(self, node: ast.Call, function: str) -> None:
        context = self.context
        if not any(
            is_dynamic_size(context, a) and not static_by_construction(context, a) for a in node.args
        ) or context.skipped_during_export(node):
            return
        config = context.export_config_for(node)
        needed = _math_requirement(function)
        if config.is_legacy:
            if needed is not None and needed.legacy_min_opset is not None and config.opset >= needed.legacy_min_opset:
                return
            if function == "trunc":
                consequence = "the TorchScript exporter fails (a traced size is a tensor without `__trunc__`)"
            else:
                consequence = "the TorchScript exporter records the result for the example input's size as a constant"
        else:
            if needed is None or needed.dynamo:
                return  # measured symbolic (ceil, floor, trunc, pow, prod), or not measured
            if function == "sqrt":
                consequence = "the dynamo exporter has no ONNX translation for it (with `Dim.AUTO`: frozen)"
            else:
                consequence = "the dynamo exporter specialises the size and the export fails"
        self.report(node, f"`math.{function}()` of a size: {consequence}", fix=self._math_fix(node, function))

    def _math_fix(self, node: ast.Call, function: str) -> Fix:
        context = self.context
        argument = node.args[0]
        if function in ("ceil", "floor") and len(node.args) == 1:
            if type(argument) is ast.BinOp and type(argument.op) is ast.Div:
                numerator, denominator = argument.left, argument.right
                if is_int_size(context, numerator) and (
                    _is_positive_int_literal(denominator)
                    or (is_size(context, denominator) and is_int_size(context, denominator))
                ):
                    a, b = parenthesized(context, numerator), parenthesized(context, denominator)
                    text = f"({a} + {b} - 1) // {b}" if function == "ceil" else f"{a} // {b}"
                    text = _in_context(context, node, text, power=False)
                    return self.make_fix([replace_node(context, node, text)], Applicability.SAFE)
        if function == "sqrt" and len(node.args) == 1 and type(argument) is not ast.Starred:
            # `math.sqrt(v)` raises for v < 0 where `v ** 0.5` goes on with a complex number: the same
            # only where the argument is proven >= 0 (a size, sums and products of sizes).
            text = _in_context(context, node, f"{parenthesized(context, argument)} ** 0.5", power=True)
            applicability = Applicability.SAFE if is_non_negative_size(context, argument) else Applicability.UNSAFE
            return self.make_fix([replace_node(context, node, text)], applicability, "Use `** 0.5`")
        return self.make_fix([], Applicability.DISPLAY_ONLY, "Use integer arithmetic on the sizes (`//`, `%`) or `**`")

    # -- numpy ---------------------------------------------------------------------------------

    def _numpy(self, node: ast.Call, name: str) -> None:
        context = self.context
        if not any(
            context.kind(a) in _SIZE_KINDS and (context.kind(a) is Kind.SHAPE or is_dynamic_size(context, a))
            for a in node.args
        ):
            return
        if context.skipped_during_export(node):
            return
        config = context.export_config_for(node)
        function = name.rsplit(".", 1)[-1]
        shown = f"`{context.source.segment(node.func)}()`"
        if config.is_legacy:
            consequence = "the TorchScript exporter records the result for the example input's size as a constant"
        else:
            consequence = "the dynamo exporter freezes the sizes numpy sees (or fails)"
        fix: Fix
        if function == "prod" and len(node.args) == 1:
            edits = [replace_node(context, node.func, "math.prod")]
            if context.model.local_alias_for("math") != "math":
                edits += module_insertions(context, ["import math"])
            fix = self.make_fix(edits, Applicability.UNSAFE, "Use `math.prod`")
        else:
            fix = self.make_fix([], Applicability.DISPLAY_ONLY, "Compute on the sizes with Python operators, not numpy")
        self.report(node, f"{shown} of a size: {consequence}", severity=Severity.ERROR, fix=fix)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # The size of a parameter: static, whatever the input.
        """
        import math
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                side = int(math.sqrt(self.pos_embed.shape[1]))
                return x.reshape(x.shape[0], side, side, -1)
        """,
        """
        import math
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x):
                h, w = x.size(2) // 2, x.size(3) // 2
                y = F.interpolate(x, size=(h, w)) * x.shape[-1] ** -0.5
                n = int(self.ratio * 4) + len(x.shape) + int(x.dim())
                return y.reshape(y.size(0), -1) * n + math.prod(y.shape[1:]) + math.ceil(2.5)
        """,
        # The dynamo exporter keeps math.ceil / math.floor of sizes symbolic.
        Valid(
            """
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x[..., : math.ceil(x.shape[-1] / 2)]
            """,
            settings={"exporter": "dynamo"},
        ),
        # Sizes of dims that are static in practice: channels (dim 1 of an image), the last dim of a
        # (batch, tokens, channels) tensor, and `size(-1)` of a tensor of unknown rank (attention's head dim).
        Valid(
            """
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, q, k, x):
                    b, n, c = x.shape
                    return q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)) * math.sqrt(c)
            """,
            settings={"exporter": "legacy"},
        ),
        # Not model code.
        """
        import math
        import torch
        def tiles(x):
            return math.ceil(x.shape[-1] / 256), int(x.size(0))
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    h = int(x.size(2)) // 2
                    s = [int(d) for d in x.shape]
                    return F.interpolate(x, size=(h, s[3]))
            """,
            count=2,
            settings={"exporter": "legacy"},
            message_contains="TorchScript",
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    h = x.size(2) // 2
                    s = [d for d in x.shape]
                    return F.interpolate(x, size=(h, s[3]))
            """,
        ),
        Invalid(
            """
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    H = math.ceil(h / 32) * 32
                    W = math.floor(w / 2)
                    return F.interpolate(x, size=(H, W)) / math.sqrt(h * w) * float(w) ** -0.5
            """,
            count=4,
            settings={"exporter": "legacy", "opset": 17},
            expected_fix="""
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    H = (h + 32 - 1) // 32 * 32
                    W = w // 2
                    return F.interpolate(x, size=(H, W)) / (h * w) ** 0.5 * w ** -0.5
            """,
        ),
        # `int((w - 1) / 2)`: `w - 1` is -1 for an empty dim, where truncation and floor division differ: unsafe.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    return F.pad(x, (int((w - 1) / 2), 0))
            """,
            line=6,
            settings={"exporter": "legacy"},
            unsafe_fixes=True,
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    return F.pad(x, ((w - 1) // 2, 0))
            """,
        ),
        # `int(a / b)` of sizes: floor division (sizes are never negative, so it truncates the same).
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    return F.interpolate(x, size=(int(h / 2), int((w + 1) / 2) * 2))
            """,
            count=2,
            settings={"exporter": "legacy"},
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    return F.interpolate(x, size=(h // 2, (w + 1) // 2 * 2))
            """,
        ),
        Invalid(
            """
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / math.sqrt(x.size(2) * x.size(3))
            """,
            line=5,
            message_contains="dynamo",
            expected_fix="""
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / (x.size(2) * x.size(3)) ** 0.5
            """,
        ),
        # `math.sqrt` of what may be negative (a log) raises where `** 0.5` gives a complex number:
        # the rewrite is unsafe, so a safe-only `--fix` leaves it (diffusers' Lumina processor).
        Invalid(
            """
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x * math.sqrt(math.log(x.shape[1], 256))
            """,
            line=5,
            expected_fix="""
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x * math.sqrt(math.log(x.shape[1], 256))
            """,
        ),
        Invalid(
            """
            import numpy as np
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
            """,
            line=5,
            unsafe_fixes=True,
            expected_fix="""
            import numpy as np
            import torch
            import math
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.reshape(x.shape[0], int(math.prod(x.shape[1:])))
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    b = int(x.size(0))
                    return torch.cat([x, torch.zeros(b, 1, x.shape[2], x.shape[3])], 1)
            """,
            line=4,
            message_contains="size-1",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    b = x.size(0)
                    return torch.cat([x, torch.zeros(b, 1, x.shape[2], x.shape[3])], 1)
            """,
        ),
    ]


def _is_float_literal(expr: ast.AST) -> bool:
    if type(expr) is ast.UnaryOp and type(expr.op) in (ast.USub, ast.UAdd):
        expr = expr.operand
    return type(expr) is ast.Constant and type(expr.value) is float


def _is_positive_int_literal(expr: ast.AST) -> bool:
    return type(expr) is ast.Constant and type(expr.value) is int and expr.value > 0


_LOWER_THAN_MULTIPLY = (ast.Add, ast.Sub, ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor)
_MULTIPLY = (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.MatMult)


def _in_context(context, node: ast.AST, text: str, *, power: bool) -> str:
    """`text` (a `//` expression, or a `**` one when `power`) in parentheses where it replaces `node`
    inside an expression that would otherwise group it differently."""
    parent = context.parent(node)
    parent_type = type(parent)
    if parent_type in (ast.Attribute, ast.Subscript) and parent.value is node:
        return f"({text})"
    if power:
        if parent_type is ast.BinOp and type(parent.op) is ast.Pow and parent.left is node:
            return f"({text})"
        if parent_type is ast.Await:
            return f"({text})"
        return text
    if parent_type is ast.UnaryOp or parent_type is ast.Await:
        return f"({text})"
    if parent_type is ast.BinOp:
        operator = type(parent.op)
        if parent.left is node and operator in (*_MULTIPLY, *_LOWER_THAN_MULTIPLY):
            return text
        if parent.right is node and operator in _LOWER_THAN_MULTIPLY:
            return text
        return f"({text})"
    return text
