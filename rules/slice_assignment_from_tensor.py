from __future__ import annotations

import ast
from dataclasses import dataclass

from onnxlint.rules.api import (
    Applicability,
    Edit,
    Invalid,
    Kind,
    Rule,
    Severity,
    Valid,
    ensure_torch,
    module_insertions,
    replace_node,
    requirement,
)

from ._operators import exports

_FRESH_LIKE = frozenset({"torch.zeros_like", "torch.ones_like", "torch.empty_like", "torch.full_like"})


@dataclass(frozen=True)
class _Index:
    """A subscript made of full slices (`:`), at most one `...`, and one slice of constant extent."""

    elements: tuple[str, ...]  # ":" / "..." / "slice" per position
    position: int  # of the constant-extent slice
    lower: int | None
    upper: int | None

    @property
    def extent(self) -> int:
        lower = self.lower if self.lower is not None else 0
        upper = self.upper if self.upper is not None else 0
        return upper - lower

    @property
    def dim(self) -> int:
        """The tensor dim the slice cuts (negative when an ellipsis comes before it)."""
        if "..." in self.elements[: self.position]:
            return self.position - len(self.elements)
        return self.position


def _int(node: ast.expr | None) -> int | bool | None:
    """The int a slice bound spells (None: absent; False: not a literal int)."""
    if node is None:
        return None
    if type(node) is ast.Constant and type(node.value) is int:
        return node.value
    if (
        type(node) is ast.UnaryOp
        and type(node.op) is ast.USub
        and type(node.operand) is ast.Constant
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return False


def _constant_extent(item: ast.Slice) -> tuple[int | None, int | None] | None:
    """(lower, upper) when the slice has a size that does not depend on the dim's size."""
    if item.step is not None:
        return None
    lower, upper = _int(item.lower), _int(item.upper)
    if lower is False or upper is False:
        return None
    if lower is None and upper is None:
        return None
    if lower is None:
        return (None, upper) if upper >= 0 else None  # type: ignore[operator]
    if upper is None:
        return (lower, None) if lower < 0 else None
    if (lower >= 0) == (upper >= 0) and upper > lower:
        return (lower, upper)
    return None


def parse_index(index: ast.expr) -> _Index | None:
    items = index.elts if type(index) is ast.Tuple else [index]
    elements: list[str] = []
    found: tuple[int, int | None, int | None] | None = None
    for position, item in enumerate(items):
        if type(item) is ast.Constant and item.value is Ellipsis:
            if "..." in elements:
                return None
            elements.append("...")
        elif type(item) is ast.Slice and item.lower is None and item.upper is None and item.step is None:
            elements.append(":")
        elif type(item) is ast.Slice:
            bounds = _constant_extent(item)
            if bounds is None or found is not None:
                return None
            found = (position, bounds[0], bounds[1])
            elements.append("slice")
        else:
            return None
    if found is None:
        return None
    return _Index(tuple(elements), found[0], found[1], found[2])


def _bound_text(value: int | None) -> str:
    return "" if value is None else str(value)


class SliceAssignmentFromTensor(Rule):
    """A fixed-size slice of a tensor assigned from another region of a tensor, under dynamo.

    ## What it does
    Flags `y[:, :, :2] = x[:, :, -2:]`-style assignments in model code: the target is a slice of
    constant size (`:2`, `-2:`, `2:4`) along one dim (other dims `:` or `...`), and the value is a
    tensor computed from a slice of the same size at another position. Only for the dynamo
    exporter.

    ## Why is this bad for ONNX
    Measured on torch 2.13 with the dynamo exporter, dynamic batch, height and width, and a
    batch-1 example input (`torch.randn(1, ...)`, as most export scripts use): the export
    succeeds, the ONNX input keeps a symbolic batch, but the graph reshapes the copied slice to
    batch 1, and onnxruntime fails on any other batch ("The input tensor cannot be reshaped to
    the requested shape"). `torch.export` itself reports that the batch was specialised to 1;
    `torch.onnx.export` goes on. Nine forms measured BAKED (`:2 <- -2:`, `:2 <- 2:4 * 2`,
    `2:4 <- :2`, `:4 <- 4:8`, on dim 1 of a 3-D tensor, on the last dim, with `...`, into a
    `forward` input).

    What did **not** break (not flagged): a batch-2 example input, a static batch, copying the
    same region (`y[:, :, :4] = relu(x[:, :, :4])`), a size that depends on the dim
    (`y[:, :, 1:] = x[:, :, :-1]`), integer indices (`y[:, 0] = x[:, 1]`), constants and 0-d
    values. A slice along a static dim (channels of an NCHW tensor) also exported correctly, but
    which dims are dynamic is not visible in the source, so it is flagged too (a warning). The
    TorchScript exporter at opset 11 and later exported every form correctly (below 11 every
    index assignment fails: ONX403). Pass a batch size above 1 in the example input (ONX506) or
    build the result with `torch.cat`, which matched everywhere.

    ## Example
    ```python
    def forward(self, x):
        y = x.clone()
        y[:, :, :2] = x[:, :, -2:]
        return y
    ```

    ## Use instead
    ```python
    def forward(self, x):
        y = x.clone()
        y = torch.cat([x[:, :, -2:], y[:, :, 2:]], dim=2)
        return y
    ```

    ## Fix safety
    The `torch.cat` rewrite is safe (same values, dtype and shapes, proven by export parity
    tests) and offered when it provably is: `y` was made in the same block by `S.clone()` or
    `torch.zeros_like(S)` / `ones_like` / `empty_like` / `full_like(S, value)` (a fresh tensor, so
    rebinding `y` instead of writing into it changes no other tensor), nothing between that
    statement and the assignment touches `y` except other slice assignments, and the value is a
    slice of `S` or `y` with the same layout and size (so the concatenated pieces have matching
    shapes and dtype). Otherwise the rewrite is shown as a suggestion.

    ## References
    - torch.export, 0/1 specialization: https://pytorch.org/docs/stable/export.html
    - docs/measurements.md (ONX404 rows); docs/ground-truth.md, harness row inplace_slice_assign_from_tensor
    """

    code = "ONX404"
    name = "slice_assignment_from_tensor"
    message = "Slice assignment from another region can bake a batch-1 example into the dynamo export"
    fix_title = "Build the tensor with `torch.cat` instead of writing into a slice"
    fix_applicability = Applicability.SAFE
    severity = Severity.WARNING
    trigger_names = (":",)
    applies_to = "dynamo exporter, dynamic batch with a batch-1 example (BAKED); silent for the TorchScript exporter"

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or type(node.targets[0]) is not ast.Subscript:
            return
        context = self.context
        if not context.in_model_code:
            return
        target: ast.Subscript = node.targets[0]
        index = parse_index(target.slice)
        if index is None or context.kind(target.value) is not Kind.TENSOR:
            return
        if context.kind(node.value) is not Kind.TENSOR:
            return
        source = self._other_region(node.value, index)
        if source is None:
            return
        config = context.export_config_for(node)
        if exports(requirement("slice_assign.other_region"), config) or not config.is_dynamo:
            return
        if context.skipped_during_export(node):
            return
        edits = self._cat_rewrite(node, target, index, source)
        message = (
            f"`{context.source.segment(target)} = ...` copies a fixed-size slice from another region: "
            f"{config.exporter_label} with a batch-1 example input bakes batch 1 into the graph "
            "(measured: the ONNX model fails on other batch sizes)"
        )
        if edits:
            fix = self.make_fix(edits, Applicability.SAFE)
        else:
            fix = self.make_fix([], Applicability.DISPLAY_ONLY, title="Build the tensor with `torch.cat` (see docs)")
        self.report(node, message, fix=fix)

    def _other_region(self, value: ast.expr, index: _Index) -> ast.Subscript | None:
        """A slice in `value` with the target's layout, cutting the same dim at another place."""
        for node in ast.walk(value):
            if type(node) is not ast.Subscript:
                continue
            other = parse_index(node.slice)
            if (
                other is not None
                and other.elements == index.elements
                and other.position == index.position
                and (other.lower, other.upper) != (index.lower, index.upper)
                and self.context.kind(node.value) is Kind.TENSOR
            ):
                return node
        return None

    # -- the torch.cat rewrite ----------------------------------------------------------------------

    def _cat_rewrite(self, node: ast.Assign, target: ast.Subscript, index: _Index, source: ast.Subscript) -> list[Edit]:
        context = self.context
        if type(target.value) is not ast.Name or source is not node.value:
            return []
        name = target.value.id
        block = self._block_of(node)
        if block is None:
            return []
        origin = self._fresh_origin(block, block.index(node), name)
        if origin is None:
            return []
        other = parse_index(source.slice)
        if (
            other is None
            or other.extent != index.extent
            or type(source.value) is not ast.Name
            or source.value.id not in (name, origin)
        ):
            return []
        torch_name, imports = ensure_torch(context)
        pieces = []

        def piece(bounds: str) -> str:
            elements = [bounds if i == index.position else e for i, e in enumerate(index.elements)]
            return f"{name}[{', '.join(elements)}]"

        lower, upper = index.lower, index.upper
        if lower is not None and lower != 0:
            pieces.append(piece(f":{lower}"))
        pieces.append(context.source.segment(source))
        if upper is not None:
            pieces.append(piece(f"{upper}:"))
        text = f"{name} = {torch_name}.cat([{', '.join(pieces)}], dim={index.dim})"
        return [replace_node(context, node, text), *module_insertions(context, imports)]

    def _block_of(self, node: ast.stmt) -> list[ast.stmt] | None:
        parent = self.context.parent(node)
        for block in ("body", "orelse", "finalbody"):
            statements = getattr(parent, block, None)
            if isinstance(statements, list) and node in statements:
                return statements
        return None

    def _fresh_origin(self, block: list[ast.stmt], position: int, name: str) -> str | None:
        """The name S when `name = S.clone()` / `torch.*_like(S)` comes earlier in the block and
        nothing in between touches `name` (or rebinds S) except slice assignments and `torch.cat`
        rebindings. None otherwise."""
        context = self.context
        for back in range(position - 1, -1, -1):
            statement = block[back]
            if type(statement) is ast.Assign and len(statement.targets) == 1:
                bound = statement.targets[0]
                if type(bound) is ast.Name and bound.id == name:
                    value = statement.value
                    origin = self._origin_of(value)
                    if origin is not None:
                        between = block[back + 1 : position]
                        if any(self._binds(s, origin) for s in between):
                            return None
                        return origin
                    if type(value) is ast.Call and context.call_name(value) == "torch.cat":
                        continue  # an earlier rewrite: a fresh tensor as well
                    return None
                if type(bound) is ast.Subscript and type(bound.value) is ast.Name and bound.value.id == name:
                    continue  # another slice assignment into the same fresh tensor
            if any(type(n) is ast.Name and n.id == name for n in ast.walk(statement)):
                return None  # read or aliased in between: rebinding could change what others see
        return None

    def _origin_of(self, value: ast.expr) -> str | None:
        if type(value) is not ast.Call:
            return None
        func = value.func
        if (
            type(func) is ast.Attribute
            and func.attr == "clone"
            and not value.args
            and not value.keywords
            and type(func.value) is ast.Name
        ):
            return func.value.id
        qualified = self.context.call_name(value)
        if qualified in _FRESH_LIKE and value.args and type(value.args[0]) is ast.Name and not value.keywords:
            expected_arguments = 2 if qualified == "torch.full_like" else 1
            if len(value.args) == expected_arguments:
                return value.args[0].id
        return None

    @staticmethod
    def _binds(statement: ast.stmt, name: str) -> bool:
        for node in ast.walk(statement):
            if type(node) is ast.Name and node.id == name and type(node.ctx) is ast.Store:
                return True
        return False

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[:, 0] = x[:, 1]
                y[:, :, 1:] = x[:, :, :-1]
                y[:, :, :4] = torch.relu(y[:, :, :4])
                y[:, :, :2] = 0.0
                return y
        """,
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y[:, :, :2] = x[:, :, -2:]
                    return y
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # Not model code; Python lists.
        """
        import torch
        def shift(x):
            y = x.clone()
            y[:, :2] = x[:, -2:]
            return y
        class M(torch.nn.Module):
            def forward(self, x):
                items = [1, 2, 3, 4]
                items[:2] = items[-2:]
                return x
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y[:, :, :2] = x[:, :, -2:]  # wrap the last rows around
                    return y
            """,
            line=5,
            message_contains="dynamo",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y = torch.cat([x[:, :, -2:], y[:, :, 2:]], dim=2)  # wrap the last rows around
                    return y
            """,
        ),
        Invalid(
            """
            import torch as th
            class M(th.nn.Module):
                def forward(self, x):
                    out = th.zeros_like(x)
                    out[..., 2:4] = x[..., :2]
                    out[..., -3:-1] = out[..., :2]
                    return out
            """,
            count=2,
            expected_fix="""
            import torch as th
            class M(th.nn.Module):
                def forward(self, x):
                    out = th.zeros_like(x)
                    out = th.cat([out[..., :2], x[..., :2], out[..., 4:]], dim=-1)
                    out = th.cat([out[..., :-3], out[..., :2], out[..., -1:]], dim=-1)
                    return out
            """,
        ),
        # Writing into an input (not a fresh tensor): flagged, rewrite only suggested.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    x[:, :, :2] = x[:, :, 2:4] * 2
                    return x
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    x[:, :, :2] = x[:, :, 2:4] * 2
                    return x
            """,
        ),
    ]
