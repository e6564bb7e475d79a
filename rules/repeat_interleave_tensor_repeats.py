from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Kind, Rule, Valid, requirement

from ._operators import argument, exports, may_be_traced, tensor_method

METHODS = frozenset({"repeat_interleave"})


class RepeatInterleaveTensorRepeats(Rule):
    """`repeat_interleave` with a tensor of repeats under the TorchScript exporter.

    ## What it does
    Flags `x.repeat_interleave(repeats, dim)` and `torch.repeat_interleave(x, repeats, dim)`
    when `repeats` is a tensor (known from the source) and the TorchScript exporter
    (`dynamo=False`) is used, at any opset. Integer repeats are fine and not flagged.

    ## Why is this bad for ONNX
    Measured on torch 2.13: with `repeats=torch.tensor([1, 2, 3])` the TorchScript exporter
    writes a model that onnxruntime refuses to load ("Concat ... Can't merge shape info"), at
    opsets 11, 17 and 20; with repeats computed from the data the model loads but fails at
    run time. The export itself raises no error, so the failure surfaces only at deployment.
    The dynamo exporter exported both cases and they matched; `repeat_interleave(2, dim=1)`
    is fine with both.

    ## Example
    ```python
    def forward(self, x):
        return x.repeat_interleave(torch.tensor([1, 2, 3]), dim=1)
    ```

    ## Use instead
    Export with the dynamo exporter, or, when the repeats are constants, gather with
    precomputed indices:
    ```python
    def forward(self, x):
        return x.index_select(1, torch.tensor([0, 1, 1, 2, 2, 2]))
    ```

    ## Fix safety
    Display-only: the repeats are rarely literals the fix could expand.

    ## References
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset13.py (`repeat_interleave`)
    - docs/measurements.md (ONX109 rows); docs/ground-truth.md, harness rows repeat_interleave_*, dd_repeat_interleave_data
    """

    code = "ONX109"
    name = "repeat_interleave_tensor_repeats"
    message = "`repeat_interleave` with a tensor of repeats does not run in onnxruntime when exported by the TorchScript exporter"
    fix_title = "Export with the dynamo exporter, or gather with precomputed indices"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("repeat_interleave",)
    applies_to = "TorchScript exporter, every opset; silent for dynamo and integer repeats"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.repeat_interleave":
            repeats = argument(node, 1, "repeats")
        elif qualified is None and tensor_method(context, node, METHODS):
            repeats = argument(node, 0, "repeats")
        else:
            return
        if repeats is None or context.kind(repeats) is not Kind.TENSOR:
            return
        config = context.export_config_for(node)
        entry = requirement("repeat_interleave.tensor")
        if exports(entry, config) or not may_be_traced(context) or context.skipped_during_export(node):
            return
        self.report(
            node,
            f"`repeat_interleave` with a tensor of repeats: {config.exporter_label} writes a model that onnxruntime "
            f"cannot load or run (at every opset; the dynamo exporter handles it)",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.repeat_interleave(2, dim=1), torch.repeat_interleave(x, 3, 0)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.repeat_interleave(torch.tensor([1, 2, 3]), dim=1)
            """,
            settings={"exporter": "dynamo"},
        ),
        # Repeats of unknown kind: silent.
        Valid(
            """
            import torch
            def expand(x, counts):
                return x.repeat_interleave(counts, dim=0)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.repeat_interleave(torch.tensor([1, 2, 3]), dim=1)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="onnxruntime",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, counts):
                    return torch.repeat_interleave(x, counts.long(), dim=0)

            torch.onnx.export(M(), (x, c), "m.onnx", dynamo=False)
            """,
            line=4,
        ),
    ]
