"""The verify layer: export the model for real, check the file, run it, compare it with PyTorch.

    onnxlint export model.py --model 'Net(num_classes=2)' --input 1x3x224x224 --dynamic batch
    onnxlint --fix --verify model.py --model 'Net()' --input 1x3x224x224   # write fixes only if they verify

Stages (each passed / failed / not run / skipped, timed): lint → load → graph → export →
checker → simplify → onnxruntime → parity; see `pipeline.py`. Importing this package imports
no torch; running a pipeline does.

    from onnxlint.verify import VerifyOptions, run_verify
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17))
    report.passed, report.stages["parity"].reason, report.to_json()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onnxlint.verify.report import FixVerification, Status, VerifyReport

if TYPE_CHECKING:
    from onnxlint.verify.fixverify import verify_fixes
    from onnxlint.verify.pipeline import Pipeline, VerifyOptions, run_verify

__all__ = ["FixVerification", "Pipeline", "Status", "VerifyOptions", "VerifyReport", "run_verify", "verify_fixes"]


def __getattr__(name: str) -> Any:
    # The pipeline modules stay unimported until used (they import nothing heavy themselves,
    # but keeping `import onnxlint.verify` minimal keeps the CLI's start-up fast).
    if name in ("Pipeline", "VerifyOptions", "run_verify"):
        from onnxlint.verify import pipeline

        return getattr(pipeline, name)
    if name == "verify_fixes":
        from onnxlint.verify.fixverify import verify_fixes

        return verify_fixes
    raise AttributeError(name)
