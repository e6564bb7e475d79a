from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, add_keyword_argument, keyword, replace_node


class TorchLoadWithoutWeightsOnly(Rule):
    """`torch.load` of a checkpoint without `weights_only=True`.

    ## What it does
    Flags `torch.load(...)` calls that pass `weights_only=False`, or that do not pass
    `weights_only` at all.

    ## Why is this bad for ONNX
    Export scripts load a `.pth` checkpoint before they export it, and checkpoints travel:
    downloaded from model zoos, shared between teams, attached to issues. `torch.load` with
    `weights_only=False` runs pickle, and a pickle can run arbitrary code on the machine that
    loads it. Since torch 2.6 the default is `weights_only=True`, which only rebuilds tensors
    and plain containers; code written without the argument silently depends on that
    default and unpickles anything on older torch (2.5 and earlier, still common on
    deployment and Jetson images). An explicit `weights_only=False` is always a risk.

    ## Example
    ```python
    model.load_state_dict(torch.load("best_model.pth"))
    ```

    ## Use instead
    ```python
    model.load_state_dict(torch.load("best_model.pth", weights_only=True))
    ```
    A checkpoint that holds a whole pickled model, not a state dict, should be re-saved once,
    from a trusted environment, as `torch.save(model.state_dict(), path)`.

    ## Fix safety
    Adding `weights_only=True` where the argument is missing is safe only where the loaded value
    is provably a state dict: the call is passed straight to `.load_state_dict(...)`, so the
    checkpoint holds tensors in plain containers, which `weights_only=True` loads on every torch
    since 1.13 (where the argument appeared). Elsewhere it is unsafe: it is torch ≥ 2.6's default,
    but older torch (and torch ≥ 2.6 with `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`) unpickles
    anything, and a loader of full pickled checkpoints (a whole model, custom classes, an
    optimizer with its config objects) stops working once the argument is explicit.
    Replacing an explicit `weights_only=False` is unsafe for the same reason.

    ## References
    - torch.load: https://pytorch.org/docs/stable/generated/torch.load.html
    - torch 2.6 release notes (weights_only default flipped to True)
    - Python pickle security warning: https://docs.python.org/3/library/pickle.html
    """

    code = "ONX501"
    name = "torch_load_without_weights_only"
    message = "`torch.load` without `weights_only=True` can run arbitrary code from the checkpoint"
    fix_title = "Pass `weights_only=True`"
    fix_applicability = Applicability.SAFE
    severity = Severity.WARNING  # an explicit weights_only=False is reported as an error
    trigger_names = ("load",)
    applies_to = "all exporters; security"
    fix_scope = "script"  # edits checkpoint loading, never the traced model: no PARITY cases to run

    def visit_Call(self, node: ast.Call) -> None:
        if self.context.call_name(node) != "torch.load":
            return
        given = keyword(node, "weights_only")
        if given is None:
            if any(k.arg is None for k in node.keywords):
                return  # **kwargs may carry it
            self.report(
                node,
                "`torch.load` without `weights_only=True` relies on torch ≥ 2.6's default; "
                "older torch unpickles the checkpoint, which can run arbitrary code",
                severity=Severity.WARNING,
                fix=self.make_fix(
                    [add_keyword_argument(self.context, node, "weights_only=True")],
                    Applicability.SAFE if self._loads_a_state_dict(node) else Applicability.UNSAFE,
                ),
            )
        elif type(given.value) is ast.Constant and given.value.value is False:
            self.report(
                node,
                "`torch.load(..., weights_only=False)` unpickles the checkpoint, which can run arbitrary code",
                severity=Severity.ERROR,
                fix=self.make_fix([replace_node(self.context, given.value, "True")], Applicability.UNSAFE),
            )

    def _loads_a_state_dict(self, node: ast.Call) -> bool:
        """Whether the loaded value is provably a state dict: passed straight to `.load_state_dict(...)`
        (tensors in plain containers, which `weights_only=True` always loads)."""
        parent = self.context.parent(node)
        return (
            type(parent) is ast.Call
            and type(parent.func) is ast.Attribute
            and parent.func.attr == "load_state_dict"
            and bool(parent.args)
            and parent.args[0] is node
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        state = torch.load("best_model.pth", weights_only=True)
        """,
        """
        import torch
        state = torch.load("best_model.pth", map_location="cpu", weights_only=trusted)
        """,
        """
        import json
        config = json.load(open("config.json"))
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model.load_state_dict(torch.load("best_model.pth"))
            """,
            line=2,
            expected_fix="""
            import torch
            model.load_state_dict(torch.load("best_model.pth", weights_only=True))
            """,
        ),
        Invalid(
            """
            from torch import load
            state = load(
                "best_model.pth",
                map_location="cpu",
            )
            """,
            line=2,
            unsafe_fixes=True,  # what `state` holds is unknown: a whole pickled model would stop loading
            expected_fix="""
            from torch import load
            state = load(
                "best_model.pth",
                map_location="cpu",
                weights_only=True,
            )
            """,
        ),
        # A full pickled checkpoint (a whole model): `--fix` alone leaves the loader as it is.
        Invalid(
            """
            import torch
            model = torch.load("model.pt", map_location="cpu")
            model.eval()
            """,
            line=2,
            expected_fix="""
            import torch
            model = torch.load("model.pt", map_location="cpu")
            model.eval()
            """,
        ),
        Invalid(
            """
            import torch
            state = torch.load(path, weights_only=False)
            """,
            line=2,
            message_contains="weights_only=False",
            unsafe_fixes=True,
            expected_fix="""
            import torch
            state = torch.load(path, weights_only=True)
            """,
        ),
    ]
