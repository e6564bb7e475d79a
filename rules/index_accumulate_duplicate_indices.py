from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._operators import argument, exports, literal, may_be_traced, tensor_method

INDEX_ADD_METHODS = frozenset({"index_add", "index_add_"})
INDEX_PUT_METHODS = frozenset({"index_put", "index_put_"})


class IndexAccumulateDuplicateIndices(Rule):
    """`index_add` or `index_put(..., accumulate=True)` under the TorchScript exporter.

    ## What it does
    Flags `x.index_add(dim, index, source)`, `index_add_`, `torch.index_add`, and
    `x.index_put(indices, values, accumulate=True)` / `index_put_` / `torch.index_put` with
    `accumulate=True`, when the TorchScript exporter (`dynamo=False`) is used, at any opset.

    ## Why is this bad for ONNX
    Both accumulate values at indices that may repeat. The TorchScript exporter translates
    them to a scatter without reduction at every opset (`index_add` calls the opset-9
    `scatter_add` symbolic even at opset 20), so a repeated index keeps only one of its
    values. Measured on torch 2.13: `index_add` with index `[0, 2, 0]` returned wrong numbers
    (max abs difference 2.1) at opsets 11, 17 and 20, and `index_put(..., accumulate=True)`
    with repeated indices at 11, 13, 17 and 20, with no error (the `index_add` symbolic emits a
    Python warning, "does not support duplicated values in 'index'", which export logs bury).
    Unique indices gave the right numbers, and the dynamo exporter matched in every case.

    ## Example
    ```python
    pooled = x.new_zeros(b, k, d).index_add(1, cluster, x)
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=17)
    ```

    ## Use instead
    Export with the dynamo exporter, or accumulate with a one-hot matmul (verified by
    the first harness run, docs/ground-truth.md):
    ```python
    onehot = (cluster.unsqueeze(0) == torch.arange(k).unsqueeze(1)).to(x.dtype)  # (k, n)
    pooled = onehot @ x
    ```
    At opset 16 and later, `scatter_add` with an expanded index also adds repeats correctly.

    ## Fix safety
    Display-only: the exporter is chosen in the export script, and the rewrites depend on the
    index's shape.

    ## References
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset9.py (`index_add`), symbolic_opset11.py (`index_put`)
    - docs/measurements.md (ONX451 rows); docs/ground-truth.md, harness row index_add
    """

    code = "ONX451"
    name = "index_accumulate_duplicate_indices"
    message = "`index_add` / accumulating `index_put` exported by the TorchScript exporter overwrites repeated indices"
    fix_title = "Export with the dynamo exporter, or accumulate with a one-hot matmul"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("index_add", "index_put")
    applies_to = "TorchScript exporter, every opset; silent for dynamo"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.index_add" or (qualified is None and tensor_method(context, node, INDEX_ADD_METHODS)):
            what, key = "`index_add`", "index_add.duplicates"
        elif qualified == "torch.index_put" or (qualified is None and tensor_method(context, node, INDEX_PUT_METHODS)):
            position = 3 if qualified else 2  # torch.index_put(input, indices, values, accumulate)
            if literal(argument(node, position, "accumulate"), False) is not True:
                return
            what, key = "`index_put(..., accumulate=True)`", "index_put.accumulate"
        else:
            return
        config = context.export_config_for(node)
        if exports(requirement(key), config) or not may_be_traced(context) or context.skipped_during_export(node):
            return
        self.report(
            node,
            f"{what} with {config.exporter_label}: repeated indices overwrite instead of accumulating, at every "
            "opset (silently wrong numbers; the dynamo exporter accumulates them)",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).index_add(0, index, x)
            """,
            settings={"exporter": "dynamo"},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.index_put((index,), x[:3]), x.index_put_((index,), x[:3], accumulate=False)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).index_add(0, index, x)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 20},
            message_contains="repeated",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    out = torch.zeros(4, 3)
                    out.index_put_((index,), x, accumulate=True)
                    return torch.index_put(out, (index,), x, True)

            torch.onnx.export(M(), (x, i), "m.onnx", dynamo=False)
            """,
            count=2,
        ),
    ]
