from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._operators import exports, may_be_traced, tensor_method

METHODS = frozenset({"scatter_add", "scatter_add_"})


class ScatterAddDuplicateIndices(Rule):
    """`scatter_add` exported below opset 16: repeated indices overwrite instead of adding.

    ## What it does
    Flags `x.scatter_add(dim, index, src)`, `x.scatter_add_(...)` and `torch.scatter_add(...)`
    when the TorchScript exporter (`dynamo=False`) targets an opset below 16.

    ## Why is this bad for ONNX
    Before opset 16, `ScatterElements` had no `reduction` attribute: the TorchScript exporter
    writes a plain scatter, so when `index` sends two values to the same position the last one
    wins instead of their sum. Measured on torch 2.13: with repeated indices the exported model
    ran without error and returned wrong numbers (max abs difference 3.1) at opsets 11, 13 and
    15; no error, no warning. With unique indices the result was right, and at opset 16 and
    17 (`reduction="add"`) and with the dynamo exporter it matched. Since an index with
    repeats is what `scatter_add` is for (histograms, segment sums, voting), the rule does not
    try to prove the indices unique.

    ## Example
    ```python
    votes = x.new_zeros(n, k).scatter_add(1, labels, ones)
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=13)
    ```

    ## Use instead
    Export at opset 16 or later (the dynamo exporter always does), or, for a small number of
    bins, a one-hot sum (verified by the first harness run, docs/ground-truth.md):
    ```python
    votes = (labels.unsqueeze(-1) == torch.arange(k)).to(ones.dtype).mul(ones.unsqueeze(-1)).sum(1)
    ```

    ## Fix safety
    Display-only: the opset is chosen in the export script.

    ## References
    - ONNX ScatterElements (reduction from opset 16): https://onnx.ai/onnx/operators/onnx__ScatterElements.html
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset16.py (`scatter_add` with `reduction="add"`)
    - docs/measurements.md (ONX450 rows); docs/ground-truth.md, harness row scatter_add
    """

    code = "ONX450"
    name = "scatter_add_duplicate_indices"
    message = "`scatter_add` below ONNX opset 16 overwrites repeated indices instead of adding"
    fix_title = "Export with `opset_version=16` or later"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("scatter_add",)
    applies_to = "TorchScript exporter at opset < 16; silent at opset >= 16 and for dynamo"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified != "torch.scatter_add" and not (qualified is None and tensor_method(context, node, METHODS)):
            return
        config = context.export_config_for(node)
        entry = requirement("scatter_add.duplicates")
        if exports(entry, config) or not may_be_traced(context) or context.skipped_during_export(node):
            return
        self.report(
            node,
            f"`scatter_add` at ONNX opset {config.opset}: {config.exporter_label} writes ScatterElements without "
            f"reduction, so repeated indices overwrite instead of adding (silently wrong numbers); opset "
            f"{entry.legacy_min_opset} adds them",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_add(0, index, x)
            """,
            settings={"exporter": "legacy", "opset": 16},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return torch.scatter_add(x.new_zeros(4, 3), 0, index, x)
            """,
            settings={"exporter": "dynamo", "opset": 13},
        ),
        # Not known to be a tensor.
        Valid(
            """
            def accumulate(table, index, values):
                return table.scatter_add(0, index, values)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    out = x.new_zeros(4, 3)
                    out.scatter_add_(0, index, x)
                    return out
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 13},
            message_contains="opset 13",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return torch.scatter_add(x.new_zeros(4, 3), 0, index, x)

            torch.onnx.export(M(), (x, i), "m.onnx", dynamo=False, opset_version=11)
            """,
            line=4,
        ),
    ]
