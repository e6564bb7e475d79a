from __future__ import annotations

import ast

from onnxlint.rules.api import PROFILES, Applicability, Invalid, Rule, Severity, Valid, profile

from ._runtime_patterns import binop_pattern, runtime_pattern

_MODULE_CLASS_PREFIX = "torch.nn."


class UnsupportedOnTarget(Rule):
    """An operator that exports fine but that the target runtime cannot run.

    ## What it does
    With `--target` (or `target = "..."` in the config) set to a runtime other than ONNX
    Runtime, flags the calls whose exported ONNX operators that runtime does not support, or
    supports with a restriction the call breaks: 5-D `grid_sample`, bicubic or antialiased
    resizing, `unique`, `torch.fft`, determinants, `affine_grid`, `bernoulli`/`multinomial`,
    bitwise ops, `fold`, `max_unpool`, 1-D pooling, accumulating `index_put`, float64, `topk`
    with a large `k`. What each runtime restricts is data (linter/knowledge/runtimes.py), each entry with
    its source; `onnxlint rule ONX601` lists them.

    ## Why is this bad for ONNX
    A valid ONNX file is only half the job: the runtime must implement every operator in it.
    Exporters target the ONNX standard, runtimes implement subsets. Measured here: OpenVINO
    2026.4 (CPU) refuses a 5-D GridSample that onnxruntime runs correctly. Documented by NVIDIA
    (not measured here, no GPU): TensorRT 10 has no Unique, DFT, Det, AffineGrid, Bernoulli,
    bitwise ops, Col2Im or MaxUnpool, its Resize has no cubic mode and no antialiasing, its
    GridSample is 4-D only, it pools only 2-D and 3-D inputs, its ScatterND has no reduction,
    and it casts float64 down to float32. Findings backed by a measurement are errors; those
    backed by documentation only are warnings.

    ## Example
    ```python
    # onnxlint --target tensorrt
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="bicubic")
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="bilinear")
    ```
    or keep the op and deploy with a runtime that implements it (ONNX Runtime runs all of
    these).

    ## Fix safety
    Display-only: every replacement changes what the model computes (bilinear is not bicubic)
    or moves work outside the model, which is a design decision.

    ## References
    - TensorRT operator support matrix: https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md
    - OpenVINO ONNX frontend: https://docs.openvino.ai/
    - docs/targets.md (profiles, sources, what was measured)
    """

    code = "ONX601"
    name = "unsupported_on_target"
    message = "The target runtime cannot run this operator"
    fix_title = "Replace the operator, or deploy to a runtime that supports it"
    fix_applicability = Applicability.DISPLAY_ONLY
    severity = Severity.WARNING
    trigger_names = ("torch",)
    applies_to = "--target openvino / tensorrt (coreml: see ONX602); silent for onnxruntime"

    def visit_Call(self, node: ast.Call) -> None:
        if not profile(self.context.settings.target).restrictions:
            return  # the target runs everything the exporters write (onnxruntime, the default): nothing to match
        key = runtime_pattern(self.context, node)
        if key is None:
            return
        qualified = self.context.call_name(node) or ""
        constructs_module = qualified.startswith(_MODULE_CLASS_PREFIX) and qualified.rsplit(".", 1)[-1][:1].isupper()
        if not constructs_module and not self.context.in_model_code:
            return
        self._report(node, key)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if not profile(self.context.settings.target).restrictions:
            return
        key = binop_pattern(self.context, node)
        if key is not None and self.context.in_model_code:
            self._report(node, key)

    def _report(self, node: ast.AST, key: str) -> None:
        if self.context.skipped_during_export(node):
            return
        config = self.context.export_config_for(node)
        target = profile(config.target)
        restriction = target.restriction(key)
        if restriction is None or config.exporter not in restriction.exporters:
            return
        how = "measured" if restriction.measured else "documented"
        self.report(
            node,
            f"{restriction.message} (target {target.name}; {how}: {restriction.source.detail})",
            severity=Severity.ERROR if restriction.measured else Severity.WARNING,
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    @classmethod
    def documentation(cls) -> str:
        """The docstring plus the restriction table of every profile (data from linter/knowledge/runtimes.py)."""
        lines = [super().documentation(), "", "## Restrictions by target", ""]
        lines += ["| target | pattern | restriction | source |", "|---|---|---|---|"]
        for name, target in PROFILES.items():
            for key, restriction in target.restrictions.items():
                if key == "onnx_input":
                    continue
                lines.append(
                    f"| {name} | `{key}` | {restriction.message} | {restriction.source.kind}: {restriction.source.detail} |"
                )
        return "\n".join(lines)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # ONNX Runtime runs all of these.
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(torch.unique(x), scale_factor=2, mode="bicubic")
        """,
        Valid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bilinear")
            """,
            settings={"target": "tensorrt"},
        ),
        # Not model code: preprocessing may use anything.
        Valid(
            """
            import torch
            def class_ids(labels):
                return torch.unique(labels)
            """,
            settings={"target": "tensorrt"},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bicubic")
            """,
            line=5,
            settings={"target": "tensorrt"},
            message_contains="cubic",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.unpool = torch.nn.MaxUnpool2d(2)

                def forward(self, x, indices):
                    return torch.fft.rfft(self.unpool(x, indices)).abs().double()
            """,
            count=3,
            settings={"target": "tensorrt"},
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, theta):
                    return F.grid_sample(x, F.affine_grid(theta, [1, 2, 4, 5, 6]))
            """,
            line=5,
            settings={"target": "openvino"},
            message_contains="measured",
        ),
    ]
