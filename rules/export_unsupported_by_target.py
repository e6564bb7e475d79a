from __future__ import annotations

import ast

from onnxlint.rules.api import EXPORT_FUNCTIONS, PROFILES, Applicability, Invalid, Rule, Severity, Valid, profile


class ExportUnsupportedByTarget(Rule):
    """An ONNX export for a runtime that cannot read what it writes.

    ## What it does
    With `--target` set, flags `torch.onnx.export(...)` calls whose output the target runtime
    cannot load: Core ML (coremltools 6 and later have no ONNX converter; coremltools 5 and
    earlier read ONNX opset 10 and older only), and any target whose documented opset range
    the exported model exceeds (the opset really written: the dynamo exporter never writes
    less than 18).

    ## Why is this bad for ONNX
    Apple removed the ONNX → Core ML converter in coremltools 6 and archived onnx-coreml in
    2023; the supported route converts the PyTorch model itself (`coremltools.convert` on a
    traced or `torch.export`ed model). Exporting to ONNX first adds a format Core ML cannot
    read, and the opset-10 ceiling of the old converter is below what the dynamo exporter can
    write at all. More generally, a runtime rejects a model whose opset it does not know, and
    the request in `opset_version` is not what gets written (on torch ≥ 2.9 the dynamo
    exporter raises anything below 18).

    ## Example
    ```python
    # onnxlint --target coreml
    torch.onnx.export(model, example, "model.onnx")
    ```

    ## Use instead
    ```python
    import coremltools as ct
    exported = torch.export.export(model.eval(), (example,))
    mlmodel = ct.convert(exported)
    ```

    ## Fix safety
    Display-only: the replacement is a different deployment path.

    ## References
    - coremltools PyTorch conversion: https://apple.github.io/coremltools/docs-guides/source/convert-pytorch.html
    - onnx/onnx-coreml (archived): https://github.com/onnx/onnx-coreml
    - TensorRT supported opsets: https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md
    - docs/targets.md
    """

    code = "ONX602"
    name = "export_unsupported_by_target"
    message = "The target runtime cannot load the ONNX model this call writes"
    fix_title = "Convert for the target another way (e.g. coremltools from torch.export)"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("export",)
    applies_to = "--target coreml (always); any target whose opset range the written model exceeds"

    def visit_Call(self, node: ast.Call) -> None:
        if self.context.call_name(node) not in EXPORT_FUNCTIONS:
            return
        config = self.context.export_config_for(node)
        target = profile(config.target)
        reasons = []
        restriction = target.restriction("onnx_input")
        if restriction is not None:
            reasons.append(restriction.message)
        if target.max_opset is not None and config.opset > target.max_opset and restriction is None:
            reasons.append(
                f"{target.name} reads ONNX up to opset {target.max_opset}, and this call writes opset {config.opset} ({config.exporter_label})"
            )
        if not reasons:
            return
        self.report(
            node,
            f"{'; '.join(reasons)} (target {target.name})",
            severity=Severity.ERROR,
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    @classmethod
    def documentation(cls) -> str:
        lines = [
            super().documentation(),
            "",
            "## Opset ranges by target",
            "",
            "| target | highest opset read | source |",
            "|---|---|---|",
        ]
        for name, target in PROFILES.items():
            note = target.restriction("onnx_input")
            lines.append(
                f"| {name} | {target.max_opset or 'no known limit'} | {note.source.detail if note else target.description} |"
            )
        return "\n".join(lines)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        torch.onnx.export(model, x, "m.onnx")
        """,
        Valid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", opset_version=17)
            """,
            settings={"target": "tensorrt"},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx")
            """,
            line=2,
            settings={"target": "coreml"},
            message_contains="coremltools",
        ),
        Invalid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=9)
            """,
            line=2,
            settings={"target": "coreml"},
        ),
    ]
