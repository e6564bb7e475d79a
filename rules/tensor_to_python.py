from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, FileContext, Fix, Invalid, Kind, Rule, Valid, replace_node, scope_nodes

from ._sizes import with_tensor_origin

METHODS = ("item", "tolist", "numpy")
BUILTINS = ("int", "float", "bool")
# What the dynamo exporter keeps dynamic (measured on torch 2.13): `.item()`, int(), float(),
# bool() and `.numpy()` become symbolic values; `.tolist()` does not. (Branching on any of them
# is ONX201's business: that is where dynamo fails.)
DYNAMO_SAFE = frozenset({"item", "int", "float", "numpy", "bool"})
_TENSORISH = (Kind.TENSOR,)


def _counts_a_loop(context: FileContext, converted: ast.AST) -> bool:
    """Whether a converted value (or the local name it is assigned to) is the count of a `range()` loop,
    through arithmetic (`range(n)`, `range(0, n - 1)`)."""
    for use in _local_uses(context, converted):
        child: ast.AST | None = use
        parent: ast.AST | None = context.parent(use)
        while parent is not None and type(parent) in (ast.BinOp, ast.UnaryOp):
            child, parent = parent, context.parent(parent)
        if type(parent) is ast.Call and child in parent.args and context.call_name(parent) == "builtins.range":
            return True
    return False


def _local_uses(context: FileContext, converted: ast.AST) -> list[ast.AST]:
    """The converted value itself, or every load of the local name it is assigned to (`sizes = t.tolist()`)."""
    statement = context.parent(converted)
    if (
        type(statement) is ast.Assign
        and len(statement.targets) == 1
        and type(statement.targets[0]) is ast.Name
        and context.function is not None
    ):
        name = statement.targets[0].id
        return [
            n
            for n in scope_nodes(context.function.node, signature=False)
            if type(n) is ast.Name and n.id == name and type(n.ctx) is ast.Load
        ]
    return [converted]


def _sizes_a_split(context: FileContext, converted: ast.AST) -> bool:
    """Whether every use of a `.tolist()` is the sizes of a split: `x.split(t.tolist())`, `torch.split(x,
    sizes, dim=2)` after `sizes = t.tolist()`."""
    uses = _local_uses(context, converted)
    for use in uses:
        call = context.parent(use)
        if type(call) is ast.keyword and call.arg == "split_size_or_sections":
            call = context.parent(call)
        if type(call) is not ast.Call or type(call.func) is not ast.Attribute or call.func.attr != "split":
            return False
        if context.call_name(call) == "torch.split":
            if not (len(call.args) > 1 and call.args[1] is use) and not any(k.value is use for k in call.keywords):
                return False
        elif not (call.args and call.args[0] is use) and not any(k.value is use for k in call.keywords):
            return False
    return bool(uses)


class TensorToPython(Rule):
    """A tensor value converted to a Python number or list in model code.

    ## What it does
    Flags `t.item()`, `t.tolist()`, `t.numpy()`, `int(t)`, `float(t)` and `bool(t)` on tensors
    inside `forward` and the functions it calls (sizes such as `int(x.shape[2])` are a shape
    rule's business, not this one's).

    ## Why is this bad for ONNX
    A Python number is not a graph value. Measured on torch 2.13, on the export input and on a
    second input of another batch size and height/width:
    - the TorchScript exporter (`dynamo=False`) records `.item()`, `.tolist()`, `.numpy()`,
      `int(t)` and `float(t)` as constants taken from the example input: the model is right for
      that input and silently wrong for others; multiplying by `bool(t)` made the export fail
      with an internal assertion;
    - the dynamo exporter keeps `.item()`, `int(t)`, `float(t)`, `bool(t)` and `.numpy()`
      symbolic (the cases measured exported and matched on a second input), but `.tolist()` is
      still baked: a Python list's length is a constant, so the tensor's first dim is fixed at the
      example's (the number of images of `image_grid_thw.prod(-1).tolist()`). Its entries are
      data-dependent values: used as plain numbers (arithmetic, a `view` size, a slice bound, split
      sizes) they stay symbolic (`tolist_values`; scripts/tolist_sizes_probe.py, torch 2.13 and
      2.14.1), while a Python decision on one (`if`, a comparison, `itertools.groupby`, `range()`)
      fails the export (`tolist_branch`). The static layer cannot tell whether the list's length is
      static, so under dynamo `.tolist()` is reported, the message saying what the list's entries are
      used for (only split sizes: only the length is fixed), and `.item()` / `int(t)` only where
      the value counts a `range()` loop: that export fails (`GuardOnDataDependentSymNode`,
      measured, whatever the dtype). Branching on such a value is a different matter (ONX201):
      that is where the dynamo exporter fails.

    ## Example
    ```python
    def forward(self, x):
        scale = x.abs().max().item()
        return x / scale
    ```

    ## Use instead
    Keep the value a tensor; 0-d tensors broadcast like Python numbers:
    ```python
    def forward(self, x):
        scale = x.abs().max()
        return x / scale
    ```

    ## Fix safety
    Where the Python value is used right away in arithmetic with a tensor (`x * t.item()`,
    `x / float(t)`), the fix drops the conversion. It is unsafe: a 0-d tensor follows PyTorch's
    type promotion rather than Python's (a float64 scalar tensor does not promote a float32
    tensor either, but an integer tensor divided by an integer 0-d tensor stays integer where
    `float()` would have made it float). Other uses get a display-only suggestion.

    ## References
    - torch.export, data-dependent values: https://pytorch.org/docs/stable/export.html
    - TorchScript-exporter tracing limitations: https://pytorch.org/docs/stable/onnx_torchscript.html#limitations
    - docs/measurements.md (ONX202 rows); docs/ground-truth.md, harness rows py_item, py_tolist, py_float, py_numpy
    """

    code = "ONX202"
    name = "tensor_to_python"
    message = "A tensor converted to a Python value is frozen into the exported graph"
    fix_title = "Keep the value a tensor (drop the conversion)"
    fix_applicability = Applicability.UNSAFE
    trigger_names = ("item", "tolist", "numpy", "int(", "float(", "bool(")
    applies_to = "TorchScript exporter: all conversions; dynamo: .tolist(), and .item() / int() counting a loop"

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute and func.attr in METHODS and not node.args:
            conversion = func.attr
            value = func.value
            shown = f"`.{conversion}()`"
        elif type(func) is ast.Name and func.id in BUILTINS and len(node.args) == 1 and not node.keywords:
            if self.context.qualified_name(func) != f"builtins.{func.id}":
                return
            conversion = func.id
            value = node.args[0]
            shown = f"`{conversion}()`"
        else:
            return
        context = self.context
        if not context.in_model_code or context.kind(value) not in _TENSORISH:
            return
        config = context.export_config_for(node)
        if config.is_dynamo and conversion in DYNAMO_SAFE:
            self._check_dynamo_size(node, conversion, shown)
            return
        if conversion == "bool" and context.enclosing_condition(node) is not None:
            return  # ONX201 reports the whole condition
        if context.skipped_during_export(node):
            return
        if config.is_legacy and conversion == "bool":
            consequence = "the TorchScript exporter cannot keep it in the graph (measured: the export fails)"
        elif config.is_legacy:
            consequence = "the TorchScript exporter records it as a constant from the example input"
        elif _sizes_a_split(context, node):
            consequence = (
                "the dynamo exporter fixes the list's length (the tensor's first dim) at the example's; its integer "
                "entries, used here only as split sizes, stay symbolic (measured)"
            )
        else:
            # Measured (tolist, tolist_values, tolist_branch): the length is the example's; the entries are
            # data-dependent values, symbolic as plain numbers, fatal as soon as Python decides on one.
            consequence = (
                "the dynamo exporter fixes the list's length (the tensor's first dim) at the example's, and a Python "
                "decision on its data-dependent entries (`if`, comparisons, `groupby`, `range`) fails the export"
            )
        message = with_tensor_origin(context, f"{shown} turns a tensor into a Python value: {consequence}", value)
        self.report(node, message, fix=self._fix(node, conversion, value))

    def _check_dynamo_size(self, node: ast.Call, conversion: str, shown: str) -> None:
        """Under dynamo, `.item()` / `int(t)` is a data-dependent (unbacked) value: report it where it
        counts a Python loop, which the export cannot unroll. Measured on torch 2.13 (docs/recall.md): a
        `range()` over it fails whatever the dtype (`GuardOnDataDependentSymNode`)."""
        context = self.context
        if conversion not in ("item", "int"):
            return
        converted: ast.AST = node
        parent = context.parent(node)
        if (
            conversion == "item"
            and type(parent) is ast.Call
            and context.call_name(parent) == "builtins.int"
            and len(parent.args) == 1
        ):
            converted = parent
        if context.enclosing_condition(node) is not None or context.skipped_during_export(node):
            return  # a branch on it is ONX201's
        if not _counts_a_loop(context, converted):
            # Of an integer tensor, a value that slices, repeats, views or sizes `new_zeros` exports (measured);
            # `int()` of a float tensor's value sizing two tensors a `cat` joins fails (phi4_multimodal's float
            # mask), but the value model knows no dtypes: no claim.
            return
        self.report(
            node,
            f"{shown} turns a tensor into a Python value that counts a `range()` loop: the dynamo exporter "
            "cannot unroll a data-dependent count, the export fails (GuardOnDataDependentSymNode, measured)",
            fix=self.make_fix(
                [], Applicability.DISPLAY_ONLY, "Keep the count a tensor, or loop a fixed number of times"
            ),
        )

    def _fix(self, node: ast.Call, conversion: str, value: ast.expr) -> Fix:
        parent = self.context.parent(node)
        if conversion in ("item", "float") and type(parent) is ast.BinOp:
            other = parent.right if parent.left is node else parent.left
            if self.context.kind(other) is Kind.TENSOR:
                replacement = self.context.source.segment(value)
                if type(value) in (
                    ast.BinOp,
                    ast.BoolOp,
                    ast.Compare,
                    ast.IfExp,
                    ast.UnaryOp,
                    ast.Lambda,
                    ast.NamedExpr,
                ):
                    replacement = f"({replacement})"
                return self.make_fix([replace_node(self.context, node, replacement)], Applicability.UNSAFE)
        return self.make_fix(
            [], Applicability.DISPLAY_ONLY, "Keep the value a tensor (0-d tensors broadcast like numbers)"
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Training-only: `if not self.training: return` ends what the export runs.
        Valid(
            """
            import torch
            class Router(torch.nn.Module):
                def forward(self, x):
                    y = self.gate(x)
                    if not self.training:
                        return y
                    counts = y.argmax(-1).bincount().tolist()
                    return y, counts
            """
        ),
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                h = int(x.shape[2])
                return x[:, :, : h // 2]
        """,
        # The dynamo exporter keeps .item() symbolic.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / x.abs().max().item()
            """,
            settings={"exporter": "dynamo"},
        ),
        # Not model code.
        """
        import torch
        def report(loss):
            print(loss.item())
        """,
        # Under dynamo, an integer tensor's `.item()` that feeds `torch.arange`, a slice or `repeat`
        # exports as an unbacked size (measured).
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, grid):
                    n = grid[0].item()
                    h = int(grid[1].sum().item())
                    return x[:, :h].repeat(1, n) + torch.arange(n).sum() * x.abs().max().item()
            """,
            settings={"exporter": "dynamo"},
        ),
    ]
    INVALID = [
        # Split sizes: the list's length is fixed at the example's, its entries stay symbolic (the message says so).
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, grid: torch.Tensor):
                    sizes = grid.prod(-1).tolist()
                    parts = torch.split(x, sizes, dim=0)
                    return [p.mean(0) for p in parts], x.split(grid[:, 0].tolist())
            """,
            count=2,
            message_contains="used here only as split sizes, stay symbolic",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / x.abs().max().item()
            """,
            line=4,
            settings={"exporter": "legacy"},
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / x.abs().max()
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    offsets = x.mean(dim=(1, 2, 3)).tolist()
                    return x + sum(offsets)
            """,
            line=4,
            message_contains="tolist",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x * float(x.std())
            """,
            line=4,
            settings={"exporter": "legacy"},
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x * x.std()
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    positive = bool((x > 0).all())
                    return x * positive
            """,
            line=4,
            settings={"exporter": "legacy"},
        ),
        # Under dynamo: a `range()` over `.item()` or `int(t)` fails whatever the dtype (measured).
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, mask):
                    n = mask.sum().item()
                    for i in range(n):
                        x = x + i
                    for j in range(int(mask[0].sum())):
                        x = x * 2
                    return x
            """,
            settings={"exporter": "dynamo"},
            count=2,
            message_contains="GuardOnDataDependentSymNode",
        ),
    ]
