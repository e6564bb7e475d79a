"""Ground truth: every rule's claims about the exporters, measured with real exports.

Each claim exports the rule's tiny pattern model with one exporter and opset, runs it in
onnxruntime and compares with eager PyTorch on two input shapes (see onnxlint.measure). The
test asserts the measured outcome, and that the rule flags the pattern at that setting exactly
when the claim says it should, both as the claim holds for the INSTALLED torch (`Claim.for_torch`:
the pinned torch's fact, or what it became on a later tested torch, `Claim.changed`).
docs/measurements.md is generated from the same claims.
"""

from __future__ import annotations

import pytest

from onnxlint import LintSettings, Selection, lint_source
from onnxlint.core.context import TORCH_GUARD_VALUES
from onnxlint.core.registry import all_rules

pytestmark = pytest.mark.export

CLAIMS = [
    pytest.param(rule, claim, id=f"{code}-{claim.pattern}-{claim.exporter}-{claim.opset or 'default'}-{claim.runtime}")
    for code, rule in all_rules().items()
    for claim in rule.MEASURED
]


@pytest.mark.parametrize(("rule", "claim"), CLAIMS)
def test_claim_holds_and_the_rule_agrees(rule, claim):
    from onnxlint.measure import measure

    claim = claim.for_torch()  # the installed torch's fact
    pattern = rule.PATTERNS[claim.pattern]
    for module in (*pattern.requires, *(("openvino",) if claim.runtime == "openvino" else ())):
        pytest.importorskip(module)
    settings = LintSettings(
        selection=Selection(select=(rule.code,)),
        exporter=claim.exporter,
        opset=claim.opset,
        target=claim.runtime,
        confidence="low",  # whether the rule flags the pattern at all (ONX405's exported noise is `low`)
    )
    flagged = any(f.code == rule.code for f in lint_source(pattern.source, "pattern.py", settings).findings)
    assert flagged == claim.expects_finding, (
        f"{rule.code} {'flags' if flagged else 'does not flag'} {claim.pattern} at {claim.exporter} opset {claim.opset}"
    )
    measured = measure(pattern, claim.exporter, claim.opset, claim.runtime)
    assert measured.outcome == claim.outcome, f"measured {measured.outcome}: {measured.detail}"
    if claim.opset_written is not None:
        assert measured.opset_written == claim.opset_written, f"opset {measured.opset_written} written"


def test_every_claim_names_a_pattern_and_every_export_rule_has_claims():
    for code, rule in all_rules().items():
        for claim in rule.MEASURED:
            assert claim.pattern in rule.PATTERNS, f"{code}: unknown pattern {claim.pattern!r}"
            assert claim.exporter in ("legacy", "dynamo")
        if code[3] in "1234":  # operator, control-flow, shape and numerics rules speak about export behaviour
            assert rule.MEASURED, f"{code} makes claims about the exporters: measure them (PATTERNS / MEASURED)"


def test_torch_load_refuses_pickled_objects_by_default(tmp_path):
    """ONX501's premise: on the installed torch, weights_only=True is the default and refuses code."""
    import pickle

    import torch

    class Payload:
        def __reduce__(self):
            return (print, ("this would run on load",))

    path = tmp_path / "evil.pth"
    with path.open("wb") as stream:
        pickle.dump(Payload(), stream)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


@pytest.mark.parametrize("guard", sorted(TORCH_GUARD_VALUES))
def test_torch_guard_values_inside_export(guard, tmp_path):
    """What `torch.jit.is_tracing()` and friends return inside `torch.onnx.export`, per exporter:
    the table the export-guard logic (FileContext.guard_polarity) relies on, measured."""
    import importlib

    import numpy as np
    import onnxruntime
    import torch

    module_name, _, function_name = guard.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)

    class Probe(torch.nn.Module):
        def forward(self, x):
            return x + 1 if function() else x - 1

    for exporter, expected in TORCH_GUARD_VALUES[guard].items():
        path = tmp_path / f"{exporter}.onnx"
        torch.onnx.export(Probe().eval(), (torch.zeros(2),), str(path), dynamo=exporter == "dynamo")
        session = onnxruntime.InferenceSession(str(path))
        (output,) = session.run(None, {session.get_inputs()[0].name: np.zeros(2, np.float32)})
        assert bool(output[0] > 0) is expected, f"{guard} under the {exporter} exporter"
