from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Kind, Rule, Valid, requirement

from ._operators import argument, exports, failure_text, may_be_traced

PAD = "torch.nn.functional.pad"
_COMPUTED = (Kind.DIM, Kind.SHAPE, Kind.DATA, Kind.TENSOR)


class PadAmountFromSize(Rule):
    """`F.pad` with amounts computed from sizes, exported below opset 11.

    ## What it does
    Flags `F.pad(x, pad, ...)` when the pad amounts are computed from tensor sizes or values
    (`(0, (4 - w % 4) % 4)` with `w = x.shape[-1]`) and the TorchScript exporter targets an
    opset below 11. Any mode: the limitation is in `Pad` itself.

    ## Why is this bad for ONNX
    Before opset 11, ONNX `Pad` took its amounts as an attribute, so they had to be constants.
    Measured on torch 2.13: "Unsupported: ONNX export of Pad in opset 9. The sizes of the
    padding must be constant. Please try opset version 11" at opsets 9 and 10, for constant
    and reflect padding, with dynamic and with static shapes (the tracer records the size
    arithmetic either way); opset 11 and later, and the dynamo exporter, matched.

    `reflect`, `replicate` and `circular` padding with constant amounts exported and matched
    at opsets 9, 10 and 11 with both dynamic and static shapes, and with the dynamo exporter,
    so they are not flagged: the claim that reflect or circular padding "needs opset 11 / 19"
    does not hold for these exporters (circular padding is exported as slices and a concat).

    ## Example
    ```python
    def forward(self, x):
        h, w = x.shape[-2:]
        return F.pad(x, (0, (8 - w % 8) % 8, 0, (8 - h % 8) % 8))

    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=10)
    ```

    ## Use instead
    Export at opset 11 or later (the dynamo exporter always does).

    ## Fix safety
    Display-only: the opset is chosen in the export script.

    ## References
    - ONNX Pad (pads became an input in opset 11): https://onnx.ai/onnx/operators/onnx__Pad.html
    - docs/measurements.md (ONX111 rows); docs/ground-truth.md, harness rows pad_*
    """

    code = "ONX111"
    name = "pad_amount_from_size"
    message = "`F.pad` with computed amounts cannot be exported below ONNX opset 11"
    fix_title = "Export with `opset_version=11` or later"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("pad",)
    applies_to = "TorchScript exporter at opset <= 10; silent at opset >= 11 and for dynamo"

    def visit_Call(self, node: ast.Call) -> None:
        if self.context.call_name(node) != PAD:
            return
        pad = argument(node, 1, "pad")
        if pad is None or not self._computed(pad):
            return
        config = self.context.export_config_for(node)
        entry = requirement("pad.dynamic_amount")
        if exports(entry, config) or not may_be_traced(self.context) or self.context.skipped_during_export(node):
            return
        self.report(
            node,
            f"`F.pad` with amounts computed from sizes: {failure_text(entry, config)}",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    def _computed(self, pad: ast.expr) -> bool:
        kind = self.context.kind
        if type(pad) in (ast.Tuple, ast.List):
            return any(kind(element) in _COMPUTED for element in pad.elts)  # type: ignore[attr-defined]
        return kind(pad) in _COMPUTED

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.pad(x, (1, 2, 2, 1), mode="reflect") + F.pad(x, [3, 3, 3, 3], mode="circular")
            """,
            settings={"exporter": "legacy", "opset": 9},
        ),
        Valid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    w = x.shape[-1]
                    return F.pad(x, (0, (4 - w % 4) % 4))
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        # Python amounts from the constructor.
        Valid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, amount: int = 2):
                    return F.pad(x, (amount, amount))
            """,
            settings={"exporter": "legacy", "opset": 10},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    w = x.shape[-1]
                    return F.pad(x, (0, (4 - w % 4) % 4), mode="reflect")
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 10},
            message_contains="opset 11",
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    pads = [0, x.size(3) % 2, 0, x.size(2) % 2]
                    return F.pad(x, pads)

            torch.onnx.export(M(), x, "m.onnx", dynamo=False, opset_version=9)
            """,
            line=6,
        ),
    ]
