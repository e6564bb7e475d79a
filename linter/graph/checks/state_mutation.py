from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture

# Buffers that BatchNorm updates in training mode: ONX707 reports the module itself.
_NORM_STATISTICS = ("running_mean", "running_var", "num_batches_tracked")


class StateMutation(GraphCheck):
    """`forward` writes into a buffer or into one of its inputs in place.

    ## What it does
    Finds every op of the captured graph that writes into its argument (by the op's schema)
    where that argument is, or is a view of, a buffer or a user input, and reports it at the
    line of your code that does it (`self.count += 1`, `self.cache.copy_(x)`, `x.add_(1)` on an
    input). BatchNorm's running statistics are left to ONX707.

    ## Why is this bad for ONNX
    An ONNX model has no state: the exported graph computes the new buffer value but does
    not keep it, so a model that counts calls, keeps a running average or caches a tensor
    between calls behaves differently after export. In-place ops on inputs export and match
    (measured on torch 2.13: `inplace_on_input_iadd`), but the caller's tensor is no longer
    modified, so this is reported as information.

    ## Example
    ```python
    def forward(self, x):
        self.calls += 1
        return x * self.scale
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x * self.scale        # keep state outside the exported model
    ```

    ## Fix safety
    No fix: where the state should live is the author's decision.

    ## References
    - torch.export graph signature: https://pytorch.org/docs/stable/export.html#torch.export.ExportGraphSignature
    - docs/measurements.md (ONX404 rows); docs/ground-truth.md, harness rows inplace_*
    """

    code = "ONX709"
    name = "state_mutation"
    message = "forward mutates a buffer or an input in place; the exported model keeps no state"
    severity = Severity.WARNING
    applies_to = "both exporters; found by tracing"
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("calls", torch.zeros(()))

                def forward(self, x):
                    self.calls += 1
                    return x * 2
            """,
            inputs=("2x3",),
            expect=(("ONX709", 10),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("scale", torch.ones(()))

                def forward(self, x):
                    return x * self.scale
            """,
            inputs=("2x3",),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    x[:, 0].add_(1)
                    return x * 2
            """,
            inputs=("2x3",),
            expect=(("ONX709", 6),),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        from torch.export.graph_signature import InputKind

        from onnxlint.graph import ops

        program = capture.program
        owners: dict[str, tuple[str, str]] = {}
        for spec in program.graph_signature.input_specs:
            if spec.kind == InputKind.BUFFER:
                owners[spec.arg.name] = ("buffer", str(spec.target))
            elif spec.kind == InputKind.USER_INPUT:
                owners[spec.arg.name] = ("input", spec.arg.name)
        reported: set[str] = set()
        for node in program.graph.nodes:
            if node.op != "call_function" or not ops.is_op_overload(node.target):
                continue
            for position, argument in enumerate(ops.schema(node.target).arguments):
                alias = argument.alias_info
                if alias is None or not alias.is_write:
                    continue
                value = node.kwargs.get(argument.name, node.args[position] if position < len(node.args) else None)
                base = _base(value)
                if base is None or base.name not in owners:
                    continue
                kind, target = owners[base.name]
                if target in reported or (kind == "buffer" and target.endswith(_NORM_STATISTICS)):
                    continue
                reported.add(target)
                frames = frames_from_stack_trace(node.meta.get("stack_trace"))
                if kind == "buffer":
                    yield Issue(
                        f"forward updates buffer `{target}` in place: the exported model computes the new value but "
                        "does not keep it between runs",
                        frames,
                        callees=ops.callees_of(node),
                        extra={"buffer": target},
                    )
                else:
                    yield Issue(
                        f"forward modifies its input `{target}` in place: the exported model returns the same "
                        "outputs but leaves the caller's tensor unchanged",
                        frames,
                        severity=Severity.INFO,
                        callees=ops.callees_of(node),
                        extra={"input": target},
                    )


def _base(value):
    """The placeholder a (possibly viewed) tensor argument comes from, or None."""
    import torch

    from onnxlint.graph import ops

    for _ in range(50):
        if not isinstance(value, torch.fx.Node):
            return None
        if value.op == "placeholder":
            return value
        target = value.target
        schema = ops.schema(target) if ops.is_op_overload(target) else None
        if value.op != "call_function" or schema is None or not schema.arguments:
            return None
        first = schema.arguments[0].alias_info
        if first is None:  # not a view of its first argument
            return None
        value = value.args[0] if value.args else None
    return None
