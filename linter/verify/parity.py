"""Running a rule's `ParityCase` through the verify pipeline: does its fix keep the numbers?

The case's source is linted under its settings with only that rule, fixed with `fix_source`,
and the FIXED model is exported with the requested exporter, checked and run in onnxruntime,
and compared with the ORIGINAL model's eager outputs on several seeded inputs at the example
shapes and on other sizes of every dynamic dim. Used by tests/static/test_safe_fix_parity.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onnxlint.core.fixer import fix_source
from onnxlint.core.modelspec import ModelSpec, apply_dynamic, parse_input
from onnxlint.core.rule import ParityCase, Rule
from onnxlint.core.settings import LintSettings, Selection
from onnxlint.verify.pipeline import Pipeline, VerifyOptions, build_seeded
from onnxlint.verify.report import Status, VerifyReport

DYNAMO_MINIMUM_OPSET = 18
EXAMPLE_SEEDS = 4  # random inputs at the example shape (conditions flip between seeds)


@dataclass
class ParityOutcome:
    rule: str
    exporter: str
    opset: int | None
    fixed_source: str
    applied: int  # fixes applied by fix_source
    report: VerifyReport

    @property
    def passed(self) -> bool:
        stages = ("load", "export", "checker", "onnxruntime", "parity")
        return all(self.report.stage(name).status is Status.PASSED for name in stages)

    def explain(self) -> str:
        lines = [f"{self.rule} with the {self.exporter} exporter (opset {self.opset or 'default'}):"]
        for stage in self.report.ordered_stages():
            lines.append(f"  {stage.status.value:<8} {stage.name}: {stage.reason or ''}")
            if stage.status is Status.FAILED and stage.detail:
                lines.append("    " + stage.detail.replace("\n", "\n    "))
        for result in self.report.parity:
            lines.append(f"  {result.label}: {result.status.value} max abs {result.max_abs} {result.error or ''}")
        lines.append("--- fixed source ---\n" + self.fixed_source)
        return "\n".join(lines)


def case_spec(path: Path, case: ParityCase) -> ModelSpec:
    inputs = tuple(parse_input("x".join(str(d) for d in shape), i) for i, shape in enumerate(case.inputs))
    return ModelSpec(path, None, "Model", inputs=apply_dynamic(inputs, list(case.dynamic)), name="Model")


def export_opset(case: ParityCase, exporter: str) -> int | None:
    """The dynamo exporter never writes below opset 18: asking it for less would only test that."""
    if exporter == "dynamo" and case.opset is not None and case.opset < DYNAMO_MINIMUM_OPSET:
        return None
    return case.opset


def run_parity_case(rule: type[Rule], case: ParityCase, exporter: str, workdir: Path) -> ParityOutcome:
    settings = LintSettings(selection=Selection(select=(rule.code,)), **case.settings)
    fixed = fix_source(case.source, "case.py", settings, unsafe_fixes=case.unsafe_fixes, rules=[rule])
    original_path = workdir / "original" / "parity_case.py"
    fixed_path = workdir / "fixed" / "parity_case.py"
    for path, text in ((original_path, case.source), (fixed_path, fixed.text)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    opset = export_opset(case, exporter)
    options = VerifyOptions(
        exporter=exporter,
        opset=opset,
        lint=False,
        graph="never",
        example_seeds=EXAMPLE_SEEDS,
        locate_baked=False,
        extra_sizes=0,  # the fix's effect is what is judged here, not sizes the original export never handled
        parallel_reference=False,  # tiny models: a thread would cost more than it saves
    )
    # Built with the pipeline's seed, as the fixed model will be: the same random weights.
    reference_model = build_seeded(case_spec(original_path, case), options.seed)
    pipeline = Pipeline(case_spec(fixed_path, case), options, reference_model=reference_model)
    report = pipeline.run()
    return ParityOutcome(rule.code, exporter, opset, fixed.text, fixed.fixed_count, report)
