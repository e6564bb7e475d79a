from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture

# ATen ops with a training flag, and that argument's name in their schema.
_TRAINING_ARGUMENT = {
    "batch_norm": "training",
    "native_batch_norm": "training",
    "_native_batch_norm_legit": "training",
    "dropout": "train",
    "feature_dropout": "train",
    "alpha_dropout": "train",
    "feature_alpha_dropout": "train",
}


class TrainingModeModule(GraphCheck):
    """A module runs in training mode in the traced graph (BatchNorm batch statistics, active Dropout).

    ## What it does
    Finds the ops that behave differently in training mode (batch norm with `training=True`,
    dropout with `train=True`) in the captured graph and reports each module that ran them,
    at the line of your code that calls the module. onnxlint builds models with `.eval()` as
    an export script should; trace the model as it is built (`--train-mode`, or
    `train = true` in a `[[tool.onnxlint.models]]` table) to see what an export script that
    forgets `model.eval()` would export.

    ## Why is this bad for ONNX
    Measured on torch 2.13 with every exporter and opset: a model exported in training mode
    computes different numbers from the eval-mode model (BatchNorm normalises with the
    statistics of the batch instead of its running statistics; Dropout drops, or is frozen
    into the graph). No error and no warning is raised.

    ## Example
    ```python
    model = Net()            # still in training mode
    torch.onnx.export(model, x, "net.onnx")
    ```

    ## Use instead
    ```python
    model = Net().eval()
    torch.onnx.export(model, x, "net.onnx")
    ```

    ## Fix safety
    No fix from the graph layer; the static catalogue flags export scripts without `.eval()`.

    ## References
    - torch.nn.Module.eval: https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    - docs/measurements.md (ONX503 rows); docs/ground-truth.md, harness rows train_mode_batchnorm, train_mode_dropout
    """

    code = "ONX707"
    name = "training_mode_module"
    message = "A module is in training mode at export, so the exported model computes different numbers"
    applies_to = "both exporters; found by tracing with --train-mode (train = true)"
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
                    self.bn = torch.nn.BatchNorm2d(4)

                def forward(self, x):
                    y = self.conv(x)
                    return self.bn(y)
            """,
            train=True,
            expect=(("ONX707", 12),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.bn = torch.nn.BatchNorm2d(3)
                    self.drop = torch.nn.Dropout(0.5)

                def forward(self, x):
                    return self.drop(self.bn(x))
            """,
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        from onnxlint.graph import ops

        # One finding per line of user code: a block class called 15 times is one line to fix.
        groups: dict[tuple[tuple[str, int] | None, str], list] = {}
        for node in ops.call_nodes(capture.graph_module):
            name = ops.packet_name(node.target)
            argument = _TRAINING_ARGUMENT.get(name)
            if argument is None or not _flag(node, argument):
                continue
            stack = node.meta.get("nn_module_stack") or {}
            path, kind = list(stack.values())[-1] if stack else ("", "")
            frames = frames_from_stack_trace(node.meta.get("stack_trace"))
            key = (capture.site(frames), name)
            modules = groups.setdefault(key, [])
            if not any(m[0] == (str(path) or "(the model)") for m in modules):
                modules.append((str(path) or "(the model)", kind, node, frames))
        for (_, name), modules in groups.items():
            module, kind, node, frames = modules[0]
            kind_name = str(getattr(kind, "__name__", kind)).rsplit(".", 1)[-1]
            more = f" and {len(modules) - 1} more" if len(modules) > 1 else ""
            effect = "normalises with batch statistics" if "norm" in name else "drops activations at random"
            yield Issue(
                f"`{module}`{more} ({kind_name}) {'are' if more else 'is'} in training mode: the exported graph "
                f"{effect} instead of computing what the eval-mode model computes; call `model.eval()` before exporting",
                frames,
                callees=ops.callees_of(node),
                extra={"modules": [m[0] for m in modules], "op": ops.op_name(node.target)},
            )


def _flag(node, argument: str) -> bool:
    from onnxlint.graph import ops

    schema = ops.schema(node.target) if ops.is_op_overload(node.target) else None
    if schema is None:
        return False
    for position, parameter in enumerate(schema.arguments):
        if parameter.name == argument:
            if argument in node.kwargs:
                return node.kwargs[argument] is True
            return position < len(node.args) and node.args[position] is True
    return False
