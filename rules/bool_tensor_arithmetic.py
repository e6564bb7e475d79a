from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Edit,
    ExportConfig,
    Invalid,
    Kind,
    Rule,
    Valid,
    ensure_torch,
    module_insertions,
    replace_node,
    requirement,
)

from ._dtypes import bindings, is_bool_tensor
from ._numerics import needs_parentheses_in, operand_text
from ._operators import exports, literal
from ._sizes import is_proven_tensor

_REDUCTIONS = {"max": "any", "min": "all", "amax": "any", "amin": "all"}
_ELEMENTWISE = {"maximum": "|", "minimum": "&", "max": "|", "min": "&"}
_SORTS = frozenset({"sort", "argsort", "msort"})
_NAMES = frozenset({"cumsum", *_REDUCTIONS, *_ELEMENTWISE, *_SORTS})
_ONNX_REDUCE = {"max": "ReduceMax", "amax": "ReduceMax", "min": "ReduceMin", "amin": "ReduceMin"}


class BoolTensorArithmetic(Rule):
    """Arithmetic, `cumsum`, `max`/`min` or sorting on bool tensors in model code.

    ## What it does
    Flags, on tensors known to be `torch.bool` (comparisons, `~` / `&` / `|` of those,
    `.bool()`, `dtype=torch.bool` factories, local names bound only to such values; see
    `rules/_dtypes.py`):
    - `a + b` and `a += b` with two bool tensors (both exporters);
    - `m.cumsum(dim)` / `torch.cumsum(m, dim)` without `dtype=` (TorchScript exporter);
    - `m.max()`, `m.min()`, `m.amax(dim)`, `m.amin(dim)`, `torch.maximum(a, b)`,
      `torch.minimum(a, b)`, `torch.max(a, b)` and the values of `m.max(dim)` (TorchScript
      exporter), and the indices of `m.max(dim)` / `m.min(dim)` (both exporters);
    - `sort`, `argsort`, `msort` (both exporters).

    ## Why is this bad for ONNX
    ONNX's arithmetic, reduction and sorting operators do not accept `tensor(bool)`; PyTorch
    does, so the exporters write operators that `onnx.checker` (and onnxruntime) reject.
    Measured on torch 2.13:
    - `bool + bool`: `Add` on bool, rejected with both exporters at every opset;
    - `cumsum` on bool: the TorchScript exporter writes `CumSum` on bool (rejected at 11, 13,
      17; below 11 cumsum does not export at all); dynamo casts first and matches;
    - `max`/`min`/`amax`/`amin`/`maximum`/`minimum` on bool: the TorchScript exporter writes
      `ReduceMax`/`ReduceMin`/`Max`/`Min` on bool (rejected); dynamo matches; the indices of
      `max(dim)` become an `ArgMax` on bool, rejected with both exporters;
    - `sort`/`argsort` on bool: `TopK` on bool, rejected with both exporters.
    Not flagged, because they exported and matched everywhere: `sum`, `prod`, `any`, `all`,
    `bool * bool`, `bool * int`, `bool + int`, `bool * float tensor`, `&`, `|`, `^`, `~`.
    The common advice to cast with `.to(torch.int32)` before a bool reduction is only half
    right for `cumsum`: PyTorch returns int64 from an int32 cumsum while the TorchScript
    exporter's model returns int32 (measured), so the fix casts to int64.

    ## Example
    ```python
    def forward(self, x):
        mask = (x > 0) + (x < -1)
        count = mask.cumsum(-1)
        return count, mask.max()
    ```

    ## Use instead
    ```python
    def forward(self, x):
        mask = (x > 0) | (x < -1)
        count = mask.to(torch.int64).cumsum(-1)
        return count, mask.any()
    ```

    ## Fix safety
    Fixes proven to keep values, dtype and shapes (export parity tests): `a + b` ->
    `a | b` and `a += b` -> `a = a | b` (bool addition is a logical or; `|=` itself does not
    export with the TorchScript exporter, measured; offered when `a` is a fresh local tensor no
    other name or container holds): safe when the value model proves an operand a tensor (a
    comparison of a `torch.*` result, of a layer's output, of a parameter annotated
    `torch.Tensor`), unsafe when the operands are only taken for tensors (`(a > 0) + (b > 0)`
    of unannotated `forward` parameters is `2`, not `True`, on Python numbers); `cumsum` -> cast to int64
    first (PyTorch's own result type); `max()` / `amax(dim)` -> `any(...)`, `min()` / `amin(dim)`
    -> `all(...)`; `maximum(a, b)` -> `a | b`, `minimum(a, b)` -> `a & b` (safe: these are
    `torch.*` functions or tensor methods, which fail on anything but a tensor). `max(dim)` (values and
    indices) and sorting get a display-only suggestion: cast to an integer type first.

    ## References
    - ONNX operators and their type constraints: https://onnx.ai/onnx/operators/
    - docs/measurements.md (ONX407 rows); docs/ground-truth.md, harness rows bool_add_bool, cumsum_bool
    """

    code = "ONX407"
    name = "bool_tensor_arithmetic"
    message = "Arithmetic, cumsum, max/min or sort on a bool tensor exports an ONNX op that rejects bool"
    fix_title = "Use the bool form (`|`, `&`, `any`, `all`) or cast to int64 first"
    fix_applicability = Applicability.SAFE
    trigger_names = ("+", "cumsum", "max", "min", "sort")
    applies_to = "both exporters (+, max(dim) indices, sort); TorchScript exporter (cumsum, max/min values)"

    # -- helpers ----------------------------------------------------------------------------------

    def _active(self, node: ast.AST) -> bool:
        context = self.context
        return context.in_model_code and not context.skipped_during_export(node)

    def _bool(self, node: ast.AST) -> bool:
        return is_bool_tensor(self.context, node)

    def _fails(self, key: str, node: ast.AST) -> ExportConfig | None:
        config = self.context.export_config_for(node)
        return None if exports(requirement(key), config) else config

    def _bool_expression(self, node: ast.AST, text: str) -> Edit:
        if needs_parentheses_in(self.context, node):
            text = f"({text})"
        return replace_node(self.context, node, text)

    # -- a + b, a += b ------------------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) is not ast.Add or not self.context.in_model_code:
            return
        if not (self._bool(node.left) and self._bool(node.right)) or not self._active(node):
            return
        config = self._fails("add.bool", node)
        if config is None:
            return
        context = self.context
        text = f"{operand_text(context, node.left)} | {operand_text(context, node.right)}"
        self.report(
            node,
            f"`+` on two bool tensors exports as an ONNX Add on bool, which onnx.checker rejects "
            f"({config.exporter_label}); bool addition is a logical or: use `|`",
            fix=self.make_fix(
                [self._bool_expression(node, text)], self._proven(node.left, node.right), title="Use `|`"
            ),
        )

    def _proven(self, *operands: ast.expr) -> Applicability:
        """`+` and `|` agree on bool tensors, not on Python bools (`True + True == 2`): safe when the value
        model proves an operand a tensor (the result is then a bool tensor both ways), else unsafe."""
        context = self.context
        return Applicability.SAFE if any(is_proven_tensor(context, o) for o in operands) else Applicability.UNSAFE

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) is not ast.Add or not self.context.in_model_code:
            return
        if not (self._bool(node.target) and self._bool(node.value)) or not self._active(node):
            return
        config = self._fails("add.bool", node)
        if config is None:
            return
        fix = None
        target = node.target
        if type(target) is ast.Name and self._fresh_and_unaliased(target.id):
            # `|=` itself does not export (the TorchScript exporter has no aten::__ior_, measured):
            # rebind instead, which is the same when no other name sees the old tensor.
            context = self.context
            text = f"{target.id} = {target.id} | {operand_text(context, node.value)}"
            fix = self.make_fix(
                [replace_node(context, node, text)], self._proven(node.target, node.value), title="Use `|`"
            )
        self.report(
            node,
            f"`+=` on bool tensors exports as an ONNX Add on bool, which onnx.checker rejects "
            f"({config.exporter_label}); bool addition is a logical or: use `|`",
            fix=fix,
        )

    def _fresh_and_unaliased(self, name: str) -> bool:
        """Every value bound to `name` is a new tensor (an operator result), and no other name or
        container is bound to it: rebinding it is then the same as updating it in place."""
        info = self.context.function
        if info is None:
            return False
        values = bindings(self.context).get(name) or []
        if not values or not all(type(v) in (ast.Compare, ast.BinOp, ast.UnaryOp) for v in values):
            return False
        for node in ast.walk(info.node):
            if type(node) in (ast.Assign, ast.AnnAssign, ast.NamedExpr) and node.value is not None:  # type: ignore[attr-defined]
                value = node.value  # type: ignore[attr-defined]
                while type(value) is ast.Subscript:
                    value = value.value
                if type(value) is ast.Name and value.id == name:
                    return False
            elif (
                type(node) in (ast.List, ast.Tuple, ast.Set, ast.Dict)
                and type(self.context.parent(node)) is not ast.Subscript
            ):
                if any(type(e) is ast.Name and e.id == name for e in ast.iter_child_nodes(node)):
                    return False
        return True

    # -- calls ------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        func = node.func
        if type(func) is not ast.Attribute or func.attr not in _NAMES or not context.in_model_code:
            return
        qualified = context.call_name(node)
        if qualified is not None:
            if qualified != f"torch.{func.attr}" or not node.args:
                return
            name = func.attr
            subject: ast.expr = node.args[0]
            rest = node.args[1:]
        elif context.kind(func.value) is Kind.TENSOR:
            name = func.attr
            subject = func.value
            rest = node.args
        else:
            return
        if not self._bool(subject) or not self._active(node):
            return
        if name == "cumsum":
            self._cumsum(node, subject, rest, method=qualified is None)
        elif name in _SORTS:
            self._sort(node, name)
        elif name in ("maximum", "minimum") or (
            name in ("max", "min") and len(rest) == 1 and not node.keywords and self._bool(rest[0])
        ):
            if rest and self._bool(rest[0]):
                self._elementwise(node, name, subject, rest[0])
        elif name in ("amax", "amin") or (not rest and not node.keywords):
            self._reduction(node, name, qualified is None)
        elif name in ("max", "min") and self._is_dim_form(rest, node.keywords):
            self._with_dim(node, name)

    def _is_dim_form(self, rest: list[ast.expr], keywords: list[ast.keyword]) -> bool:
        if any(k.arg == "dim" for k in keywords):
            return True
        return bool(rest) and self.context.kind(rest[0]) in (Kind.PYTHON, Kind.DIM)

    def _cumsum(self, node: ast.Call, subject: ast.expr, rest: list[ast.expr], method: bool) -> None:
        # cumsum(dim, dtype) / torch.cumsum(input, dim, dtype): a dtype after the dim
        if any(k.arg == "dtype" for k in node.keywords) or len(rest) > 1:
            return
        config = self._fails("cumsum.bool", node)
        if config is None:
            return
        context = self.context
        torch_name, imports = ensure_torch(context)
        cast = f".to({torch_name}.int64)"
        if method:
            func = node.func
            start = context.source.offset(context.source.start_of(func))
            end = context.source.offset(context.source.end_of(func))
            dot = context.source.text.rfind(".", start, end)
            edit = Edit.insertion(context.source.location(dot), cast)
        else:
            edit = replace_node(context, subject, operand_text(context, subject) + cast)
        below = ""
        minimum = requirement("cumsum").legacy_min_opset or 0
        if config.is_legacy and config.opset < minimum:
            below = f" (and below opset {minimum} it cannot export cumsum at all)"
        self.report(
            node,
            f"`cumsum` of a bool tensor: {config.exporter_label} writes a CumSum on bool, which onnx.checker "
            f"rejects{below}; cast to int64 first",
            fix=self.make_fix(
                [edit, *module_insertions(context, imports)], Applicability.SAFE, title="Cast to int64 first"
            ),
        )

    def _reduction(self, node: ast.Call, name: str, method: bool) -> None:
        config = self._fails("reduce_max.bool", node)
        if config is None:
            return
        replacement = _REDUCTIONS[name]
        fix = None
        func = node.func
        if type(func) is ast.Attribute:
            source = self.context.source
            end = source.offset(source.end_of(func))
            edit = Edit(source.location(end - len(func.attr)), source.location(end), replacement)
            fix = self.make_fix([edit], Applicability.SAFE, title=f"Use `{replacement}`")
        self.report(
            node,
            f"`{name}` of a bool tensor: {config.exporter_label} writes a {_ONNX_REDUCE[name]} on bool, which "
            f"onnx.checker rejects; `{replacement}` gives the same result",
            fix=fix,
        )

    def _elementwise(self, node: ast.Call, name: str, first: ast.expr, second: ast.expr) -> None:
        config = self._fails("reduce_max.bool", node)
        if config is None:
            return
        context = self.context
        operator = _ELEMENTWISE[name]
        text = f"{operand_text(context, first)} {operator} {operand_text(context, second)}"
        onnx_op = "Max" if operator == "|" else "Min"
        self.report(
            node,
            f"`{name}` of bool tensors: {config.exporter_label} writes a {onnx_op} on bool, which onnx.checker "
            f"rejects; `{operator}` gives the same result",
            fix=self.make_fix([self._bool_expression(node, text)], Applicability.SAFE, title=f"Use `{operator}`"),
        )

    def _with_dim(self, node: ast.Call, name: str) -> None:
        config = self.context.export_config_for(node)
        values_fail = not exports(requirement("reduce_max.bool"), config)
        indices_fail = not exports(requirement("argmax.bool"), config) and self._indices_used(node)
        if not (values_fail or indices_fail):
            return
        what = "ArgMax" if indices_fail else _ONNX_REDUCE[name]
        if indices_fail and values_fail:
            what = f"{_ONNX_REDUCE[name]} and ArgMax"
        reduction = _REDUCTIONS[name]
        self.report(
            node,
            f"`{name}(dim)` of a bool tensor: {config.exporter_label} writes {what} on bool, which onnx.checker "
            f"rejects; use `.{reduction}(dim)` for the values and cast to an integer type before taking indices",
            fix=self.make_fix(
                [], Applicability.DISPLAY_ONLY, title="Use `any`/`all`, or cast to an integer type first"
            ),
        )

    def _indices_used(self, node: ast.Call) -> bool:
        parent = self.context.parent(node)
        if type(parent) is ast.Subscript and parent.value is node:
            index = literal(parent.slice)
            return index == 1 or index == -1
        if type(parent) is ast.Attribute:
            return parent.attr == "indices"
        if type(parent) is ast.Assign and type(parent.targets[0]) in (ast.Tuple, ast.List):
            elements = parent.targets[0].elts  # type: ignore[attr-defined]
            return len(elements) == 2 and not (type(elements[1]) is ast.Name and elements[1].id == "_")
        return type(parent) in (ast.Return, ast.Tuple, ast.List, ast.Call, ast.keyword)

    def _sort(self, node: ast.Call, name: str) -> None:
        config = self._fails("sort.bool", node)
        if config is None:
            return
        self.report(
            node,
            f"`{name}` of a bool tensor: {config.exporter_label} writes a TopK on bool, which onnx.checker "
            "rejects; cast to an integer type first (e.g. `.to(torch.uint8)`)",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY, title="Cast to an integer type first"),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, y):
                mask = (x > 0) & (y > 0)
                count = mask.sum(dim=1) + mask.long().cumsum(-1)[..., -1]
                weights = mask * 2 + (x > 1) * x
                total = x + y
                flag = (x > 0).cumsum(-1, dtype=torch.int64)
                return total.max(), count, weights, mask.any(), flag, x.max(dim=1).values
        """,
        # Python bools and values of unknown dtype stay silent.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, flags: bool = False):
                a = (1 > 0) + (2 > 1)
                m = x.to(x.dtype)
                return m.cumsum(-1), a
        """,
        # The dynamo exporter exports cumsum and max of bool tensors correctly.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    m = x > 0
                    return m.cumsum(-1), m.max(), m.max(dim=1).values
            """,
            settings={"exporter": "dynamo"},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    mask = (x > 0) + (x < -1)
                    mask += x > 2
                    return mask
            """,
            count=2,
            message_contains="Add",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    mask = (x > 0) | (x < -1)
                    mask = mask | (x > 2)
                    return mask
            """,
        ),
        # `x` only taken for a tensor: on Python numbers `(x > 0) + (x < -1)` is an int, so `|` is unsafe.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    mask = (x > 0) + (x < -1)
                    return mask
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    mask = (x > 0) + (x < -1)
                    return mask
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    mask = (x > 0) + (x < -1)
                    return mask
            """,
            line=4,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    mask = (x > 0) | (x < -1)
                    return mask
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    valid = ~torch.isnan(x)
                    first = valid.cumsum(-1) == 1
                    positions = torch.cumsum(x > 0, dim=1)
                    return first, positions, valid.amax(dim=(2, 3), keepdim=True), torch.min(valid)
            """,
            count=4,
            settings={"exporter": "legacy", "opset": 17},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    valid = ~torch.isnan(x)
                    first = valid.to(torch.int64).cumsum(-1) == 1
                    positions = torch.cumsum((x > 0).to(torch.int64), dim=1)
                    return first, positions, valid.any(dim=(2, 3), keepdim=True), torch.all(valid)
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    a = x > 0
                    b = torch.zeros_like(x, dtype=torch.bool)
                    return torch.maximum(a, b).float() * torch.minimum(a, b)
            """,
            count=2,
            settings={"exporter": "legacy", "opset": 13},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    a = x > 0
                    b = torch.zeros_like(x, dtype=torch.bool)
                    return (a | b).float() * (a & b)
            """,
        ),
        # The indices of max(dim) fail with both exporters; sorting too. Display-only.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    m = x > 0
                    values, first = m.max(dim=1)
                    return first, m.argsort(dim=1)
            """,
            count=2,
            message_contains="ArgMax",
        ),
    ]
