"""Everything a rule needs from onnxlint, in one import: `from onnxlint.rules.api import Rule, Kind, ...`.

Rule modules (and their `_` helper modules) import from here and nothing else of the engine, so the
engine's internals can move without touching the rules. What a rule needs:

* the rule base class and its cases: `Rule`, `Valid`, `Invalid`, and the evidence types `Pattern`,
  `Claim`, `TorchChange`, `ParityCase` (ground truth measured by `python -m onnxlint.measure`);
* findings and fixes: `Applicability`, `Severity`, `Fix`, `Edit`, `Location`;
* the per-file context and the value model: `FileContext`, `Kind`, `annotation_kind`, `ClassInfo`, `ExportConfig`,
  `EXPORT_FUNCTIONS`, `after_early_exit`;
* the edit builders: `replace_node`, `add_keyword_argument`, `keyword`, `argument`, `segment`,
  `comments_in`, `ensure_torch`, `module_insertions`, `render_statement`;
* what exporters and runtimes support: `requirement`, `OpRequirement`, `OP_REQUIREMENTS`,
  `behaviour`, `profile`, `PROFILES`, `exporter_facts`.

Not a rule module: the registry skips it (it defines no rule).
"""

from onnxlint.analysis.semantic import ClassInfo, Kind, annotation_kind
from onnxlint.core.context import EXPORT_FUNCTIONS, FileContext, after_early_exit
from onnxlint.core.edits import (
    add_keyword_argument,
    argument,
    comments_in,
    ensure_torch,
    keyword,
    module_insertions,
    render_statement,
    replace_node,
    segment,
)
from onnxlint.core.findings import Applicability, Edit, Fix, Location, Severity
from onnxlint.core.rule import Claim, Invalid, ParityCase, Pattern, Rule, TorchChange, Valid
from onnxlint.core.settings import ExportConfig
from onnxlint.knowledge.targets import OP_REQUIREMENTS, PROFILES, OpRequirement, behaviour, profile, requirement
from onnxlint.knowledge.torch_info import exporter_facts

__all__ = [
    "EXPORT_FUNCTIONS",
    "OP_REQUIREMENTS",
    "PROFILES",
    "Applicability",
    "Claim",
    "ClassInfo",
    "Edit",
    "ExportConfig",
    "FileContext",
    "Fix",
    "Invalid",
    "Kind",
    "Location",
    "OpRequirement",
    "ParityCase",
    "Pattern",
    "Rule",
    "Severity",
    "TorchChange",
    "Valid",
    "add_keyword_argument",
    "after_early_exit",
    "annotation_kind",
    "argument",
    "behaviour",
    "comments_in",
    "ensure_torch",
    "exporter_facts",
    "keyword",
    "module_insertions",
    "profile",
    "render_statement",
    "replace_node",
    "requirement",
    "segment",
]
