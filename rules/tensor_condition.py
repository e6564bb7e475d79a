from __future__ import annotations

import ast
from collections import Counter
from typing import TYPE_CHECKING

from onnxlint.rules.api import (
    Applicability,
    Confidence,
    Edit,
    FileContext,
    Fix,
    Invalid,
    Kind,
    Location,
    Role,
    Rule,
    Severity,
    Valid,
    bindings_in,
    comments_in,
    ensure_torch,
    module_insertions,
    render_statement,
    replace_node,
    scope_nodes,
)

from ._fix_torch_cond import scalar_bool, torch_cond_fix
from ._sizes import binding_reaching, is_proven_tensor, is_strong_tensor, with_tensor_origin

if TYPE_CHECKING:
    import libcst as cst

DATA_DEPENDENT = (Kind.TENSOR, Kind.DATA)


class TensorCondition(Rule):
    """Python control flow that branches on a tensor's value in model code.

    ## What it does
    Flags `if`, `while`, conditional expressions (`a if cond else b`), `assert` and `and`/`or`
    whose condition is a tensor (or a Python value read out of one, such as `t.item() > 0`)
    inside `forward` and the functions of the same file that `forward` calls.

    ## Why is this bad for ONNX
    ONNX graphs are traced, not interpreted: Python decides the branch once, at export time.
    Measured on torch 2.13:
    - the TorchScript exporter (`dynamo=False`) silently keeps only the branch taken for the
      example input: the exported model computes the wrong thing whenever the condition flips
      (`if t.sum() > 0`, `while` on a tensor, a conditional expression);
    - the dynamo exporter (`torch.export`) refuses: "Could not guard on data-dependent
      expression" (`GuardOnDataDependentSymNode`), and the export fails;
    - an `assert` on a tensor is checked once at export time and is not part of the ONNX
      graph with either exporter, so inputs that break it are no longer caught; the export
      succeeds and computes the same for every input that passes (measured, also for
      `assert lengths.max().item() <= n`), so the finding is `low` (`--confidence low`).

    Conditions on shapes (`if x.shape[0] > 1`) are a different hazard (see the shape rules);
    conditions on Python values (`if self.training`, `if mask is None`) are fine. A condition on the entries of a
    `.tolist()` (`flags = flags.tolist()`, then `for i, flag in enumerate(flags): if flag:`, or a helper of the
    file that returns one) is ONX202's finding, at the conversion, and is not reported again here.

    ## Example
    ```python
    def forward(self, x):
        if x.sum() > 0:
            y = x * 2
        else:
            y = x - 1
        return y
    ```

    ## Use instead
    Compute both branches and select with `torch.where`, which exports to an ONNX `Where`:
    ```python
    def forward(self, x):
        y = torch.where(x.sum() > 0, x * 2, x - 1)
        return y
    ```
    For branches of several statements, the dynamo exporter supports
    `torch.cond(pred, true_fn, false_fn, operands)`, exported as an ONNX `If`:
    ```python
    def forward(self, x):
        def true_branch(x):
            h = self.a(x)
            return h * 2
        def false_branch(x):
            return self.b(x) - 1
        return torch.cond(x.sum() > 0, true_branch, false_branch, (x,))
    ```

    ## Fix safety
    The `torch.where` rewrite is offered when the condition is a tensor and both branches are
    single side-effect-free assignments of tensors to the same name (or single `return`s of
    tensors, or the two arms of a conditional expression); an `if` without `else` that
    reassigns a tensor name keeps the old value in the other arm. Both branches are then
    computed, which costs time but gives the same numbers and shapes when the two branches
    have the same shape, as they must for the rest of a traced model to accept either.
    It is safe only when the value model proves the condition and both values tensors (built
    by `torch.*`, by a tensor layer `self.conv(...)`, by a tensor method or arithmetic of a
    proven tensor, or a parameter annotated `torch.Tensor`; a comparison with a string or
    `None` never is), the condition 0-d (a full reduction, `.any()`/`.all()`, comparisons and
    `&`/`|`/`~` of those: `torch.where` broadcasts it), and both values elementwise functions of
    the same operands (`x * 2` and `x - 1`, `F.relu(x)` and `x`, `g(x) + x` and `g(x) - x`): two tensors built from different lists
    (`torch.tensor(self.long_factor)` / `torch.tensor(self.short_factor)`, diffusers' OmniGen) may
    differ in length, and the fixed code, which builds both, then raises where the original took
    one. Otherwise, with the tensor facts proven, it is unsafe. When a fact is only likely (an unannotated `forward` parameter, a local
    function's result, a method of a value only taken for a tensor) the rewrite is unsafe: on
    a string or a list `torch.where` raises, and both branches run. When a value has no tensor
    evidence at all (`if flag:` on an unannotated parameter never used as a tensor) only the
    suggestion is shown.
    Comments inside a rewritten block are kept above the new statement.

    With the dynamo exporter, an `if` the `torch.where` rewrite does not take (branches of several
    assignments, or of several names) gets an **unsafe** `torch.cond` rewrite: two local functions
    `true_branch` / `false_branch` taking the tensors the branches read as operands and returning
    the names that live on after the `if`, then `a, b = torch.cond(pred, true_branch,
    false_branch, (x, ...))`. Offered only when the condition is proven a one-element bool tensor
    (`x.sum() > 0`, `mask.any()`, `torch.all(x == 0)`, `&` / `|` / `~` of those; not `x > 0`, not
    `t.item() > 0`), both branches hold only assignments to plain names of side-effect-free values
    (no `return`, `raise`, loop, nested `if`, attribute or subscript store, `+=`, in-place method,
    `print`, logger, `super()`, `.item()`), every name read after the `if` is assigned by both
    branches or was bound before it (a branch that does not assign it, or a missing `else`,
    returns the old value), and the condition and every such name are tensors (the same facts as
    above: unknown facts leave only the suggestion). Outputs that are not fresh arithmetic or a
    new torch tensor are returned with `.clone()`: `torch.cond` rejects an output that aliases an
    input or another output, in eager mode too. It is unsafe because nothing proves what
    `torch.cond` demands, that both branches return tensors of the same shape and dtype (a dtype
    mismatch raises, measured), and because eager PyTorch now runs the branches through
    `torch.cond`, which compiles them (the first call is slower; code it cannot trace raises).
    Never with the TorchScript exporter (`--exporter legacy`, or a file's `dynamo=False` export
    call): it cannot export `torch.cond` (torch 2.13: "Detected that you are using FX to
    torch.jit.trace a dynamo-optimized function").
    Everything else (`while`, `assert`, `elif` chains, conditions read out with `.item()`) gets a
    display-only suggestion.

    ## References
    - torch.export, data-dependent control flow: https://pytorch.org/docs/stable/export.html#data-dependent-control-flow
    - torch.cond: https://pytorch.org/docs/stable/generated/torch.cond.html
    - docs/measurements.md (ONX201 rows); docs/ground-truth.md, harness rows cf_if_tensor_sum, cf_while_tensor
    """

    code = "ONX201"
    name = "tensor_condition"
    message = "Python control flow on a tensor value is frozen or rejected at export"
    fix_title = "Replace the branch with `torch.where`"
    fix_applicability = Applicability.SAFE
    trigger_names = ("forward",)
    applies_to = "both exporters (TorchScript: branch baked; dynamo: export error); assert: warning"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._reported_tests: set[int] = set()

    # -- visits --------------------------------------------------------------------------------

    def visit_If(self, node: ast.If) -> None:
        if self._is_data_dependent(node.test):
            self._report_condition(node.test, "`if`", self._where_fix_for_if(node) or self._cond_fix_for_if(node))

    def visit_While(self, node: ast.While) -> None:
        if self._is_data_dependent(node.test):
            self._report_condition(node.test, "`while` loop", None)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        if self._is_data_dependent(node.test):
            self._report_condition(node.test, "conditional expression", self._where_fix_for_ifexp(node))

    def visit_Assert(self, node: ast.Assert) -> None:
        if not self._is_data_dependent(node.test):
            return
        self._reported_tests.add(id(node.test))
        # Measured (`assert_on_tensor`, and `assert lengths.max().item() <= n`): both exporters export it and valid
        # inputs compute the same; only the check is gone from the graph. No number changes: `low`.
        self.report(
            node.test,
            "`assert` on a tensor value is checked once at export time and is not part of the ONNX graph; "
            "inputs that violate it will not be caught; low confidence: the export succeeds and computes the same "
            "for every input that passes the check (measured)",
            severity=Severity.WARNING,
            fix=self.make_fix([], Applicability.DISPLAY_ONLY, "Validate inputs outside the model, or drop the assert"),
            confidence=Confidence.LOW,
        )

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if not self.context.in_model_code or id(node) in self._reported_tests:
            return
        if not any(self.context.kind(value) is Kind.TENSOR for value in node.values[:-1]):
            return
        if self._inside_reported_test(node) or self.context.skipped_during_export(node):
            return
        operator = "and" if type(node.op) is ast.And else "or"
        self.report(
            node,
            f"`{operator}` on tensors calls `bool()` on a tensor value, which the exporters freeze or reject",
            fix=self.make_fix(
                [],
                Applicability.DISPLAY_ONLY,
                f"Use `{'&' if operator == 'and' else '|'}` or `torch.logical_{operator}`",
            ),
        )

    # -- helpers -------------------------------------------------------------------------------

    def _is_data_dependent(self, test: ast.expr) -> bool:
        context = self.context
        if not context.in_model_code or context.kind(test) not in DATA_DEPENDENT:
            return False
        if _keyed_lookup(test):
            return False  # `config["use_fast_hash"]`: a tensor is never indexed by a string
        if _reads_only_listed_values(context, test):
            return False  # `if token in input_tokens:` after `input_tokens = ids.tolist()`: ONX202's finding
        flag = test.operand if type(test) is ast.UnaryOp and type(test.op) is ast.Not else test
        if type(flag) is ast.Name and context.scope is not None and context.scope.is_assumed_flag(flag.id):
            return False  # `if interpolate_pos_encoding:` of `forward(self, pixel_values, interpolate_pos_encoding)`
        # `not is_compiling() and t.any()` is never evaluated during export; neither is a branch behind a guard.
        return context.guard_polarity(test) is None and not context.skipped_during_export(test)

    def _inside_reported_test(self, node: ast.AST) -> bool:
        parent = self.context.parent(node)
        while parent is not None:
            if id(parent) in self._reported_tests:
                return True
            if isinstance(parent, ast.stmt):
                return False
            parent = self.context.parent(parent)
        return False

    def _report_condition(self, test: ast.expr, construct: str, fix: Fix | None) -> None:
        self._reported_tests.add(id(test))
        config = self.context.export_config_for(test)
        if config.is_legacy:
            consequence = "the TorchScript exporter keeps only the branch taken for the example input"
        else:
            consequence = "the dynamo exporter cannot trace a data-dependent branch and the export fails"
        if fix is None:
            hint = "Use `torch.where`" + (" or `torch.cond`" if config.is_dynamo else "") + " on a tensor condition"
            if self.context.kind(test) is Kind.DATA:
                hint = "Keep the condition a tensor (no `.item()` / `bool()`) and select with `torch.where`"
            if construct == "`while` loop":
                hint = "Loop a fixed number of times (a Python int) or vectorize the loop"
            fix = self.make_fix([], Applicability.DISPLAY_ONLY, hint)
        message = with_tensor_origin(self.context, f"{construct} on a tensor value: {consequence}", test)
        self.report(test, message, fix=fix)

    def _where_fix_for_if(self, node: ast.If) -> Fix | None:
        context = self.context
        if context.kind(node.test) is not Kind.TENSOR or len(node.body) != 1:
            return None
        body = node.body[0]
        other = node.orelse[0] if len(node.orelse) == 1 else None
        if node.orelse and (other is None or type(other) is ast.If):
            return None  # elif chains and multi-statement else blocks
        target: str | None = None
        if type(body) is ast.Assign:
            target = _single_name_target(body)
            if target is None or not self._is_pure_tensor(body.value):
                return None
            if other is None:
                if context.kind(ast.Name(id=target)) is not Kind.TENSOR:
                    return None  # without else, the name must already hold a tensor
            elif not (
                type(other) is ast.Assign and _single_name_target(other) == target and self._is_pure_tensor(other.value)
            ):
                return None
        elif type(body) is ast.Return:
            if other is None or type(other) is not ast.Return or body.value is None or other.value is None:
                return None
            if not (self._is_pure_tensor(body.value) and self._is_pure_tensor(other.value)):
                return None
        else:
            return None

        import libcst as cst  # only when a fix is built

        torch_name, imports = ensure_torch(context)

        def build(statement: cst.BaseStatement) -> str:
            assert isinstance(statement, cst.If)
            condition = statement.test
            first = _first_small_statement(statement.body)
            second = _first_small_statement(statement.orelse.body) if statement.orelse is not None else None
            true_value = first.value  # type: ignore[attr-defined]  # an Assign or a Return (AttributeError: no fix)
            false_value = second.value if second is not None else cst.Name(target or "")  # type: ignore[attr-defined]
            where = cst.Call(
                func=cst.Attribute(cst.Name(torch_name), cst.Name("where")),
                args=[cst.Arg(condition), cst.Arg(true_value), cst.Arg(false_value)],
            )
            if target is not None:
                new: cst.BaseSmallStatement = cst.Assign(targets=[cst.AssignTarget(cst.Name(target))], value=where)
            else:
                new = cst.Return(value=where)
            code = cst.Module([]).code_for_node(cst.SimpleStatementLine(body=[new]))
            original_comments = Counter(comments_in(cst.Module([]).code_for_node(statement)))
            kept = Counter(comments_in(code))
            hoisted = list((original_comments - kept).elements())
            return "".join(f"{comment}\n" for comment in hoisted) + code

        try:
            replacement = render_statement(context, node, build)
        except (cst.ParserSyntaxError, AttributeError, IndexError, AssertionError):
            return None
        edits = [Edit(Location(node.lineno, 1), context.source.end_of(node), replacement)]
        edits += module_insertions(context, imports)
        # Without `else`, the other value is the name's old one: read through the assignment's own target.
        kept = other.value if other is not None else _name_at(body)  # type: ignore[arg-type]
        applicability = self._where_applicability(node.test, body.value, kept)  # type: ignore[arg-type]
        return None if applicability is None else self.make_fix(edits, applicability)

    def _cond_fix_for_if(self, node: ast.If) -> Fix | None:
        """`torch.cond` over two local functions, for branches of several assignments (dynamo only):
        always unsafe, see rules/_fix_torch_cond.py for when it is offered."""
        found = torch_cond_fix(self.context, node, self._applicability)
        if found is None:
            return None
        edits, _ = found
        return self.make_fix(edits, Applicability.UNSAFE, "Rewrite the branch with `torch.cond`")

    def _where_fix_for_ifexp(self, node: ast.IfExp) -> Fix | None:
        context = self.context
        if context.kind(node.test) is not Kind.TENSOR:
            return None
        if not (self._is_pure_tensor(node.body) and self._is_pure_tensor(node.orelse)):
            return None
        if comments_in(context.source.segment(node)):
            return None
        torch_name, imports = ensure_torch(context)
        segment = context.source.segment
        text = f"{torch_name}.where({segment(node.test)}, {segment(node.body)}, {segment(node.orelse)})"
        applicability = self._where_applicability(node.test, node.body, node.orelse)
        if applicability is None:
            return None
        return self.make_fix([replace_node(context, node, text), *module_insertions(context, imports)], applicability)

    def _where_applicability(self, test: ast.expr, chosen: ast.expr, other: ast.expr) -> Applicability | None:
        """`_applicability`, and safe only when `torch.where` provably returns what the branch did.

        `torch.where` computes both values and broadcasts them with the condition, so the result has
        the taken value's shape only when the condition is 0-d (a full reduction, `.any()`, a
        comparison of such values: `scalar_bool`) and both values have one shape: both elementwise
        functions of the same single tensor (`x * 2` and `x - 1`, `x.sigmoid()` and `x`). Two tensors
        built from different lists (`torch.tensor(self.long_factor)` / `torch.tensor(self.short_factor)`)
        may differ in length, and then the fixed code raises where the original took one of them.
        """
        applicability = self._applicability(test, [chosen, other])
        if applicability is not Applicability.SAFE:
            return applicability
        leaves = _broadcast_leaves(self.context, chosen)
        if leaves and leaves == _broadcast_leaves(self.context, other) and scalar_bool(self.context, test):
            return Applicability.SAFE
        return Applicability.UNSAFE

    def _applicability(self, test: ast.expr, values: list[ast.expr]) -> Applicability | None:
        """Safe when the value model proves the condition and both values tensors; unsafe when it only
        takes them for tensors with evidence (an unannotated `forward` parameter used as one, a method of
        one); no fix at all (a suggestion) when a value has no tensor evidence (`if flag:` on a parameter)."""
        context = self.context
        every = [test, *values]
        if all(is_proven_tensor(context, value) for value in every):
            return Applicability.SAFE
        if all(_likely_tensor(context, value) for value in every):
            return Applicability.UNSAFE
        return None

    def _is_pure_tensor(self, expr: ast.expr) -> bool:
        """A tensor-valued expression without visible side effects (no in-place calls, no walrus)."""
        if self.context.kind(expr) is not Kind.TENSOR:
            return False
        for child in ast.walk(expr):
            child_type = type(child)
            if child_type in (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda):
                return False
            if child_type is ast.Call:
                func = child.func  # type: ignore[attr-defined]
                if type(func) is ast.Attribute and func.attr.endswith("_") and not func.attr.endswith("__"):
                    return False
                if type(func) is ast.Name and func.id in ("print", "setattr", "exec", "eval"):
                    return False
        return True

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Python values out of a `.tolist()` (ONX202 reports the conversion, where the export breaks): the name read
        # is the one bound last before the loop, walked through `enumerate`; and a helper that returns a `.tolist()`
        # (diffusers' IF safety checker, kornia's DEGENSAC record setters).
        """
        import torch


        class Checker(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.head = torch.nn.Linear(4, 1)

            @staticmethod
            def _setters(scores):
                return (scores > 0).nonzero().flatten().tolist()

            def forward(self, x, images):
                flagged = self.head(x).flatten()
                flagged = flagged > 0.5
                flagged = flagged.tolist()
                for index, flag in enumerate(flagged):
                    if flag:
                        images[index] = 0
                records = self._setters(x.sum(1))
                if not records:
                    return images
                return images * 2
        """,
        # An early stop the export never checks: the predicate returns False while exporting, so `stop_checks` is
        # empty and `i + 1 in stop_checks` short-circuits the data-dependent test (kornia's distance transform).
        """
        import torch


        def _can_stop_early(x):
            if torch.jit.is_tracing() or torch.compiler.is_compiling():
                return False
            return not x.requires_grad


        class M(torch.nn.Module):
            def forward(self, x):
                stop_checks = (2, 4) if _can_stop_early(x) else ()
                for i in range(6):
                    x = x * 0.5
                    if i + 1 in stop_checks and not bool((x > 1).any()):
                        break
                return x
        """,
        # Not tensors: a flag parameter only tested and passed on (a tensor of more than one element cannot be
        # tested for truth), the torch version; and a test that transformers' `is_torchdynamo_compiling()` (True
        # under torch.export) short-circuits before the tensor is read.
        """
        import torch
        from transformers.utils import is_torchdynamo_compiling
        class M(torch.nn.Module):
            def forward(self, pixel_values, interpolate_pos_encoding, mask: torch.Tensor):
                x = self.embed(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding)
                if interpolate_pos_encoding:
                    x = x + 1
                major = int(torch.__version__.split(".")[0])
                if major >= 2:
                    x = x * 2
                if not is_torchdynamo_compiling() and mask.any():
                    x = x * 3
                return x
        """,
        # Training-only branches do not run while exporting (the model is exported in eval mode).
        Valid(
            """
            import torch
            class Layer(torch.nn.Module):
                def forward(self, x):
                    if self.training and torch.rand([]) < self.layerdrop:
                        return x
                    if self.training:
                        if x.sum() > 0:
                            x = x * 2
                    return x
            """
        ),
        # A value compared with a string is no tensor (diffusers' VAE cache: `feat_cache[idx] == "Rep"`).
        Valid(
            """
            import torch
            class CausalConv(torch.nn.Module):
                def forward(self, x, feat_cache, idx=0):
                    if feat_cache[idx] == "Rep":
                        x = self.time_conv(x)
                    else:
                        x = self.time_conv(x, feat_cache[idx])
                    return x
            """
        ),
        # Losses, metrics and schedulers are not part of an exported model, even with a `forward`.
        Valid(
            """
            import torch
            class FocalLoss(torch.nn.Module):
                def forward(self, logits, target):
                    if (target > 0).sum() == 0:
                        return logits.sum() * 0
                    return self.reduce(logits, target)

            def compute_loss(pred, target):
                if pred.isnan().any():
                    return None
                return (pred - target).abs().mean()
            """
        ),
        # Flags: `output_attentions=None` is no optional tensor.
        Valid(
            """
            import torch
            class Layer(torch.nn.Module):
                def forward(self, x, output_attentions=None, return_dict=None):
                    if output_attentions:
                        x = x * 2
                    return x if return_dict else (x,)
            """
        ),
        # The loss branch: an export passes no labels.
        Valid(
            """
            import torch
            class Head(torch.nn.Module):
                def forward(self, x, labels=None):
                    logits = self.proj(x)
                    if labels is not None:
                        loss = self.loss(logits, labels)
                        if loss.isnan().any():
                            raise ValueError("nan loss")
                    return logits
            """
        ),
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, mask=None):
                if mask is None:
                    mask = torch.ones_like(x)
                if self.training:
                    x = x * 2
                if x.dim() == 4:
                    x = x.flatten(2)
                return x * mask
        """,
        # Outside model code: Python is free to branch on values.
        """
        import torch
        def summarize(x):
            if x.sum() > 0:
                print("positive")
        """,
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, scale: float = 1.0):
                if scale > 1:
                    x = x * scale
                return torch.where(x.sum() > 0, x, -x)
        """,
        # Code kept out of export by a guard never runs while exporting.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                if not torch.onnx.is_in_onnx_export() and x.sum() > 0:
                    x = x * 2
                y = x if torch.compiler.is_compiling() else (x if x.sum() > 0 else -x)
                # is_tracing() is True under the TorchScript exporter only, is_compiling() under dynamo only
                if torch.jit.is_tracing() or torch.compiler.is_compiling():
                    return y
                if y.max() > 1:
                    y = y / y.max()
                return y
        """,
        # A config dict's value, looked up by a string key, is no tensor.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, config):
                if config["use_fast_hash"]:
                    return x * 2
                return x
        """,
        # Paths an export takes only on request are `low` confidence, not shown by default: an eager
        # implementation that a dispatch decorator replaces, a half-precision clamp, a decoding cache,
        # a flag that is off by default, and what only such a branch calls.
        """
        import torch
        from transformers.integrations import use_experts_implementation

        @use_experts_implementation
        class Experts(torch.nn.Module):
            def forward(self, hidden_states: torch.Tensor, expert_hit: torch.Tensor):
                for expert_idx in expert_hit:
                    if expert_idx == self.num_experts:
                        continue
                return hidden_states

        class Layer(torch.nn.Module):
            def forward(self, x: torch.Tensor, cache=None, refine: bool = False):
                if x.dtype == torch.float16 and torch.isinf(x).any():
                    x = x.clamp(-1000, 1000)
                if cache is not None and cache.is_initialized and x.all():
                    return x
                if refine:
                    x = self.refine_positions(x)
                return x

            def refine_positions(self, x: torch.Tensor):
                if x.sum() > 0:
                    return x
                return -x
        """,
        # A predicate whose whole body is an export guard is one: its `if` is False at export.
        """
        import torch

        def _fast_path_eligible(x: torch.Tensor) -> bool:
            return x.device.type == "cpu" and not torch.compiler.is_exporting()

        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                if _fast_path_eligible(x) and x.any():
                    return x
                return -x
        """,
    ]
    INVALID = [
        # The same early stop with a predicate that does not look at the export: checked while exporting.
        Invalid(
            """
            import torch


            def _can_stop_early(x):
                if torch.jit.is_scripting():
                    return False
                return not x.requires_grad


            class M(torch.nn.Module):
                def forward(self, x):
                    stop_checks = (2, 4) if _can_stop_early(x) else ()
                    for i in range(6):
                        x = x * 0.5
                        if i + 1 in stop_checks and not bool((x > 1).any()):
                            break
                    return x
            """,
            line=15,
        ),
        # ... and shown with `--confidence low`.
        Invalid(
            """
            import torch
            class Layer(torch.nn.Module):
                def forward(self, x: torch.Tensor, cache=None):
                    if x.dtype == torch.float16 and torch.isinf(x).any():
                        x = x.clamp(-1000, 1000)
                    return x
            """,
            line=4,
            settings={"confidence": "low"},
        ),
        # `torch.jit.is_tracing()` is False under the dynamo exporter (measured): the code after
        # this early return is exported.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if torch.jit.is_tracing():
                        return x
                    if x.max() > 1:
                        x = x / x.max()
                    return x
            """,
            line=6,
            message_contains="dynamo",
        ),
        # `x` is an unannotated `forward` parameter: a tensor only by likelihood, so the rewrite is unsafe ...
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = x - 1
                    return y
            """,
            line=4,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = torch.where(x.sum() > 0, x * 2, x - 1)
                    return y
            """,
            message_contains="dynamo",
        ),
        # ... and `--fix` alone leaves it be.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = x - 1
                    return y
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = x - 1
                    return y
            """,
        ),
        # Annotated as a tensor: the condition and both values are proven tensors, the rewrite is safe.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = x - 1
                    return y
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    y = torch.where(x.sum() > 0, x * 2, x - 1)
                    return y
            """,
        ),
        # Branches of several assignments, with the dynamo exporter: an unsafe `torch.cond` rewrite.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = torch.nn.Linear(4, 4)
                    self.b = torch.nn.Linear(4, 4)

                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        h = self.a(x)
                        y = h * 2  # doubled
                    else:
                        y = self.b(x)
                    return y
            """,
            line=9,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = torch.nn.Linear(4, 4)
                    self.b = torch.nn.Linear(4, 4)

                def forward(self, x: torch.Tensor):
                    def true_branch(x):
                        h = self.a(x)
                        y = h * 2  # doubled
                        return y
                    def false_branch(x):
                        y = self.b(x)
                        return y.clone()
                    y = torch.cond(x.sum() > 0, true_branch, false_branch, (x,))
                    return y
            """,
        ),
        # ... not with the TorchScript exporter, which cannot export `torch.cond` ...
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        h = self.a(x)
                        y = h * 2
                    else:
                        y = self.b(x)
                    return y
            """,
            line=4,
            unsafe_fixes=True,
            settings={"exporter": "legacy"},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        h = self.a(x)
                        y = h * 2
                    else:
                        y = self.b(x)
                    return y
            """,
        ),
        # ... and not when a branch has a side effect or the condition may hold several elements.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        self.hits = self.hits + 1
                        y = x * 2
                    else:
                        y = x - 1
                    if (x > 0).sum(dim=0).bool():
                        h = y * 2
                        y = h + 1
                    return y
            """,
            line=4,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    if x.sum() > 0:
                        self.hits = self.hits + 1
                        y = x * 2
                    else:
                        y = x - 1
                    if (x > 0).sum(dim=0).bool():
                        h = y * 2
                        y = h + 1
                    return y
            """,
        ),
        # A value read out of a method of a likely tensor (`hidden.float()`) is only likely one too.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor, hidden):
                    y = x if hidden.float().mean() > 0 else x * 2
                    return y
            """,
            line=4,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor, hidden):
                    y = x if hidden.float().mean() > 0 else x * 2
                    return y
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = torch.nn.Conv2d(3, 3, 1)

                def forward(self, x):
                    out = self.body(x)
                    if out.mean() > 0:  # only positive activations are scaled
                        out = out * 2
                    return out
            """,
            line=9,
            settings={"exporter": "legacy"},
            message_contains="TorchScript",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = torch.nn.Conv2d(3, 3, 1)

                def forward(self, x):
                    out = self.body(x)
                    # only positive activations are scaled
                    out = torch.where(out.mean() > 0, out * 2, out)
                    return out
            """,
        ),
        Invalid(
            """
            import torch as th
            import torch.nn.functional as F

            def gate(x):
                return F.relu(x) if x.max() > 1 else x

            class M(th.nn.Module):
                def forward(self, x):
                    return gate(x)
            """,
            line=5,
            unsafe_fixes=True,
            expected_fix="""
            import torch as th
            import torch.nn.functional as F

            def gate(x):
                return th.where(x.max() > 1, F.relu(x), x)

            class M(th.nn.Module):
                def forward(self, x):
                    return gate(x)
            """,
        ),
        Invalid(
            """
            from torch import nn
            class M(nn.Module):
                def forward(self, x):
                    if (x > 0).all():
                        return x
                    else:
                        return -x
            """,
            line=4,
            unsafe_fixes=True,
            # `x` is never used as a tensor here (a NumPy array would run this too): only the suggestion.
            expected_fix="""
            from torch import nn
            class M(nn.Module):
                def forward(self, x):
                    if (x > 0).all():
                        return x
                    else:
                        return -x
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    while x.norm() > 1:
                        x = x / 2
                    return x
            """,
            line=4,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if x.mean().item() > 0:
                        x = x * 2
                    return x
            """,
            line=4,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    assert (x >= 0).all(), "expects non-negative input"
                    return x.sqrt()
            """,
            line=4,
            settings={"confidence": "low"},
            message_contains="assert",
        ),
    ]


def _likely_tensor(context: FileContext, expr: ast.expr) -> bool:
    """A tensor with evidence (`is_strong_tensor`), or a comparison or `~` of one (not with a string or `None`)."""
    if type(expr) is ast.Compare:
        operands = [expr.left, *expr.comparators]
        if any(type(op) in (ast.Is, ast.IsNot, ast.In, ast.NotIn) for op in expr.ops) or any(
            type(o) is ast.Constant and not isinstance(o.value, (int, float)) for o in operands
        ):
            return False
        return any(_likely_tensor(context, operand) for operand in operands)
    if type(expr) is ast.UnaryOp:
        return type(expr.op) is not ast.Not and _likely_tensor(context, expr.operand)
    return is_proven_tensor(context, expr) or is_strong_tensor(context, expr)


def _name_at(statement: ast.Assign) -> ast.Name:
    """The assigned name, as the `ast.Name` of its target (so the value model reads it in place)."""
    return statement.targets[0]  # type: ignore[return-value]


# Elementwise methods and torch functions: their result has their operands' broadcast shape.
_ELEMENTWISE = frozenset(
    {"abs", "neg", "exp", "log", "sigmoid", "tanh", "relu", "gelu", "silu", "sqrt", "rsqrt", "sin", "cos", "square",
     "float", "double", "half", "clone", "contiguous", "clamp", "clamp_min", "clamp_max", "sign", "floor", "ceil",
     "round", "add", "sub", "mul", "div", "maximum", "minimum", "where"}
)  # fmt: skip
_ELEMENTWISE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.FloorDiv)


def _broadcast_leaves(context: FileContext, expr: ast.expr, depth: int = 0) -> frozenset[str]:
    """The operands `expr` broadcasts together, as source text: its shape is theirs broadcast.

    Arithmetic, unary operators and elementwise methods or `torch.` / `F.` functions are looked
    through; numbers add nothing; any other expression (a name, a call of a layer or a helper, a
    `torch.tensor(...)`) is an operand as a whole. Two values with the same operands have one shape.
    """
    if depth > 8:
        return frozenset({ast.unparse(expr)})
    if _is_number(expr):
        return frozenset()
    if type(expr) is ast.UnaryOp and type(expr.op) in (ast.USub, ast.UAdd):
        return _broadcast_leaves(context, expr.operand, depth + 1)
    if type(expr) is ast.BinOp and type(expr.op) in _ELEMENTWISE_OPS:
        return _broadcast_leaves(context, expr.left, depth + 1) | _broadcast_leaves(context, expr.right, depth + 1)
    if type(expr) is ast.Call and not any(k.arg is None for k in expr.keywords):
        func = expr.func
        name = context.call_name(expr) or ""
        if name.startswith(("torch.", "torch.nn.functional.")) and name.rsplit(".", 1)[-1] in _ELEMENTWISE:
            operands = list(expr.args)  # `torch.relu(x)`, `F.relu(x)`
        elif type(func) is ast.Attribute and func.attr in _ELEMENTWISE and not name.startswith("torch."):
            operands = [func.value, *expr.args]  # `x.sigmoid()`, `x.clamp(0, 1)`
        else:
            return frozenset({ast.unparse(expr)})
        if expr.keywords and not all(_is_number(k.value) or type(k.value) is ast.Constant for k in expr.keywords):
            return frozenset({ast.unparse(expr)})
        leaves: frozenset[str] = frozenset()
        for operand in operands:
            leaves |= _broadcast_leaves(context, operand, depth + 1)
        return leaves
    return frozenset({ast.unparse(expr)})


def _is_number(expr: ast.expr) -> bool:
    if type(expr) is ast.UnaryOp and type(expr.op) in (ast.USub, ast.UAdd):
        expr = expr.operand
    return type(expr) is ast.Constant and type(expr.value) in (int, float)


def _single_name_target(statement: ast.Assign) -> str | None:
    if len(statement.targets) == 1 and type(statement.targets[0]) is ast.Name:
        return statement.targets[0].id
    return None


def _first_small_statement(block: cst.BaseSuite) -> cst.BaseSmallStatement:
    """The first simple statement of a block, whether indented or on the header's line."""
    import libcst as cst

    first = block.body[0]
    if isinstance(first, cst.SimpleStatementLine):
        return first.body[0]
    return first  # type: ignore[return-value]  # a SimpleStatementSuite holds small statements directly


def _keyed_lookup(test: ast.expr) -> bool:
    """Whether `test` is a lookup by a string key (`config["flag"]`, `not opts["x"]`, `a["k"] and b["j"]`):
    a dict's or a config's value, whatever kind the container was taken for."""
    test_type = type(test)
    if test_type is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]
        return _keyed_lookup(test.operand)  # type: ignore[attr-defined]
    if test_type is ast.BoolOp:
        return all(_keyed_lookup(value) for value in test.values)  # type: ignore[attr-defined]
    return (
        test_type is ast.Subscript
        and type(test.slice) is ast.Constant  # type: ignore[attr-defined]
        and isinstance(test.slice.value, str)  # type: ignore[attr-defined]
    )


def _reads_only_listed_values(context: FileContext, test: ast.expr) -> bool:
    """Whether every tensor-derived value the condition reads is a Python value taken out of a `.tolist()` (ONX202
    reports the conversion, where the export breaks: the condition on its entries would repeat that finding),
    through local names, subscripts, arithmetic, `len`/`min`/`max`/`int`, and loops over the list."""
    names = [n for n in ast.walk(test) if type(n) is ast.Name and context.kind(n) in (Kind.DATA, Kind.TENSOR)]
    if not names or any(
        type(n) is ast.Call and type(n.func) is ast.Attribute and context.kind(n.func.value) is Kind.TENSOR
        for n in ast.walk(test)
    ):
        return False  # `x.any()` in the condition itself
    return all(_listed(context, name.id, 0, name) for name in names)


def _listed(context: FileContext, name: str, depth: int, use: ast.AST | None = None) -> bool:
    """Whether every binding of the local `name` takes its value from a `.tolist()` (see `_from_list`); where one
    assignment reaches `use` (`flags = head(x) > t`, then `flags = flags.tolist()`: `_sizes.binding_reaching`), that
    one alone."""
    function = context.function
    if function is None or depth >= 4:
        return False
    reaching = binding_reaching(context, name, use) if use is not None else None
    if reaching is not None:
        return _from_list(context, reaching, depth)
    bindings = bindings_in(scope_nodes(function.node, signature=False)).get(name, [])
    sources: list[ast.expr] = []
    for binding in bindings:
        if binding.role in (Role.WHOLE, Role.UNPACKED) and binding.value is not None:
            sources.append(binding.value)  # `scores, counts = torch.stack([...]).tolist()`: an entry of the list
        elif binding.role is Role.LOOP:
            sources.append(binding.node.iter)  # type: ignore[attr-defined]  # `for t, h, w in grid.tolist()`
        else:
            return False
    return bool(sources) and all(_from_list(context, source, depth) for source in sources)


def _from_list(context: FileContext, expr: ast.expr, depth: int) -> bool:
    while True:
        if type(expr) is ast.Subscript:
            expr = expr.value
        elif type(expr) is ast.UnaryOp:
            expr = expr.operand
        elif (
            type(expr) is ast.Call
            and context.call_name(expr) in ("builtins.len", "builtins.int", "builtins.min", "builtins.max")
            and len(expr.args) == 1
        ):
            expr = expr.args[0]
        else:
            break
    if type(expr) is ast.BinOp:
        return all(
            _from_list(context, side, depth) or context.kind(side) in (Kind.PYTHON, Kind.DIM)
            for side in (expr.left, expr.right)
        )
    if type(expr) is ast.Call and type(expr.func) is ast.Attribute and expr.func.attr == "tolist" and not expr.args:
        return True
    if type(expr) is ast.Call and context.call_name(expr) in _OVER_ITEMS and expr.args and not expr.keywords:
        # `for i, flag in enumerate(flags)`, `zip(flags, labels)`: the items of the lists they walk
        return all(_from_list(context, argument, depth) for argument in expr.args)
    if type(expr) is ast.Call:
        callee = context.model.resolve_local_call(expr, context.function)
        if callee is not None:  # `records = self._record_setters(scores)`, which returns `(...).tolist()`
            returns = [r.value for r in ast.walk(callee.node) if type(r) is ast.Return]
            return bool(returns) and all(
                value is not None and value is not expr and _from_list(context, value, depth + 1) for value in returns
            )
    return type(expr) is ast.Name and _listed(context, expr.id, depth + 1, expr)


# Builtins that walk the items of what they are given.
_OVER_ITEMS = frozenset({"builtins.enumerate", "builtins.zip", "builtins.reversed", "builtins.sorted"})
