from __future__ import annotations

import ast
import itertools
import re

from onnxlint.rules.api import (
    Applicability,
    Confidence,
    ExportConfig,
    FileContext,
    Fix,
    Invalid,
    Kind,
    OpRequirement,
    Rule,
    Severity,
    Valid,
    is_size_flag,
    module_insertions,
    parameter_defaults,
    replace_node,
    requirement,
)

from ._sizes import (
    is_batch_size,
    is_dynamic_size,
    is_int_size,
    is_non_negative_size,
    is_size,
    local_values,
    parenthesized,
    size_leaves,
    with_size_origin,
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
      or failing), with one exception: `np.prod` of sizes used as a size (`x.reshape(b,
      np.prod(x.shape[1:]))`) stayed symbolic, while `int(np.prod(...))` was baked; so a `np.prod`
      that reaches no `int()`, `float()`, `math.*` or numpy call is not reported under dynamo. `int()` and `float()` of a size break its first, non-strict capture; with
      `Dim.DYNAMIC` (what `dynamic_axes` and string dim names become) `torch.onnx.export` then
      falls back to `torch.export(strict=True)`, which kept `int()` of an integer size and
      `float()` of a size symbolic (`float(w - 1)` in a clamp, `float(h) / 2`), except on a dim whose
      example size is 1 (the batch of `torch.randn(1, ...)`), which was baked silently; with
      `Dim.AUTO` they were baked silently on every dim, and so with `torch.export.Dim("name")` objects
      (measured on torch 2.13 and 2.14.1: the ONNX input comes out static). `int()` of a float computed from a size
      (`int(h * 0.5)`, `int(h / 2)`, `int(n ** 0.5)`, `int(round(...))`) was baked with
      `Dim.DYNAMIC` too as a slice bound, an `interpolate` size or a factory size, and kept
      symbolic as a `view` / `reshape` size.

    Confidence: with the dynamo exporter, `int()` of an integer size and `float()` of a size (not
    the batch) are a hazard only when the export declares its dims with `Dim.AUTO` or `Dim("name")`, which the
    model code does not show: they are reported at `low` confidence (`--confidence low`), the
    message saying so; so is `int()` of a float from a size used as a `view` / `reshape` size (the
    pixel shuffle of vision towers: measured symbolic with `Dim.DYNAMIC` there, though frozen as a
    slice bound, an `interpolate` size or a factory size), and `int()` of a size an earlier `int()`
    of a float already froze (`side = int(n ** 0.5)` then `int(side / 2)`: a hazard only once the
    first is fixed), and the side of a square grid recovered from a count (`height = width = int(seq ** 0.5)`
    in a VLM connector's pixel shuffle or a DiT's unpatchify, or a square root bound to one name that the function
    passes as two neighbouring sizes, `side = int(math.sqrt(n))` then `x.view(b, side, side, -1)`; `int()`,
    `math.*` or numpy alike): such code
    assumes square inputs of the one size its tokens come from (a fixed tile, the pretrained size), a size
    static in practice. So is a value that only decides a check that raises (MONAI SwinUNETR's
    `img_size = np.array(x.shape[2:])`, `if (img_size % 32 > 0).any(): raise ...`): like an `assert`, the export
    decides it once and leaves it out of the graph (measured on torch 2.13 with `Dim.DYNAMIC`: the ONNX input stayed
    dynamic and matched eager at another valid size). So is a value a size decides only through a comparison with
    0 or 1 (Cosmos's `time_factor = int(1.0 + 1.0 * (num_frames > 1))`): an example past the bound exports the value of
    every size past it, as for a branch on such a comparison (ONX302). Dim 0 read into names of extents
    (`num_frames, height, width = (int(p.shape[0]) for p in pos)`, one-dimensional indices) is not taken for the batch.
    Other `int()` of a float from a size, the batch dim, the TorchScript exporter,
    `math.*` and numpy keep the confidence their reachability and values give. `int()` around a
    `math.*` or numpy call that is reported itself (`int(math.sqrt(n))`) is reported once, at that
    call.

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

    def with_what_was_proven(self, node: ast.AST, message: str) -> str:
        """Every finding of this rule is on a call whose first argument is the size (`int(n)`, `math.sqrt(n)`,
        `np.ceil(n / 2)`): its message also says where that size comes from (`with_size_origin`)."""
        if type(node) is ast.Call and node.args:
            return with_size_origin(self.context, message, node.args[0])
        return message

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
        if self._reported_inside(value):
            return  # `int(math.sqrt(n))`: reported once, at the call inside
        config = context.export_config_for(node)
        shown = f"`{conversion}()`"
        batch = is_batch_size(context, value) and not _bound_to_extent_names(context, node)
        fix = self._conversion_fix(node, conversion, value)
        degenerate = _through_degenerate_comparisons(context, value)
        if degenerate is not None:
            # Cosmos's `time_factor = int(1.0 + 1.0 * (num_frames > 1))`: the size only picks between two values.
            message = (
                f"{shown} of a value a size decides only through `{context.source.segment(degenerate)}`: with an "
                "example past that bound the export keeps the value of every size past it (a comparison with 0 or 1, "
                "measured as a branch); only empty or single-element inputs would get the other one; reported at low "
                "confidence"
            )
            self.report(node, message, severity=Severity.WARNING, fix=fix, confidence=Confidence.LOW)
            return
        upstream = self._frozen_upstream(value)
        if upstream is not None:
            message = (
                f"{shown} of a size that `int()` on line {upstream.lineno} already froze (reported there): "
                "a hazard once that one keeps the size symbolic; reported at low confidence"
            )
            self.report(node, message, severity=Severity.WARNING, fix=fix, confidence=Confidence.LOW)
            return
        if not config.is_legacy and not batch:
            if conversion == "int" and _float_valued(context, value) and self._sizes_a_view(node):
                # Measured (int_scaled_view): as a `view` / `reshape` size it stays symbolic with `Dim.DYNAMIC`.
                message = (
                    "`int()` of a float computed from a size, as a `view`/`reshape` size: the dynamo exporter "
                    "freezes it only with `Dim.AUTO` (with `Dim.DYNAMIC` and string dim names it stays symbolic, "
                    "measured); reported at low confidence"
                )
                self.report(node, message, severity=Severity.WARNING, fix=fix, confidence=Confidence.LOW)
                return
            if conversion == "int" and _float_valued(context, value):
                # Measured (int_scaled_size, int_scaled_slice, int_root_size): truncating a float computed from a
                # size pins the size with `Dim.DYNAMIC` as with `Dim.AUTO`.
                message = (
                    "`int()` of a float computed from a size: the dynamo exporter freezes it at the example's size "
                    "(with `Dim.DYNAMIC` and `Dim.AUTO` alike); use integer arithmetic (`//`)"
                )
                self._report_unless_square_side(node, message, fix, severity=Severity.WARNING)
                return
            # Measured (int_size, float_size): `int()` of an integer size and `float()` of a size stay symbolic
            # with `Dim.DYNAMIC`, what `dynamic_axes` and string dim names become; `Dim.AUTO` and `Dim("name")`
            # objects freeze them (int_size_auto, int_size_named).
            # Whether the export declares its dims so is not in the code: a hazard that rests on it is `low`.
            message = (
                f"{shown} of a size: the dynamo exporter freezes it at the example's size with `Dim.AUTO` or "
                '`Dim("name")` objects (with `Dim.DYNAMIC`, what `dynamic_axes` and string dim names become, it '
                "stays symbolic, measured); reported at low confidence"
            )
            self.report(node, message, severity=Severity.WARNING, fix=fix, confidence=Confidence.LOW)
            return
        message, severity = self._conversion_message(shown, config, batch)
        self.report(node, message, severity=severity, fix=fix)

    def _conversion_message(self, shown: str, config: ExportConfig, batch: bool) -> tuple[str, Severity]:
        if config.is_legacy:
            return (
                f"{shown} of a size: the TorchScript exporter records the example input's size as a constant",
                Severity.ERROR,
            )
        when = (
            'a size-1 example (the usual batch of 1), `Dim.AUTO` or `Dim("name")` objects'
            if batch
            else '`Dim.AUTO`, `Dim("name")` objects or a size-1 example'
        )
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
            quotient = self._floor_quotient(value) or self._rounded_quotients(value)
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

    def _rounded_quotients(self, value: ast.expr) -> tuple[str, bool] | None:
        """`int(math.ceil(h / p) * p)` (transformers' MobileViT) as `(h + p - 1) // p * p`, with whether it is
        proven: sums, differences and products of integer sizes, int literals and `math.ceil` / `math.floor`
        of `a / b` with `a` an integer size. `(a + b - 1) // b` is `ceil(a / b)` and `a // b` is `floor(a / b)`
        for every integer `a` and positive integer `b` (a zero `b` raises in both), and `int()` of an int is
        itself; proven when every `b` is a positive int literal or an integer size and every other leaf an
        integer size or literal, else unsafe (a float `p` would make the two differ)."""
        context = self.context
        source = context.source
        replacements: list[tuple[ast.expr, str]] = []
        proven = True

        def walk(expr: ast.expr) -> bool:
            nonlocal proven
            if type(expr) is ast.BinOp and type(expr.op) in (ast.Add, ast.Sub, ast.Mult):
                return walk(expr.left) and walk(expr.right)
            if type(expr) is ast.Call:
                name = context.call_name(expr)
                if name not in ("math.ceil", "math.floor") or len(expr.args) != 1 or expr.keywords:
                    return False
                argument = expr.args[0]
                if type(argument) is not ast.BinOp or type(argument.op) is not ast.Div:
                    return False
                numerator, denominator = argument.left, argument.right
                if not is_int_size(context, numerator) or type(denominator) not in (
                    ast.Name,
                    ast.Attribute,
                    ast.Constant,
                ):
                    return False
                if not (
                    _is_positive_int_literal(denominator)
                    or (is_size(context, denominator) and is_int_size(context, denominator))
                ):
                    proven = False
                a, b = parenthesized(context, numerator), parenthesized(context, denominator)
                text = f"(({a} + {b} - 1) // {b})" if name == "math.ceil" else f"({a} // {b})"
                replacements.append((expr, text))
                return True
            if type(expr) is ast.Constant:
                return type(expr.value) is int
            if type(expr) in (ast.Name, ast.Attribute, ast.Subscript):
                if not is_int_size(context, expr):
                    proven = False
                return _pure_leaf(expr)
            return False

        if type(value) is ast.Call and context.call_name(value) in ("math.ceil", "math.floor"):
            return None  # `int(math.ceil(a / b))` alone: the `math.ceil` finding's own fix
        if not walk(value) or not replacements:
            return None
        start = source.offset(source.start_of(value))
        text = source.segment(value)
        for call, replacement in sorted(replacements, key=lambda r: source.offset(source.start_of(r[0])), reverse=True):
            a, b = source.offset(source.start_of(call)) - start, source.offset(source.end_of(call)) - start
            text = text[:a] + replacement + text[b:]
        return text, proven

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
        consequence = self._math_consequence(node, function)
        if consequence is not None:
            message = f"`math.{function}()` of a size: {consequence}"
            self._report_unless_square_side(node, message, self._math_fix(node, function))

    def _math_consequence(self, node: ast.Call, function: str) -> str | None:
        """What the exporter does with `math.<function>(...)` of a dynamic size (None: nothing to report)."""
        context = self.context
        if not any(
            is_dynamic_size(context, a) and not static_by_construction(context, a) for a in node.args
        ) or context.skipped_during_export(node):
            return None
        config = context.export_config_for(node)
        needed = _math_requirement(function)
        if config.is_legacy:
            if needed is not None and needed.legacy_min_opset is not None and config.opset >= needed.legacy_min_opset:
                return None
            if function == "trunc":
                return "the TorchScript exporter fails (a traced size is a tensor without `__trunc__`)"
            return "the TorchScript exporter records the result for the example input's size as a constant"
        if needed is None or needed.dynamo:
            return None  # measured symbolic (ceil, floor, trunc, pow, prod), or not measured
        if function == "sqrt":
            return "the dynamo exporter has no ONNX translation for it (with `Dim.AUTO`: frozen)"
        return "the dynamo exporter specialises the size and the export fails"

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
        if not self._numpy_of_sizes(node):
            return
        config = context.export_config_for(node)
        function = name.rsplit(".", 1)[-1]
        shown = f"`{context.source.segment(node.func)}()`"
        if function == "prod" and not config.is_legacy and not self._converted(node):
            return  # measured: `np.prod(x.shape[1:])` stays symbolic under dynamo; `int(np.prod(...))` is frozen
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
        self._report_unless_square_side(node, f"{shown} of a size: {consequence}", fix, severity=Severity.ERROR)

    def _report_unless_square_side(
        self, node: ast.Call, message: str, fix: Fix, severity: Severity | None = None
    ) -> None:
        """Report, at `low` when the value is the side of a square grid recovered from a count (`h = w =
        int(seq ** 0.5)`, a VLM connector's pixel shuffle, a DiT's unpatchify; see `_square_side`): code that assumes square inputs of
        the one size its tokens come from (a fixed tile, the pretrained size), a size static in practice. Not in a
        function that adapts the model to other sizes (`interpolate_latent`, `interpolate_pos_encoding`)."""
        function = self.context.function
        if _only_validates(self.context, node):
            # As for an `assert`: the export decides the check once, for the example, and the check is not in the
            # graph; valid inputs compute the same (MONAI's SwinUNETR `_check_input_size`, measured by the judges).
            message = (
                f"{message}; low confidence: the value only decides a check that raises (the model's own input "
                "validation), which the export evaluates once for the example and leaves out of the graph"
            )
            self.report(node, message, severity=severity, fix=fix, confidence=Confidence.LOW)
            return
        if (
            _square_side(self.context, node)
            and not (function is not None and is_size_flag(function.name))
            and not self.context.cached(_takes_other_sizes_by_default, None)
        ):
            message = (
                f"{message}; low confidence: it is the side of a square grid recovered from a count (bound to both "
                "sides, or passed as two neighbouring sizes), which assumes square inputs of one size (a fixed tile or the pretrained size): a size that is "
                "static in practice"
            )
            self.report(node, message, severity=severity, fix=fix, confidence=Confidence.LOW)
            return
        self.report(node, message, severity=severity, fix=fix)

    def _converted(self, node: ast.AST) -> bool:
        """Whether a value reaches `int()`, `float()` or a `math`/numpy function, directly or through arithmetic or
        a local name bound to it once."""
        context = self.context
        uses: list[ast.AST] = [node]
        statement = context.parent(node)
        if type(statement) is ast.Assign and len(statement.targets) == 1 and type(statement.targets[0]) is ast.Name:
            name = statement.targets[0].id
            function = context.function
            if function is None or len(local_values(context, name)) != 1:
                return True  # not followed: keep the finding
            uses = [
                n for n in ast.walk(function.node) if type(n) is ast.Name and n.id == name and type(n.ctx) is ast.Load
            ]
        for use in uses:
            parent = context.parent(use)
            while parent is not None and type(parent) in (ast.BinOp, ast.UnaryOp):
                parent = context.parent(parent)
            if type(parent) is ast.Call:
                called = context.call_name(parent) or ""
                if called in ("builtins.int", "builtins.float") or called.startswith(("math.", "numpy.")):
                    return True
        return False

    def _numpy_of_sizes(self, node: ast.Call) -> bool:
        context = self.context
        return any(
            context.kind(a) in _SIZE_KINDS and (context.kind(a) is Kind.SHAPE or is_dynamic_size(context, a))
            for a in node.args
        ) and not context.skipped_during_export(node)

    def _sizes_a_view(self, node: ast.Call) -> bool:
        """Whether the conversion is (arithmetic on) a size argument of `t.view(...)`, `t.reshape(...)` or
        `torch.reshape(t, ...)`, read there and nowhere else."""
        context = self.context
        child: ast.AST = node
        parent = context.parent(node)
        while parent is not None and type(parent) in (ast.BinOp, ast.UnaryOp, ast.Tuple, ast.List, ast.Starred):
            child, parent = parent, context.parent(parent)
        if type(parent) is not ast.Call or child not in parent.args:
            return False
        func = parent.func
        if type(func) is ast.Attribute and func.attr in ("view", "reshape"):
            return context.kind(func.value) in (Kind.TENSOR, Kind.OPTIONAL_TENSOR, Kind.UNKNOWN)
        return context.call_name(parent) == "torch.reshape" and parent.args.index(child) > 0

    def _reported_inside(self, value: ast.expr) -> bool:
        """`int(math.sqrt(n))`, `int(np.ceil(h / w))`: the call inside is reported itself (the size is frozen
        or the export fails there), so the conversion around it adds nothing to that finding."""
        if type(value) is ast.Name:  # `s = math.sqrt(n)` then `int(s)`
            values = local_values(self.context, value.id)
            return bool(values) and all(
                position is None and type(bound) is ast.Call and self._reported_inside(bound)
                for bound, position in values
            )
        if type(value) is not ast.Call or not value.args or value.keywords:
            return False
        name = self.context.call_name(value) or ""
        if name.startswith("numpy."):
            return self._numpy_of_sizes(value)
        if name.startswith("math."):
            return self._math_consequence(value, name[5:]) is not None
        return False

    def _frozen_upstream(self, value: ast.expr) -> ast.Call | None:
        """The reported conversion every dynamic size `value` reads comes from, when there is one: in
        `height = width = int(seq ** 0.5)` then `int(width / 2)`, the size is a constant once the first
        `int()` froze it; the second conversion freezes nothing more (it matters only once the first is fixed)."""
        context = self.context
        sources: list[ast.Call] = []
        for leaf in size_leaves(context, value):
            if type(leaf) is not ast.Name:
                return None
            values = local_values(context, leaf.id)
            if not values:
                return None
            for bound, position in values:
                if (
                    position is not None
                    or type(bound) is not ast.Call
                    or context.call_name(bound) != "builtins.int"
                    or len(bound.args) != 1
                    or not is_dynamic_size(context, bound.args[0])
                    or static_by_construction(context, bound.args[0])
                    or not (_float_valued(context, bound.args[0]) or self._reported_inside(bound.args[0]))
                ):
                    return None
                sources.append(bound)
        return sources[0] if sources else None

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # A kernel's size read from a tensor's shape (UnivNet's predicted local-convolution kernels): a dim static
        # in deployment, by the name it is given.
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, hidden_states: torch.Tensor, kernel: torch.Tensor, dilation: int = 1):
                batch, _, out_channels, kernel_size, kernel_length = kernel.shape
                padding = dilation * int((kernel_size - 1) / 2)
                return F.pad(hidden_states, (padding, padding))
        """,
        # `np.prod` of sizes that reaches no `int()`: symbolic under dynamo (measured, `numpy_prod_plain`).
        """
        import numpy as np
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                n = np.prod(x.shape[1:])
                if np.prod(x.shape) % 4 != 0:
                    print("not a multiple of 4")
                return x.reshape(x.shape[0], n)
        """,
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
        # The dynamo exporter keeps `int()` of an integer size and `float()` of a size symbolic with
        # `Dim.DYNAMIC` (measured: int_size, float_size); only `Dim.AUTO` freezes them, which the code does
        # not show: `low`, hidden by default.
        Valid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, points):
                    b, c, h, w = x.shape
                    points = points.clamp(0.0, float(w - 1)) / float(h)
                    size = (int(x.size(2)) // 2, int(w // 2))
                    return F.interpolate(x, size=size), points
            """,
            settings={"exporter": "dynamo"},
        ),
        # `int()` of a float from a size as a `view` / `reshape` size stays symbolic with `Dim.DYNAMIC` (measured:
        # int_scaled_view): `low`.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, scale_factor: float = 0.5):
                    b, w, h, c = x.size()
                    return x.view(b, w, int(h * scale_factor), int(c / scale_factor))
            """,
            settings={"exporter": "dynamo"},
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
        # A factor a size picks only through a comparison with 1 (Cosmos's temporal upsampling): `low`, saying why.
        Invalid(
            """
            import torch
            class Upsample(torch.nn.Module):
                def forward(self, hidden_states):
                    num_frames = hidden_states.size(2)
                    time_factor = int(1.0 + 1.0 * (num_frames > 1))
                    hidden_states = hidden_states.repeat_interleave(time_factor, dim=2)
                    return hidden_states[:, :, time_factor - 1 :]
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="decides only through `num_frames > 1`",
        ),
        # Dim 0 of one-dimensional indices bound to names of extents, not a batch (Kandinsky-6's rotary table):
        # with `Dim.DYNAMIC` it stays symbolic, so `low`.
        Invalid(
            """
            import torch
            class Rope(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.table = torch.nn.Parameter(torch.randn(64, 8))
                def forward(self, pos: tuple[torch.Tensor, torch.Tensor, torch.Tensor]):
                    num_frames, height, width = (int(axis.shape[0]) for axis in pos)
                    angles = self.table[pos[0]]
                    return angles.view(num_frames, 1, -1).expand(num_frames, height * width, -1)
            """,
            line=7,
            settings={"confidence": "low"},
            message_contains="with `Dim.DYNAMIC`, what `dynamic_axes` and string dim names become, it stays symbolic",
        ),
        # The side of a square grid recovered from a token count: `low`, saying why.
        Invalid(
            """
            import torch
            class Connector(torch.nn.Module):
                def forward(self, x):
                    batch, seq, embed = x.shape
                    height = width = int(seq ** 0.5)
                    x = x.view(batch, height, width, embed)
                    return x[:, : height // 2]
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="low confidence: it is the side of a square grid recovered from a count",
        ),
        # numpy of sizes that only decides an input check that raises: `low`, saying why.
        Invalid(
            """
            import numpy as np
            import torch
            class Net(torch.nn.Module):
                def forward(self, x):
                    img_size = np.array(x.shape[2:])
                    remainder = (img_size % 32) > 0
                    if remainder.any():
                        raise ValueError(f"sizes {np.where(remainder)[0]} must be divisible by 32")
                    return x * 2
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="low confidence: the value only decides a check that raises",
        ),
        # The same side bound to one name and passed as two neighbouring sizes (Llama 4's pixel shuffle).
        Invalid(
            """
            import math
            import torch
            class Shuffle(torch.nn.Module):
                def forward(self, x):
                    batch, num_patches, channels = x.shape
                    side = int(math.sqrt(num_patches))
                    return x.view(batch, side, side, -1)
            """,
            line=6,
            settings={"confidence": "low"},
            message_contains="low confidence: it is the side of a square grid recovered from a count",
        ),
        # A root used once as a size is no grid side: reported at the level its values and reachability give.
        Invalid(
            """
            import math
            import torch
            class Pool(torch.nn.Module):
                def forward(self, x):
                    batch, num_patches, channels = x.shape
                    side = int(math.sqrt(num_patches))
                    return x[:, :side]
            """,
            line=6,
            message_contains="math.sqrt",
        ),
        # With `--confidence low`: the `view` sizes, and `int(side / 2)` of a size that an earlier, reported
        # `int()` froze (`int(seq**0.5)`, sliced, not a view size), which adds nothing to that finding.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, tokens, scale_factor: float = 0.5):
                    b, w, h, c = x.size()
                    x = x.view(b, w, int(h * scale_factor), int(c / scale_factor))
                    seq = tokens.shape[1]
                    side = int(seq**0.5)
                    return x, tokens[:, :side].reshape(b, -1, int(side / 2))
            """,
            count=3,
            settings={"exporter": "dynamo", "confidence": "low"},
            message_contains="already froze",
        ),
        # `int(math.sqrt(n))`: reported once, at `math.sqrt` (no ONNX translation), not again at `int()`.
        Invalid(
            """
            import math
            import torch
            class M(torch.nn.Module):
                def forward(self, tokens):
                    side = int(math.sqrt(tokens.shape[1]))
                    return tokens[:, :side]
            """,
            count=1,
            settings={"exporter": "dynamo"},
            message_contains="`math.sqrt()`",
        ),
        # The same with `--confidence low`: reported, saying which dim declaration freezes them.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, points):
                    b, c, h, w = x.shape
                    points = points.clamp(0.0, float(w - 1)) / float(h)
                    size = (int(x.size(2)) // 2, int(w // 2))
                    return F.interpolate(x, size=size), points
            """,
            count=4,
            settings={"exporter": "dynamo", "confidence": "low"},
            message_contains='with `Dim.AUTO` or `Dim("name")` objects',
        ),
        # `int()` of a float computed from a size is frozen with `Dim.DYNAMIC` too (measured: int_scaled_size,
        # int_scaled_slice, int_root_size): reported by default.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, scale: float = 0.5):
                    b, c, h, w = x.shape
                    side = int(h ** 0.5)
                    return F.interpolate(x, size=(int(h * scale), int(w / 2))), x[:, :, :side]
            """,
            count=3,
            settings={"exporter": "dynamo"},
            message_contains="`Dim.DYNAMIC` and `Dim.AUTO` alike",
        ),
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
        # `int(math.ceil(h / p) * p)` (transformers' MobileViT): `math.ceil` alone stays symbolic, the `int()`
        # around it freezes it (measured: int_ceil_size). Integer arithmetic, safe with a literal patch.
        Invalid(
            """
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    new_h = int(math.ceil(h / 4) * 4)
                    return F.interpolate(x, size=(new_h, w))
            """,
            message_contains="with `Dim.DYNAMIC` and `Dim.AUTO` alike",
            expected_fix="""
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    new_h = ((h + 4 - 1) // 4) * 4
                    return F.interpolate(x, size=(new_h, w))
            """,
        ),
        # The patch from the config: an attribute not proven a positive int (a float would differ): unsafe.
        Invalid(
            """
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.patch_w = config.patch_size
                    self.patch_h = config.patch_size
                def forward(self, x):
                    b, c, h, w = x.shape
                    patch_w, patch_h = self.patch_w, self.patch_h
                    new_h = int(math.ceil(h / patch_h) * patch_h)
                    return F.interpolate(x, size=(new_h, w))
            """,
            unsafe_fixes=True,
            expected_fix="""
            import math
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.patch_w = config.patch_size
                    self.patch_h = config.patch_size
                def forward(self, x):
                    b, c, h, w = x.shape
                    patch_w, patch_h = self.patch_w, self.patch_h
                    new_h = ((h + patch_h - 1) // patch_h) * patch_h
                    return F.interpolate(x, size=(new_h, w))
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


_FLOAT_FUNCTIONS = frozenset(
    {"builtins.float", "math.sqrt", "math.log", "math.log2", "math.log10", "math.exp", "math.pow"}
)


def _pure_leaf(expr: ast.AST) -> bool:
    """A name, or attributes and constant subscripts of one: read twice or not at all, the same."""
    return all(
        type(node) in (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Load) for node in ast.walk(expr)
    )


_ROUNDING = frozenset({"builtins.round", "math.ceil", "math.floor", "math.trunc"})


def _float_valued(context, expr: ast.AST, _depth: int = 0) -> bool:
    """Whether `expr` is computed through float math in eager mode: a true division, a float literal in the
    arithmetic, a power with a non-integer exponent, `float()`, a float-valued `math` function or a numpy one,
    `round()`, `math.ceil()`, `math.floor()` or `math.trunc()` of a float, or a local name bound only to such values (`scale = 0.5; int(h * scale)`, `side = n ** 0.5`)
    or a parameter annotated `float` or defaulting to a float."""
    if _depth > 6:
        return False
    if isinstance(expr, ast.Constant):
        return type(expr.value) is float
    if isinstance(expr, ast.BinOp):
        operator = type(expr.op)
        if operator is ast.Div:
            return True
        if operator is ast.Pow:
            return _float_valued(context, expr.right, _depth + 1)
        if operator in (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod):
            return _float_valued(context, expr.left, _depth + 1) or _float_valued(context, expr.right, _depth + 1)
        return False
    if isinstance(expr, ast.UnaryOp):
        return _float_valued(context, expr.operand, _depth + 1)
    if isinstance(expr, ast.Call):
        name = context.call_name(expr)
        if name in _ROUNDING and len(expr.args) == 1:
            # `round(h * 0.5)`, `math.ceil(h / p)`: a float made an int, which `int()` around it still freezes
            # (measured: int_ceil_size), though `math.ceil(h / p)` alone stays symbolic (math_ceil)
            return _float_valued(context, expr.args[0], _depth + 1)
        return name is not None and (name in _FLOAT_FUNCTIONS or name.startswith("numpy."))
    if isinstance(expr, ast.Name):
        values = local_values(context, expr.id)
        if values:
            return all(_float_valued(context, _element(value, position), _depth + 1) for value, position in values)
        return _float_default(context, expr.id)
    return False


def _element(value: ast.expr, position: int | None) -> ast.expr:
    """What a name unpacked at `position` from `value` gets: the element of a tuple or list display
    (`h_half, w_half = h / 2, w / 2`), else the value itself when not unpacked (an unpacked call: itself,
    which `_float_valued` does not take for a float)."""
    if position is None:
        return value
    if isinstance(value, (ast.Tuple, ast.List)) and position < len(value.elts):
        return value.elts[position]
    return ast.Constant(value=None)


def _float_default(context, name: str) -> bool:
    """A parameter of the function annotated `float` or whose default is a float literal (`scale_factor=0.5`)."""
    info = context.function
    if info is None:
        return False
    if any(
        a.arg == name and type(d) is ast.Constant and type(d.value) is float for a, d in parameter_defaults(info.node)
    ):
        return True
    arguments = info.node.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return any(a.arg == name and type(a.annotation) is ast.Name and a.annotation.id == "float" for a in every)


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


def _square_side(context: FileContext, node: ast.AST) -> bool:
    """Whether `node`, alone or inside the `int()`, `round()` or arithmetic around it, is the side of a square grid:
    the value of an assignment to several names at once (`height = width = int(seq ** 0.5)`), or a square root
    bound to one name that the function then passes as two neighbouring sizes of one call or tuple
    (`side = int(math.sqrt(n))` then `x.view(b, side, side, c)`, `ind.repeat(side, side)`, `size=(side, side)`)."""
    child: ast.AST = node
    parent = context.parent(node)
    while parent is not None and type(parent) in (ast.Call, ast.BinOp, ast.UnaryOp):
        child, parent = parent, context.parent(parent)
    if type(parent) is not ast.Assign or parent.value is not child:
        return False
    if len(parent.targets) >= 2:
        return True
    target = parent.targets[0]
    function = context.function
    if type(target) is not ast.Name or function is None or not _square_root(context, child):
        return False
    side = target.id
    for other in ast.walk(function.node):
        if type(other) is ast.Call:
            sizes: list[ast.expr] = other.args
        elif type(other) in (ast.Tuple, ast.List):
            sizes = other.elts  # type: ignore[attr-defined]
        else:
            continue
        if any(
            type(first) is ast.Name and first.id == side and type(second) is ast.Name and second.id == side
            for first, second in itertools.pairwise(sizes)
        ):
            return True
    return False


def _only_validates(context: FileContext, node: ast.AST, _depth: int = 0) -> bool:
    """Whether the value of `node` (alone or inside the call or arithmetic around it) is bound to a local that is
    read only in checks that raise (`if <test>: ... raise`, with no `else`), in the messages of those checks, or by
    locals that are themselves read only there (`img_size = np.array(shape)`, `remainder = img_size % 32 > 0`, `if
    remainder.any(): raise ValueError(...)`)."""
    function = context.function
    if function is None or _depth > 3:
        return False
    parent = context.parent(node)
    while parent is not None and type(parent) in (ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare):
        parent = context.parent(parent)
    if type(parent) is not ast.Assign or len(parent.targets) != 1 or type(parent.targets[0]) is not ast.Name:
        return False
    name = parent.targets[0].id
    if len(local_values(context, name)) != 1:
        return False
    checks = [
        statement
        for statement in ast.walk(function.node)
        if type(statement) is ast.If
        and not statement.orelse
        and statement.body
        and type(statement.body[-1]) is ast.Raise
    ]
    inside_checks = {id(inner) for check in checks for inner in ast.walk(check)}
    uses = [n for n in ast.walk(function.node) if type(n) is ast.Name and n.id == name and type(n.ctx) is ast.Load]
    if not uses:
        return False
    for use in uses:
        if id(use) in inside_checks:
            continue
        if not _only_validates(context, use, _depth + 1):
            return False
    return True


def _takes_other_sizes_by_default(context: FileContext, _key: None) -> bool:
    """Whether a function of the file has a flag that lets the model take other sizes and is on by default
    (CLIPSeg's `forward(self, pixel_values, interpolate_pos_encoding=True)`): then a square grid's side follows the
    input's size by default, not one size the tokens come from."""
    for node in ast.walk(context.tree):
        if type(node) in (ast.FunctionDef, ast.AsyncFunctionDef):
            for argument, default in parameter_defaults(node):
                if type(default) is ast.Constant and default.value is True and is_size_flag(argument.arg):
                    return True
    return False


def _square_root(context: FileContext, expr: ast.AST) -> bool:
    """Whether `expr` takes a square root: `n ** 0.5`, `math.sqrt(n)`, `math.isqrt(n)`, `np.sqrt(n)`."""
    for node in ast.walk(expr):
        if (
            type(node) is ast.BinOp
            and type(node.op) is ast.Pow
            and type(node.right) is ast.Constant
            and node.right.value == 0.5
        ):
            return True
        if type(node) is ast.Call and context.call_name(node) in ("math.sqrt", "math.isqrt", "numpy.sqrt"):
            return True
    return False


# The names of a spatial or temporal extent: a value bound to one is not a batch, whatever dim it reads.
_EXTENT_NAME = re.compile(
    r"^(?:num_|n_)?(?:frames?|height|width|depth|length|len|seq_len|time|duration|tokens?|patches?|h|w|t|d)$",
    re.IGNORECASE,
)


def _bound_to_extent_names(context: FileContext, node: ast.AST) -> bool:
    """Whether `node` (an `int()` call) is bound, directly or as the element of a comprehension unpacked into names,
    only to names of spatial or temporal extents (Kandinsky-6's `num_frames, height, width = (int(p.shape[0]) for p in
    pos)`: dim 0 of each one-dimensional index, not a batch)."""
    parent = context.parent(node)
    if isinstance(parent, (ast.GeneratorExp, ast.ListComp)) and parent.elt is node:
        node, parent = parent, context.parent(parent)
    if not isinstance(parent, ast.Assign) or parent.value is not node:
        return False
    names = [n for target in parent.targets for n in ast.walk(target) if type(n) is ast.Name]
    return bool(names) and all(_EXTENT_NAME.match(n.id) for n in names)


def _through_degenerate_comparisons(context: FileContext, value: ast.expr) -> ast.Compare | None:
    """The comparison of a size with 0 or 1 through which alone `value` depends on sizes (`1.0 + 1.0 * (num_frames >
    1)`), else None."""
    compares = [n for n in ast.walk(value) if type(n) is ast.Compare]
    if len(compares) != 1 or len(compares[0].ops) != 1:
        return None
    compare = compares[0]
    inside = {id(n) for n in ast.walk(compare)}
    if any(id(leaf) not in inside for leaf in size_leaves(context, value)):
        return None  # a size read outside the comparison too
    bound = compare.comparators[0] if is_dynamic_size(context, compare.left) else compare.left
    if type(bound) is not ast.Constant or bound.value not in (0, 1) or type(bound.value) is bool:
        return None
    return compare
