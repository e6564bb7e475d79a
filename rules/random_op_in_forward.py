from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Confidence,
    ExportConfig,
    Invalid,
    Kind,
    OpRequirement,
    Rule,
    Severity,
    requirement,
)

from ._numerics import training_only
from ._operators import exports, literal

# qualified torch function -> OP_REQUIREMENTS key
FUNCTIONS = {
    "torch.rand": "random.sampling",
    "torch.rand_like": "random.sampling",
    "torch.randn": "random.sampling",
    "torch.randn_like": "random.sampling",
    "torch.randint": "random.sampling",
    "torch.randint_like": "random.sampling",
    "torch.bernoulli": "random.sampling",
    "torch.normal": "random.normal",
    "torch.multinomial": "random.multinomial",
    "torch.randperm": "random.unsupported",
    "torch.poisson": "random.unsupported",
}
# Tensor methods -> OP_REQUIREMENTS key
METHODS = {
    "bernoulli": "random.sampling",
    "bernoulli_": "random.sampling",
    "normal_": "random.normal",
    "multinomial": "random.multinomial",
    "exponential_": "random.distribution_inplace",
    "log_normal_": "random.distribution_inplace",
    "cauchy_": "random.distribution_inplace",
    "geometric_": "random.distribution_inplace",
    "uniform_": "random.unsupported",
    "random_": "random.unsupported",
}
_READ_OUT_METHODS = frozenset({"item", "tolist", "numpy"})
# What the exported graph holds (measured op types; Bernoulli from opset 15, RandomUniformLike before).
_ONNX_OPS = {
    "rand": "RandomUniformLike",
    "rand_like": "RandomUniformLike",
    "randint": "RandomUniformLike",
    "randint_like": "RandomUniformLike",
    "randn": "RandomNormalLike",
    "randn_like": "RandomNormalLike",
    "normal": "RandomNormalLike",
    "normal_": "RandomNormalLike",
    "bernoulli": "Bernoulli or RandomUniformLike",
    "bernoulli_": "Bernoulli or RandomUniformLike",
    "multinomial": "Multinomial",
    "log_normal_": "RandomNormalLike",
}


class RandomOpInForward(Rule):
    """A random op (`torch.rand*`, `randn_like`, `normal`, `bernoulli`, `multinomial`, ...) in `forward`.

    ## What it does
    Flags random sampling in `forward` and the functions it calls: `torch.rand`, `rand_like`,
    `randn`, `randn_like`, `randint`, `randint_like`, `bernoulli`, `normal`, `multinomial`,
    `randperm`, `poisson`, and the in-place samplers `bernoulli_`, `normal_`, `uniform_`,
    `exponential_`, `log_normal_`, `cauchy_`, `geometric_`, `random_`. Not flagged: code that
    only runs in training (`if self.training:`, after `if not self.training: return x`, in a
    helper that model code only calls from such places), since a model is exported in eval mode;
    random values read out into Python (`torch.rand(1).item()`, `int(torch.randint(...))`, `if
    torch.rand(1) < p:`, `for i in torch.randperm(n)`), where the export bakes or rejects the read
    (ONX201, ONX202 and the loop rules report that). Dropout is ONX406's.

    ## Why is this bad for ONNX
    Measured on torch 2.13, what each exporter does with them:
    - `rand*`, `randn*`, `randint*` and `bernoulli` export as ONNX random ops
      (`RandomUniformLike`, `RandomNormalLike`, `Bernoulli`) with both exporters at every opset
      measured (9-17, dynamo 20): each onnxruntime run draws new values; shapes are right, values
      never match PyTorch's (different generators), so the exported model cannot be checked
      against the PyTorch one, and its outputs change from run to run. That is a warning: fine
      when the noise is intended (a sampler, a VAE drawing its latent).
    - `torch.normal` / `normal_`: the TorchScript exporter raises below opset 11; random otherwise.
    - `multinomial(p, n)` with `n > 1` and no replacement: the TorchScript exporter raises at
      every opset; dynamo and `replacement=True` export a random `Multinomial`.
    - `exponential_`, `log_normal_`, `cauchy_`, `geometric_`: the TorchScript exporter raises;
      dynamo exports random ops.
    - `uniform_`, `random_`, `randperm`, `poisson`: both exporters raise.
    - a `generator=` argument: dynamo raises even for `generator=None`; the TorchScript exporter
      raises for a real `torch.Generator` ("Unsupported prim::Constant kind: 'ival'").

    Noise that is only meant for training (augmentation, stochastic depth, exploration) is the
    usual culprit: guard it with `if self.training:`.

    ## Example
    ```python
    def forward(self, x):
        return self.body(x + 0.1 * torch.randn_like(x))
    ```

    ## Use instead
    ```python
    def forward(self, x):
        if self.training:
            x = x + 0.1 * torch.randn_like(x)
        return self.body(x)
    ```
    or pass the noise in as an input, so the exported model is deterministic and testable;
    `torch.rand_like(x)` instead of `torch.empty_like(x).uniform_()` exports everywhere.

    ## Fix safety
    Display-only: whether the randomness is intended is the author's call.

    ## References
    - ONNX RandomNormalLike: https://onnx.ai/onnx/operators/onnx__RandomNormalLike.html
    - ONNX Bernoulli (opset 15): https://onnx.ai/onnx/operators/onnx__Bernoulli.html
    - docs/measurements.md (ONX405 rows); docs/ground-truth.md, harness rows rand_*
    """

    code = "ONX405"
    name = "random_op_in_forward"
    message = "A random op in `forward` exports as a random ONNX op: outputs change on every run"
    fix_title = "Guard the noise with `if self.training:` or pass it in as an input"
    fix_applicability = Applicability.DISPLAY_ONLY
    severity = Severity.WARNING
    trigger_names = (
        "rand",
        "bernoulli",
        "normal",
        "multinomial",
        "poisson",
        "uniform_",
        "exponential_",
        "cauchy_",
        "geometric_",
    )
    applies_to = "both exporters: random ONNX ops (warning); export errors per op and exporter (error)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        if not context.in_model_code:
            return
        qualified = context.call_name(node)
        func = node.func
        if qualified is not None:
            key = FUNCTIONS.get(qualified)
            label = f"`{qualified}`"
            op = qualified.rsplit(".", 1)[-1]
        elif type(func) is ast.Attribute and func.attr in METHODS and context.kind(func.value) is Kind.TENSOR:
            key = METHODS[func.attr]
            label = f"`.{func.attr}()`"
            op = func.attr
        else:
            return
        if key is None:
            return
        if key == "random.multinomial":
            key = self._multinomial_key(node, method=qualified is None)
        if training_only(context, node) or context.skipped_during_export(node) or self._read_out(node):
            return
        config = context.export_config_for(node)
        generator = next((k.value for k in node.keywords if k.arg == "generator"), None)
        if generator is not None:
            # Passing a generator breaks the export before the op itself matters: dynamo raises
            # even for None; the TorchScript exporter raises for a real torch.Generator only.
            real = self._is_generator(generator)
            generator_key = "random.generator" if real else "random.generator_none"
            if not exports(requirement(generator_key), config):
                who = "a torch.Generator argument" if real else "the `generator=` argument (even None)"
                self.report(
                    node,
                    f"{label} with `generator=` in `forward` cannot be exported: {config.exporter_label} raises on "
                    f"{who}",
                    severity=Severity.ERROR,
                    fix=self.make_fix([], Applicability.DISPLAY_ONLY),
                )
                return
        entry = requirement(key)
        if not exports(entry, config):
            self.report(
                node,
                f"{label} in `forward` cannot be exported: {self._failure(entry, config)}",
                severity=Severity.ERROR,
                fix=self.make_fix([], Applicability.DISPLAY_ONLY),
            )
            return
        self.report(
            node,
            f"{label} in `forward` exports as a random ONNX op ({_ONNX_OPS.get(op, 'RandomUniformLike')}) with "
            f"{config.exporter_label}: every run draws new values, so the ONNX model's outputs change between "
            "runs and never match PyTorch's (shapes are right)",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
            # The op exports and samples as PyTorch does: a hazard only if the noise is not intended
            # (a sampler, a VAE's latent, a masking ratio are), which nothing in the code proves.
            confidence=Confidence.LOW,
        )

    def _is_generator(self, expr: ast.expr) -> bool:
        """Whether `expr` is certainly a torch.Generator (made in this function, or inline)."""
        context = self.context
        values = [expr]
        if type(expr) is ast.Name and context.function is not None:
            values = [
                node.value
                for node in ast.walk(context.function.node)
                if type(node) is ast.Assign and any(type(t) is ast.Name and t.id == expr.id for t in node.targets)
            ]
        if not values:
            return False
        for value in values:
            while type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "manual_seed":
                value = value.func.value
            if context.call_name(value) != "torch.Generator":
                return False
        return True

    def _read_out(self, node: ast.Call) -> bool:
        """Whether the random value is read out into Python (`.item()`, `int(...)`, a condition, a
        `for` loop): then the export bakes or rejects that read (ONX201, ONX202 and the loop rules
        report it) rather than exporting a random op."""
        context = self.context
        if context.enclosing_condition(node) is not None:
            return True
        child: ast.AST = node
        parent = context.parent(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            parent_type = type(parent)
            if parent_type is ast.Call:
                called = context.call_name(parent)
                if called in ("builtins.int", "builtins.float", "builtins.bool", "builtins.round", "builtins.len"):
                    return True
            elif parent_type is ast.Attribute and parent.attr in _READ_OUT_METHODS:  # type: ignore[attr-defined]
                return True
            elif parent_type is ast.Subscript and parent.slice is child:  # type: ignore[attr-defined]
                return context.kind(parent.value) is not Kind.TENSOR  # type: ignore[attr-defined]
            child, parent = parent, context.parent(parent)
        return type(parent) in (ast.For, ast.AsyncFor) and parent.iter is child  # type: ignore[union-attr]

    @staticmethod
    def _multinomial_key(node: ast.Call, method: bool) -> str:
        first = 0 if method else 1  # num_samples' position
        samples = node.args[first] if len(node.args) > first else None
        replacement = node.args[first + 1] if len(node.args) > first + 1 else None
        for keyword in node.keywords:
            if keyword.arg == "num_samples":
                samples = keyword.value
            elif keyword.arg == "replacement":
                replacement = keyword.value
        if literal(replacement, False) is True or literal(samples) == 1:
            return "random.multinomial"
        return "random.multinomial_without_replacement"

    @staticmethod
    def _failure(entry: OpRequirement, config: ExportConfig) -> str:
        if config.is_legacy:
            if entry.legacy_min_opset is not None:
                return f"{config.exporter_label} raises below ONNX opset {entry.legacy_min_opset} (here {config.opset})"
            return f"{config.exporter_label} raises at every opset" + (
                "; the dynamo exporter writes a random op" if entry.dynamo else ""
            )
        return f"{config.exporter_label} raises" + (
            f"; the TorchScript exporter exports it from opset {entry.legacy_min_opset}"
            if entry.legacy_min_opset is not None
            else " (so does the TorchScript exporter)"
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                if self.training:
                    x = x + torch.randn_like(x)
                noise = torch.rand_like(x) if self.training else torch.zeros_like(x)
                return x + noise
        """,
        """
        import torch
        def drop_path(x, drop_prob: float = 0.0, training: bool = False):
            if drop_prob == 0.0 or not training:
                return x
            mask = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(1 - drop_prob)
            return x * mask

        class M(torch.nn.Module):
            def forward(self, x):
                return drop_path(x, 0.1, self.training)
        """,
        # Random values read out into Python: the read is the hazard (ONX201 / ONX202).
        """
        import torch
        class RandomFlip(torch.nn.Module):
            def forward(self, x):
                if torch.rand(1) < 0.5:
                    x = x.flip(-1)
                angle = float(torch.empty(1).uniform_(-10.0, 10.0).item())
                order = [0, 1, 2][int(torch.randint(3, (1,)))]
                return x * angle + order
        """,
        # A helper only called in training.
        """
        import torch
        class M(torch.nn.Module):
            def random_mask(self, x):
                return torch.rand(x.shape[0], 16) > 0.5

            def forward(self, x, mask=None):
                if self.training and mask is None:
                    mask = self.random_mask(x)
                return x if mask is None else x * mask
        """,
        # Not model code; a module attribute named like a sampler; layer_norm is not normal.
        """
        import torch
        import torch.nn.functional as F
        def init(w):
            torch.nn.init.normal_(w)
            return torch.randn(3)
        class M(torch.nn.Module):
            def forward(self, x):
                return F.layer_norm(x, x.shape[-1:])
        """,
        # Noise that exports as a random op, as PyTorch samples it: shown only with `--confidence low`.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                return x + 0.1 * torch.randn_like(x)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x + 0.1 * torch.randn_like(x)
            """,
            line=4,
            settings={"confidence": "low"},  # it exports, sampling as PyTorch does: low confidence
            message_contains="RandomNormalLike",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    eps = torch.empty_like(x).uniform_()
                    return x + eps
            """,
            line=4,
            message_contains="cannot be exported",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    g = torch.Generator().manual_seed(0)
                    return x * torch.rand(x.shape, generator=g)
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="generator",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, p):
                    return torch.multinomial(p, 2)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="TorchScript",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x + torch.normal(0.0, 1.0, size=x.shape)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 10},
            message_contains="opset 11",
        ),
    ]
