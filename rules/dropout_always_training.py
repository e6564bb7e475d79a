from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Confidence,
    Fix,
    Invalid,
    Rule,
    add_keyword_argument,
    replace_node,
    requirement,
)

from ._numerics import training_only
from ._operators import UNKNOWN, exports, literal

# qualified name -> (position of `training`, default of `training`, OP_REQUIREMENTS key)
DROPOUTS: dict[str, tuple[int, bool | None, str]] = {
    "torch.nn.functional.dropout": (2, True, "dropout.training"),
    "torch.nn.functional.dropout1d": (2, True, "feature_dropout.training"),
    "torch.nn.functional.dropout2d": (2, True, "feature_dropout.training"),
    "torch.nn.functional.dropout3d": (2, True, "feature_dropout.training"),
    "torch.nn.functional.alpha_dropout": (2, False, "feature_dropout.training"),
    "torch.nn.functional.feature_alpha_dropout": (2, False, "feature_dropout.training"),
    # torch.dropout(input, p, train): `train` has no default
    "torch.dropout": (2, None, "dropout.training"),
    "torch.feature_dropout": (2, None, "feature_dropout.training"),
    "torch.alpha_dropout": (2, None, "feature_dropout.training"),
    "torch.feature_alpha_dropout": (2, None, "feature_dropout.training"),
}
_KEYWORDS = ("training", "train")


class DropoutAlwaysTraining(Rule):
    """Functional dropout that stays on in eval mode (`F.dropout(x, p)` without `training=self.training`).

    ## What it does
    Flags `F.dropout`, `F.dropout1d/2d/3d` in model code whose `training` argument is left out
    (its default is `True`) or is literally `True`, and `F.alpha_dropout`,
    `F.feature_alpha_dropout`, `torch.dropout(x, p, True)` and friends with a literal `True`.
    Calls with `p=0`, and calls that only run in training (`if self.training:`), are not flagged.

    Confidence: a literal `training=True` (or `torch.dropout(x, p, True)`) written out asks for dropout at inference
    (Monte-Carlo dropout; ESMFold2 resamples its per-loop LM dropout under `eval()` on purpose). Where the exporter
    keeps a training-mode Dropout (the dynamo exporter; the TorchScript one from opset 12), the ONNX model drops
    values as the PyTorch model does, so such a call is reported at `low` confidence, saying why. The default left
    out (`F.dropout(x, p)`) and a `training` argument that is not a literal keep their level, and so does a literal
    `True` where the export removes the dropout (TorchScript, opset 11 and below) or raises.

    ## Why is this bad for ONNX
    Unlike `nn.Dropout`, the functional form does not follow `model.eval()`: `F.dropout(x, 0.5)`
    zeroes half the values at inference too. What the export makes of it, measured on torch 2.13
    (model in eval mode, as exported):
    - TorchScript exporter, opset 9-11: the ONNX `Dropout` has no training mode before opset 12
      and onnxruntime runs it as the identity: every run gives the same output, equal to the
      input (measured RAND-FROZEN; the first harness run's notes, docs/ground-truth.md, call it a
      frozen mask: it is in fact removed).
      The exported model no longer computes what the PyTorch model computes.
    - TorchScript exporter at opset 12 and later, and the dynamo exporter: `Dropout` with
      `training_mode=True`: the deployed model drops random values on every run.
    - `dropout1d/2d/3d`, `alpha_dropout`, `feature_alpha_dropout` in training mode: the TorchScript
      exporter raises ("ONNX export of operator aten::feature_dropout, training mode"); dynamo
      writes random ops.
    `F.dropout(x, p, training=self.training)` exported in eval mode matched everywhere.

    ## Example
    ```python
    def forward(self, x):
        return self.fc(F.dropout(x, 0.2))
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return self.fc(F.dropout(x, 0.2, training=self.training))
    ```
    (or an `nn.Dropout` submodule, which follows `model.eval()`).

    ## Fix safety
    Passing `training=self.training` is unsafe: it changes the model's outputs in eval mode (that
    is the point: dropout at inference is almost always a bug, but a Monte-Carlo-dropout model
    wants it). Offered inside methods with `self`; elsewhere the suggestion is display-only.

    ## References
    - torch.nn.functional.dropout (training defaults to True): https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
    - ONNX Dropout-12 (training_mode): https://onnx.ai/onnx/operators/onnx__Dropout.html
    - docs/measurements.md (ONX406 rows); docs/ground-truth.md, harness row rand_functional_dropout_training_true
    """

    code = "ONX406"
    name = "dropout_always_training"
    message = "Functional dropout without `training=self.training` keeps dropping values in eval mode"
    fix_title = "Pass `training=self.training`"
    fix_applicability = Applicability.UNSAFE
    trigger_names = ("dropout",)
    applies_to = "both exporters (opset <= 11 TorchScript: dropout removed; else: random at inference; feature dropout: TorchScript export error)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        if not context.in_model_code:
            return
        qualified = context.call_name(node)
        spec = DROPOUTS.get(qualified or "")
        if spec is None:
            return
        position, default, key = spec
        if any(k.arg is None for k in node.keywords) or any(type(a) is ast.Starred for a in node.args):
            return  # `**options` / `*args` may carry `training`
        training_node = self._training_argument(node, position)
        training = default if training_node is None else literal(training_node)
        if training is not True:
            return
        p_node = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "p"), None)
        p = literal(p_node, 0.5)
        if p is not UNKNOWN and p == 0:
            return
        if training_only(context, node) or context.skipped_during_export(node):
            return
        config = context.export_config_for(node)
        entry = requirement(key)
        short = qualified.replace("torch.nn.functional.", "F.")  # type: ignore[union-attr]
        how = "with `training=True`" if training_node is not None else "(its `training` defaults to True)"
        if not exports(entry, config):
            if key == "dropout.training" and config.is_legacy:
                outcome = (
                    f"{config.exporter_label} at opset {config.opset} writes a Dropout without training mode, which "
                    "onnxruntime runs as the identity: the ONNX model differs from the PyTorch model "
                    f"(opset {entry.legacy_min_opset}+ keeps it random)"
                )
            else:
                outcome = f"{config.exporter_label} raises (training-mode feature dropout has no ONNX translation)"
        else:
            outcome = (
                f"{config.exporter_label} exports a training-mode Dropout: the deployed model drops random values "
                "on every run"
            )
            if training_node is not None:
                # `training=True` written out asks for dropout at inference (Monte-Carlo dropout, ESMFold2's per-loop
                # LM dropout): the exported model drops values as the PyTorch model does, so the export keeps what the
                # author wrote; a hazard only if the literal is a mistake.
                message = (
                    f"`{short}` {how} drops values in eval mode too; {outcome}; low confidence: `training=True` is "
                    "written out, so dropout at inference is asked for, and the export keeps it as eager runs it"
                )
                self.report(node, message, fix=self._fix(node, training_node), confidence=Confidence.LOW)
                return
        self.report(
            node, f"`{short}` {how} drops values in eval mode too; {outcome}", fix=self._fix(node, training_node)
        )

    @staticmethod
    def _training_argument(node: ast.Call, position: int) -> ast.expr | None:
        for keyword in node.keywords:
            if keyword.arg in _KEYWORDS:
                return keyword.value
        if len(node.args) > position and not any(type(a) is ast.Starred for a in node.args[: position + 1]):
            return node.args[position]
        return None

    def _fix(self, node: ast.Call, training_node: ast.expr | None) -> Fix:
        context = self.context
        info = context.function
        method = info is not None and info.owner is not None
        arguments = getattr(info.node, "args", None) if info is not None else None
        first = (arguments.posonlyargs + arguments.args)[:1] if arguments is not None else []
        if not method or not first or first[0].arg != "self":
            return self.make_fix([], Applicability.DISPLAY_ONLY)
        if training_node is not None:
            edit = replace_node(context, training_node, "self.training")
        else:
            edit = add_keyword_argument(context, node, "training=self.training")
        return self.make_fix([edit], Applicability.UNSAFE)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x):
                x = F.dropout(x, 0.5, self.training)
                x = F.dropout(x, p=0.1, training=self.training)
                x = F.dropout(x, p=0.0)
                x = F.alpha_dropout(x, 0.2)
                x = F.dropout(x, **self.options)
                if self.training:
                    x = F.dropout2d(x, 0.1)
                return torch.dropout(x, 0.5, False)
        """,
        # Not model code.
        """
        import torch.nn.functional as F
        def augment(x):
            return F.dropout(x, 0.5)
        """,
        # Dropout at inference written out (Monte-Carlo dropout): the dynamo export keeps it; `low` only.
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x):
                return F.dropout(x, p=0.25, training=True)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.dropout(x, 0.2)
            """,
            line=5,
            message_contains="random",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.dropout(x, 0.2, training=self.training)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            class M(nn.Module):
                def forward(self, x):
                    x = nn.functional.dropout(x, 0.5, True)
                    return torch.dropout(x, 0.1, train=True)
            """,
            count=2,
            settings={"exporter": "legacy", "opset": 11},
            message_contains="identity",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            from torch import nn
            class M(nn.Module):
                def forward(self, x):
                    x = nn.functional.dropout(x, 0.5, self.training)
                    return torch.dropout(x, 0.1, train=self.training)
            """,
        ),
        # `training=True` written out: dropout at inference asked for, kept by the dynamo exporter as eager runs it.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.dropout(x, p=0.25, training=True)
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="low confidence: `training=True` is written out, so dropout at inference is asked for",
        ),
        Invalid(
            """
            import torch.nn.functional as F
            def head(x):
                return F.dropout2d(x, 0.1)

            class M:
                def forward(self, x):
                    return head(x)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="raises",
        ),
    ]
