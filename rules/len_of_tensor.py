from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Confidence, Invalid, Rule, Severity, replace_node

from ._sizes import in_loop_header, is_proven_tensor, is_strong_tensor, parenthesized


class LenOfTensor(Rule):
    """`len(t)` of a tensor in model code.

    ## What it does
    Flags `len(x)` where `x` is a tensor, inside `forward` and the functions it calls. (A loop
    over `range(len(x))` is ONX203's finding; `len(x.shape)`, the rank, is not flagged.) A
    `forward` parameter counts as a tensor only when the function also uses it as one
    (`x.sum()`, `x.view(...)`, `torch.cat([x, ...])`): `len(features)` of a list is fine.

    ## Why is this bad for ONNX
    `len()` must return a Python `int`, so the exporters cannot keep it symbolic the way they
    keep `x.shape[0]`. Measured on torch 2.13 with a dynamic batch, on the export input and on
    one of another batch size:
    - the TorchScript exporter (`dynamo=False`) records `len(x)` as the example's batch size,
      silently, whatever that size is;
    - the dynamo exporter records it silently too when the example has batch 1 (with
      `Dim.DYNAMIC`, which is what `dynamic_axes` and string dim names become) or with
      `Dim.AUTO` or `torch.export.Dim("name")` objects whatever the example's batch (measured on
      torch 2.13 and 2.14.1); with `Dim.DYNAMIC` and a batch of 2 or more the
      first capture fails and `torch.onnx.export` falls back to `torch.export(strict=True)`,
      which got it right.
    `x.shape[0]` and `x.size(0)` stayed dynamic in every one of those settings.

    Confidence: under the TorchScript exporter the finding is an error. Under the dynamo exporter
    it is `low` (`--confidence low`): whether the export uses a size-1 example or `Dim.AUTO` is in
    the export script, not in the model's code (ONX506 reports a size-1 example on a dynamic dim
    there). The fix is offered at every level.

    ## Example
    ```python
    def forward(self, x):
        return x.sum(0) / len(x)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x.sum(0) / x.shape[0]
    ```

    ## Fix safety
    The fix replaces `len(x)` with `x.shape[0]`: the same Python int in eager mode for every
    tensor with at least one dim (both raise on a 0-d tensor). It is safe only when `x` is proven
    a tensor: computed by torch in the function, or a parameter annotated as one. An unannotated
    `forward` parameter is only assumed a tensor (lists of feature maps are common, and
    `len(list)` has no `.shape`), so there the fix is unsafe, and so it is on what a method of
    such a value returns (`len(x.flatten(1))`: `.values()` of a dict would be no tensor either);
    inside `if isinstance(x, list):` nothing is reported. In a message (a `raise`, an f-string, a
    logger call) the fix is only shown: that code does not run in the exported graph.

    ## References
    - torch.export, 0/1 specialisation and `Dim.AUTO`: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - docs/measurements.md (ONX204 rows); docs/ground-truth.md, harness row shape_len
    """

    code = "ONX204"
    name = "len_of_tensor"
    message = "`len()` of a tensor is a Python int that the exporters can freeze at the example's size"
    fix_title = "Use `x.shape[0]`"
    fix_applicability = Applicability.SAFE
    trigger_names = ("len(",)
    applies_to = "both exporters (dynamo: with a size-1 example or Dim.AUTO)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        if len(node.args) != 1 or node.keywords or type(node.func) is not ast.Name:
            return
        if context.call_name(node) != "builtins.len" or not context.in_model_code:
            return
        value = node.args[0]
        if type(value) is ast.Starred or not is_strong_tensor(context, value):
            return
        if in_loop_header(context, node) or context.skipped_during_export(node):
            return  # range(len(x)) in a loop header is ONX203's finding
        config = context.export_config_for(node)
        confidence = None
        if config.is_legacy:
            consequence = "the TorchScript exporter records the example input's size as a constant"
            severity = Severity.ERROR
        else:
            # Measured: frozen only with a size-1 example (ONX506 reports one on a dynamic dim) or `Dim.AUTO`;
            # whether the export is set up so is not in the model's code, so the finding rests on it: `low`.
            consequence = (
                "the dynamo exporter freezes it at the example's size with a size-1 example, `Dim.AUTO` or "
                '`Dim("name")` objects; '
                "low confidence: with `Dim.DYNAMIC` (what `dynamic_axes` and string dim names become) and an "
                "example larger than 1 it was right (measured)"
            )
            severity = Severity.WARNING
            confidence = Confidence.LOW
        replacement = f"{parenthesized(context, value)}.shape[0]"
        self.report(
            node,
            f"`len()` of a tensor is a Python int: {consequence}",
            severity=severity,
            confidence=confidence,
            # Safe only on proof that the value is a tensor: `len()` of a list means something else entirely.
            fix=self.make_fix(
                [replace_node(context, node, replacement)],
                Applicability.SAFE if is_proven_tensor(context, value) else Applicability.UNSAFE,
                f"Use `{replacement}`",
            ),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Annotated a tensor, yet given to `torch.cat`: a list of tensors (transformers' ovis2_5).
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor, feats: torch.Tensor):
                n = len(feats)
                return torch.cat(feats, dim=0) * n + x
        """,
        # Narrowed by `isinstance`: a list here, whatever the parameter suggests.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, hidden_states):
                if isinstance(hidden_states, (list, tuple)):
                    n = len(hidden_states)
                    hidden_states = torch.stack(hidden_states).sum(0) / n
                return hidden_states.sum(-1)
        """,
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, feats: list[torch.Tensor]):
                n = len(feats) + len(x.shape) + x.shape[0]
                outs = [x] * 3
                return x * n * len(outs)
        """,
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, features):
                return [f * len(features) for f in features]
        """,
        # Not model code.
        """
        import torch
        def batch_size(x):
            return len(x)
        """,
    ]
    # Under the dynamo exporter (the default) the findings are `low`: the cases ask for that level.
    INVALID = [
        # A row of a loop over a tensor, rebound by masking (transformers' qwen2_5_vl `get_rope_index`).
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, input_ids: torch.LongTensor, mask: torch.Tensor):
                    out = [input_ids.shape[1]]
                    for i, row in enumerate(input_ids):
                        row = row[mask[i].bool()]
                        out.append(len(row))
                    return out
            """,
            line=7,
            settings={"confidence": "low"},
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.sum(0) / len(x)
            """,
            line=4,
            settings={"confidence": "low"},
            message_contains="dynamo",
            # `x` is only assumed a tensor (an unannotated `forward` parameter): the fix is unsafe.
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.sum(0) / x.shape[0]
            """,
        ),
        # Annotated: proven a tensor, the fix is safe.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    return x.sum(0) / len(x)
            """,
            line=4,
            settings={"confidence": "low"},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    return x.sum(0) / x.shape[0]
            """,
        ),
        # An unannotated parameter without the unsafe fixes: flagged, left as it is.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, feats):
                    return feats.sum(0) / len(feats)
            """,
            line=4,
            settings={"confidence": "low"},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, feats):
                    return feats.sum(0) / len(feats)
            """,
        ),
        # A method of a value only assumed a tensor gives a value only assumed one.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return len(x.flatten(1))
            """,
            line=4,
            settings={"confidence": "low"},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return len(x.flatten(1))
            """,
        ),
        # In a `raise` message: flagged, the fix only shown, even on a proven tensor.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu(x)
                    if y.shape[1] != 3:
                        raise ValueError(f"expected 3 channels in {len(y)} rows")
                    return y
            """,
            line=6,
            settings={"confidence": "low"},
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu(x)
                    if y.shape[1] != 3:
                        raise ValueError(f"expected 3 channels in {len(y)} rows")
                    return y
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu(x)
                    n = len(y + 1)
                    return y.reshape(n, -1)
            """,
            line=5,
            settings={"exporter": "legacy"},
            message_contains="TorchScript",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu(x)
                    n = (y + 1).shape[0]
                    return y.reshape(n, -1)
            """,
        ),
    ]
