from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, requirement

from ._operators import argument, exports, failure_text, literal, may_be_traced

ONE_HOT = "torch.nn.functional.one_hot"


class OneHotWithoutNumClasses(Rule):
    """`F.one_hot` without `num_classes`: the class count comes from the data.

    ## What it does
    Flags `F.one_hot(t)` and `F.one_hot(t, -1)` / `num_classes=-1`, with either exporter and at
    any opset. A `num_classes` that is a variable is not flagged.

    ## Why is this bad for ONNX
    Without `num_classes`, PyTorch uses `t.max() + 1`: the output's last dimension depends on
    the values in the tensor. Measured on torch 2.13: the TorchScript exporter writes a
    `OneHot` whose depth the checker rejects ("Input 'depth' must be non-negative"), at
    opsets 11 and 17; the dynamo exporter raises `GuardOnDataDependentSymNode` ("Could not
    extract specialized integer from data-dependent expression"). With `num_classes=8`, both
    exported and matched.

    ## Example
    ```python
    labels = F.one_hot(targets)
    ```

    ## Use instead
    ```python
    labels = F.one_hot(targets, num_classes=self.num_classes)
    ```

    ## Fix safety
    Display-only: only the author knows the number of classes (and a different count changes
    the output's shape).

    ## References
    - torch.nn.functional.one_hot: https://pytorch.org/docs/stable/generated/torch.nn.functional.one_hot.html
    - docs/measurements.md (ONX108 rows); docs/ground-truth.md, harness rows dd_one_hot_auto_classes, one_hot_fixed_classes
    """

    code = "ONX108"
    name = "one_hot_without_num_classes"
    message = "`F.one_hot` without `num_classes` cannot be exported"
    fix_title = "Pass `num_classes=`"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("one_hot",)
    applies_to = "both exporters, every opset"

    def visit_Call(self, node: ast.Call) -> None:
        if self.context.call_name(node) != ONE_HOT:
            return
        num_classes = literal(argument(node, 1, "num_classes"), -1)
        if num_classes != -1 or not may_be_traced(self.context) or self.context.skipped_during_export(node):
            return
        config = self.context.export_config_for(node)
        entry = requirement("one_hot.auto")
        if exports(entry, config):
            return
        self.report(
            node,
            f"`F.one_hot` without `num_classes` takes the class count from the data: {failure_text(entry, config)}",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch.nn.functional as F
        def encode(t, classes):
            return F.one_hot(t, 10), F.one_hot(t, num_classes=classes)
        """,
        # Another library's one_hot.
        """
        from mylib import one_hot
        def encode(t):
            return one_hot(t)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, t):
                    return F.one_hot(t)
            """,
            line=4,
            message_contains="dynamo",
        ),
        Invalid(
            """
            from torch.nn.functional import one_hot
            def encode(t):
                return one_hot(t, num_classes=-1)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
