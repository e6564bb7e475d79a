from __future__ import annotations

import ast
import re
from typing import cast

from onnxlint.rules.api import Applicability, Edit, Invalid, Location, Rule, Severity

from ._export_call import (
    argument,
    enclosing_scope,
    enclosing_statement,
    exporter_hidden,
    is_onnx_export,
    is_parameter,
    position_of,
    scope_nodes,
)

# Functions known to return a freshly built nn.Module (in training mode).
_MODEL_FACTORIES = ("torchvision.models.", "timm.create_model", "torch.hub.load", "segmentation_models_pytorch.")
# Methods of an nn.Module that return the module itself, keeping its mode.
_SAME_MODULE = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "requires_grad_", "share_memory"})
_CLASS_NAME = re.compile(r"^_*[A-Z]")
_TRAINING, _EVAL, _UNKNOWN = "training", "eval", "unknown"


class ExportWithoutEval(Rule):
    """A model exported without `model.eval()` (or `.train(False)`) before the export call.

    ## What it does
    Follows the model passed to `torch.onnx.export` back through the script (the last
    assignment to that name in the same function or at module level) and flags the call when
    the model was built there (`Net(...)`, `torchvision.models.*`, `timm.create_model`, ...)
    and never put in eval mode before the call: no `model.eval()`, `model.train(False)` or
    `model = Net().eval()`. A `with torch.no_grad():` block does not change the mode and does
    not count. A model that comes from a function parameter, an attribute, or a helper the
    script does not show is not flagged.

    ## Why is this bad for ONNX
    Measured on torch 2.13, comparing the ONNX model with the eval-mode model (what a deployed
    model should compute), which differs from the folklore that "every exporter exports
    training mode":
    - the dynamo exporter (the default) exports a training-mode model as it runs: `Dropout`
      stays in the graph as an active ONNX `Dropout`, so the deployed model drops activations
      at random on every call; `self.training` branches take their training path. It warns
      ("Exporting a model while it is in training mode"), and writes the file anyway.
      BatchNorm was exported with its running statistics (eval behaviour) all the same;
    - the TorchScript exporter (`dynamo=False`) switches the model to eval mode for the export
      (its deprecated `training=TrainingMode.EVAL` default), so the ONNX file matched the
      eval-mode model for BatchNorm and Dropout; this rule flags it only with
      `training=TrainingMode.PRESERVE`.

    The script's own follow-up checks also go wrong in training mode: comparing the ONNX
    output with `model(x)` compares against dropout noise and batch statistics, and each such
    call updates BatchNorm's running statistics.

    ## Example
    ```python
    model = NestedUNet(num_classes=1)
    model.load_state_dict(torch.load("best_model.pth", weights_only=True))
    torch.onnx.export(model, dummy_input, "model.onnx")
    ```

    ## Use instead
    ```python
    model = NestedUNet(num_classes=1)
    model.load_state_dict(torch.load("best_model.pth", weights_only=True))
    model.eval()
    torch.onnx.export(model, dummy_input, "model.onnx")
    ```

    ## Fix safety
    The fix inserts `model.eval()` on the line before the export call (or appends `.eval()`
    to a model built inside the call). It is unsafe: it changes the exported numbers (that is
    its point: active dropout becomes the identity), and everything after the call now runs
    in eval mode too, which is wrong in a training loop that exports a checkpoint and then
    goes on training (call `model.train()` after the export there).

    ## References
    - torch.nn.Module.eval: https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    - torch.onnx.export (`training` is deprecated: set the mode on the model):
      https://pytorch.org/docs/stable/onnx_export.html
    - docs/measurements.md (ONX503 rows)
    """

    code = "ONX503"
    name = "export_without_eval"
    message = "The model is exported in training mode: `model.eval()` is not called before the export"
    fix_title = "Call `model.eval()` before the export"
    fix_applicability = Applicability.UNSAFE
    fix_scope = "script"
    severity = Severity.WARNING
    trigger_names = ("export",)
    applies_to = "dynamo exporter (Dropout and `self.training` branches stay active); TorchScript exporter only with training=PRESERVE"

    def visit_Call(self, node: ast.Call) -> None:
        if exporter_hidden(node) or not is_onnx_export(self.context, node):
            return
        config = self.context.export_config_for(node)
        if config.is_legacy and not _preserves_training(node):
            return
        model = argument(node, 0, "model")
        if model is None:
            return
        if type(model) is ast.Call:
            if self._builds_module(model) and not _ends_in_eval(model):
                self._report(node, config, fix_edit=Edit.insertion(self.context.source.end_of(model), ".eval()"))
            return
        if type(model) is not ast.Name:
            return
        if self._mode_before(model.id, node) == _TRAINING:
            self._report(node, config, name=model.id)

    def _report(self, node: ast.Call, config, *, name: str | None = None, fix_edit: Edit | None = None) -> None:
        if config.is_dynamo:
            why = (
                f"{config.exporter_label} exports it as it runs: Dropout stays active in the ONNX graph "
                "(random outputs, measured) and `self.training` branches take their training path"
            )
        else:
            why = f"{config.exporter_label} with `training=TrainingMode.PRESERVE` exports BatchNorm and Dropout in training mode"
        subject = f"`{name}`" if name else "The model"
        message = f"{subject} is exported in training mode (no `.eval()` before `torch.onnx.export`): {why}"
        edit = fix_edit if fix_edit is not None else self._eval_line(node, name)
        fix = self.make_fix([edit], Applicability.UNSAFE) if edit is not None else None
        self.report(node, message, fix=fix)

    def _eval_line(self, node: ast.Call, name: str | None) -> Edit | None:
        statement = enclosing_statement(self.context, node)
        if statement is None or name is None:
            return None
        source = self.context.source
        line = source.line(statement.lineno)
        indent = source.indentation(statement.lineno)
        if line[len(indent) :].startswith(("else", "elif")) or source.start_of(statement).column != len(indent) + 1:
            return None  # not the first thing on its line (`if c: export(...)`, `a; export(...)`)
        return Edit.insertion(Location(statement.lineno, 1), f"{indent}{name}.eval(){source.newline()}")

    def _builds_module(self, call: ast.Call) -> bool:
        while type(call.func) is ast.Attribute and call.func.attr in _SAME_MODULE and type(call.func.value) is ast.Call:
            call = call.func.value
        qualified = self.context.call_name(call) or ""
        if qualified.startswith(_MODEL_FACTORIES):
            return True
        if qualified.startswith("torch.") and not qualified.startswith("torch.nn."):
            return False
        func = call.func
        name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""
        return bool(_CLASS_NAME.match(name)) and name not in ("Path", "DataLoader")

    def _mode_before(self, name: str, call: ast.Call) -> str:
        """The mode `name` is in when `call` runs, from what the same scope did to it before."""
        scope = enclosing_scope(self.context, call)
        if is_parameter(scope, name):
            return _UNKNOWN
        events: list[tuple[tuple[int, int], str]] = []
        limit = position_of(call)
        for node in scope_nodes(scope):
            if not hasattr(node, "lineno") or position_of(node) >= limit:
                continue
            event = self._event(node, name)
            if event is not None:
                events.append((position_of(node), event))
        if not events:
            return _UNKNOWN  # bound elsewhere (a global set up by another function, an import)
        events.sort(key=lambda item: item[0])
        return events[-1][1]

    def _event(self, node: ast.AST, name: str) -> str | None:
        node_type = type(node)
        if node_type is ast.Assign or node_type is ast.AnnAssign:
            targets = node.targets if node_type is ast.Assign else [node.target]  # type: ignore[attr-defined]
            named = [t for t in targets if type(t) is ast.Name and t.id == name]
            if not named:
                if any(type(n) is ast.Name and n.id == name for t in targets for n in ast.walk(t)):
                    return _UNKNOWN
                if any(
                    type(t) is ast.Attribute
                    and type(t.value) is ast.Name
                    and t.value.id == name
                    and t.attr == "training"
                    for t in targets
                ):
                    return _UNKNOWN
                return None
            value = node.value  # type: ignore[attr-defined]
            if value is None:
                return None
            if _ends_in_eval(value):
                return _EVAL
            base = value
            while type(base) is ast.Call and type(base.func) is ast.Attribute and base.func.attr in _SAME_MODULE:
                base = base.func.value
            if type(base) is ast.Name and base.id == name:
                return None  # `model = model.to(device)`: same module, same mode
            if type(value) is ast.Call and any(type(a) is ast.Name and a.id == name for a in value.args):
                return None  # `model = nn.DataParallel(model)`: a wrapper runs the module in its own mode
            if type(value) is ast.Call and any(
                type(a) is ast.Name for a in [*value.args, *(k.value for k in value.keywords)]
            ):
                return _UNKNOWN  # `full = Pipeline(model, post)`: wraps modules whose mode the script set elsewhere
            if type(value) is ast.Call and self._builds_module(value):
                return _TRAINING
            return _UNKNOWN
        if node_type in (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Import, ast.ImportFrom):
            bound = node.target if node_type in (ast.For, ast.AsyncFor) else None  # type: ignore[attr-defined]
            if bound is not None and any(type(n) is ast.Name and n.id == name for n in ast.walk(bound)):
                return _UNKNOWN
            if node_type in (ast.With, ast.AsyncWith):
                for item in node.items:  # type: ignore[attr-defined]
                    if item.optional_vars is not None and any(
                        type(n) is ast.Name and n.id == name for n in ast.walk(item.optional_vars)
                    ):
                        return _UNKNOWN
            return None
        if node_type is not ast.Call:
            return None
        call = cast(ast.Call, node)
        func = call.func
        if type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == name:
            if func.attr == "eval":
                return _EVAL
            if func.attr == "train":
                return _EVAL if _train_false(call) else (_TRAINING if _train_literal(call) else _UNKNOWN)
            return None
        # Passed to a function the script does not show: it may set the mode.
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if any(type(a) is ast.Name and a.id == name for a in arguments):
            qualified = self.context.call_name(call) or ""
            if qualified in ("torch.onnx.export", "builtins.print", "builtins.len", "builtins.isinstance"):
                return None
            return _UNKNOWN
        return None

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        model = Net()
        model.load_state_dict(torch.load("w.pth", weights_only=True))
        model.eval()
        torch.onnx.export(model, x, "m.onnx")
        """,
        """
        import torch
        model = Net().to("cpu").eval()
        torch.onnx.export(model, x, "m.onnx")
        """,
        """
        import torch
        model = Net()
        model.train(False)
        torch.onnx.export(model, x, "m.onnx")
        """,
        # The model comes from elsewhere: the caller decides its mode.
        """
        import torch
        def export(model, path):
            torch.onnx.export(model, torch.randn(2, 3, 8, 8), path)
        """,
        """
        import torch
        model = load_model("w.pth")
        torch.onnx.export(model, x, "m.onnx")
        """,
        """
        import torch
        class Exporter:
            def run(self):
                torch.onnx.export(self.model, self.x, "m.onnx")
        """,
        # Passed to a helper the script does not show: it may set the mode.
        """
        import torch
        model = Net()
        prepare_for_export(model)
        torch.onnx.export(model, x, "m.onnx")
        """,
        # A wrapper around a module built elsewhere.
        """
        import torch
        complete = ExportPipeline(model, postprocess)
        torch.onnx.export(complete, x, "m.onnx")
        """,
        # The exporter may be chosen in **kwargs (`{"dynamo": False}`).
        """
        import torch
        model = Net()
        torch.onnx.export(model, x, "m.onnx", **export_kwargs)
        """,
        # The TorchScript exporter exports in eval mode unless told otherwise (measured).
        """
        import torch
        model = Net()
        torch.onnx.export(model, x, "m.onnx", dynamo=False)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model = Net()
            model.load_state_dict(torch.load("w.pth", weights_only=True))
            with torch.no_grad():
                torch.onnx.export(model, x, "m.onnx")
            """,
            line=5,
            message_contains="dynamo",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            model = Net()
            model.load_state_dict(torch.load("w.pth", weights_only=True))
            with torch.no_grad():
                model.eval()
                torch.onnx.export(model, x, "m.onnx")
            """,
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(Net(), x, "m.onnx")
            """,
            line=2,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            torch.onnx.export(Net().eval(), x, "m.onnx")
            """,
        ),
        Invalid(
            """
            import timm
            import torch

            def main():
                net = timm.create_model("resnet18")
                net.eval()
                net.train()
                torch.onnx.export(net, x, "m.onnx")
            """,
            line=8,
        ),
        Invalid(
            """
            import torch
            model = Net()
            torch.onnx.export(model, x, "m.onnx", dynamo=False, training=torch.onnx.TrainingMode.PRESERVE)
            """,
            line=3,
            message_contains="TorchScript",
        ),
    ]


def _ends_in_eval(expr: ast.expr) -> bool:
    """`Net().eval()`, `Net().eval().to(device)`, `net.train(False)`."""
    while type(expr) is ast.Call and type(expr.func) is ast.Attribute:
        if expr.func.attr == "eval" or (expr.func.attr == "train" and _train_false(expr)):
            return True
        if expr.func.attr not in _SAME_MODULE:
            return False
        expr = expr.func.value
    return False


def _train_false(call: ast.Call) -> bool:
    value = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return type(value) is ast.Constant and value.value is False


def _train_literal(call: ast.Call) -> bool:
    value = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return value is None or (type(value) is ast.Constant and value.value is True)


def _preserves_training(call: ast.Call) -> bool:
    training = next((k.value for k in call.keywords if k.arg == "training"), None)
    return type(training) is ast.Attribute and training.attr == "PRESERVE"
