from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class RandomOp(GraphCheck):
    """The traced graph draws random numbers (`randn`, `rand_like`, `bernoulli`, active dropout, ...).

    ## What it does
    Reports every op of the captured graph that PyTorch tags `nondeterministic_seeded` (the
    library's own list of ops that draw from the random generator), at the line of your code
    that calls it, unless the node's own arguments switch the randomness off (dropout in eval
    mode, `scaled_dot_product_attention` with `dropout_p=0`).

    ## Why is this bad for ONNX
    The ops export (ONNX has `RandomNormal`, `RandomUniform`, `Bernoulli`), but the exported
    model draws different numbers from PyTorch's on every run, so its outputs cannot be
    compared with PyTorch's, and a runtime may fold or reorder them. Measured on torch 2.13:
    `F.dropout(training=True)` loses its randomness under the TorchScript exporter at opset 11
    (harness row `rand_functional_dropout_training_true`: RAND-FROZEN, docs/ground-truth.md). Noise meant for
    training only usually belongs behind `if self.training:`.

    ## Example
    ```python
    def forward(self, x):
        return x + 0.1 * torch.randn_like(x)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        if self.training:
            x = x + 0.1 * torch.randn_like(x)
        return x
    ```

    ## Fix safety
    No fix: whether the randomness is wanted at inference is the author's decision.

    ## References
    - torch.Tag.nondeterministic_seeded: https://pytorch.org/docs/stable/torch.html#torch.Tag
    - docs/measurements.md (ONX405, ONX406 rows); docs/ground-truth.md, harness rows rand_*
    """

    code = "ONX708"
    name = "random_op"
    message = "The model draws random numbers, so the exported model's outputs differ from PyTorch's"
    severity = Severity.WARNING
    applies_to = "both exporters; found by tracing"
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    noise = torch.randn_like(x)
                    return x + 0.1 * noise
            """,
            inputs=("2x3",),
            expect=(("ONX708", 6),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = torch.nn.Dropout(0.2)

                def forward(self, x):
                    if self.training:
                        x = x + torch.randn_like(x)
                    q = self.drop(x).reshape(1, 1, 2, 3)
                    return torch.nn.functional.scaled_dot_product_attention(q, q, q)
            """,
            inputs=("2x3",),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        import torch

        from onnxlint.graph import ops

        seen: set[tuple[str, object]] = set()
        for node in ops.call_nodes(capture.graph_module):
            target = node.target
            if not ops.is_op_overload(target) or torch.Tag.nondeterministic_seeded not in target.tags:
                continue
            name = ops.packet_name(target)
            if not _draws(node):
                continue  # eval-mode dropout, attention with dropout_p=0: tagged random, but deterministic here
            frames = frames_from_stack_trace(node.meta.get("stack_trace"))
            key = (name, capture.site(frames))
            if key in seen:
                continue
            seen.add(key)
            yield Issue(
                f"`{ops.op_name(target)}` draws random numbers: the exported model's outputs will differ from "
                "PyTorch's on every run",
                frames,
                callees=ops.callees_of(node),
                extra={"op": ops.op_name(target)},
            )


def _draws(node) -> bool:
    """False when the node's own arguments switch its randomness off (`train=False`, `p=0`, `dropout_p=0`)."""
    from onnxlint.graph import ops

    schema = ops.schema(node.target)
    for position, parameter in enumerate(schema.arguments):
        if parameter.name not in ("train", "training", "p", "dropout_p"):
            continue
        default = parameter.default_value if parameter.has_default_value() else None
        value = node.kwargs.get(parameter.name, node.args[position] if position < len(node.args) else default)
        if value is False or (parameter.name in ("p", "dropout_p") and value == 0):
            return False
    return True
