"""Everything a rule needs from onnxlint, in one import: `from onnxlint.rules.api import Rule, Kind, ...`.

Rule modules (and their `_` helper modules) import from here and nothing else of the engine, so the
engine's internals can move without touching the rules. What a rule needs:

* the rule base class and its cases: `Rule`, `Valid`, `Invalid`, and the evidence types `Pattern`,
  `Claim`, `TorchChange`, `ParityCase` (ground truth measured by `python -m onnxlint.measure`);
* findings and fixes: `Applicability`, `Severity`, `Fix`, `Edit`, `Location`;
* the per-file context and the value model: `FileContext`, `Kind`, `annotation_kind`, `ClassInfo`, `ExportConfig`,
  `after_early_exit`;
* reading the syntax: `keyword`, `argument`, `has_unpacking`, `literal_int` (call arguments);
  `scope_nodes` (a scope's own nodes); `bindings_in`, `Binding`, `Role`, `parameter_names`, `parameter_defaults` (where a
  name gets its values);
* reading export calls: `EXPORT_FUNCTIONS`, `ONNX_EXPORT`, `model_argument`, `inputs_argument`,
  `exporter_hidden`, `declares_dynamic_shapes`;
* the edit builders: `replace_node`, `add_keyword_argument`, `segment`, `comments_in`, `ensure_torch`,
  `module_insertions`, `render_statement`;
* what exporters and runtimes support: `requirement`, `OpRequirement`, `OP_REQUIREMENTS`,
  `behaviour` (onnxlint.knowledge.exporters), `profile`, `PROFILES` (onnxlint.knowledge.runtimes),
  `exporter_facts`.

Not a rule module: the registry skips it (it defines no rule).
"""

from onnxlint.analysis.bindings import Binding, Role, bindings_in, parameter_defaults, parameter_names
from onnxlint.analysis.calls import argument, has_unpacking, keyword, literal_int
from onnxlint.analysis.export_calls import (
    EXPORT_FUNCTIONS,
    ONNX_EXPORT,
    declares_dynamic_shapes,
    exporter_hidden,
    inputs_argument,
    model_argument,
)
from onnxlint.analysis.reachability import is_device_type, is_memory_name, is_size_flag
from onnxlint.analysis.semantic import ClassInfo, Kind, annotation_kind
from onnxlint.analysis.traversal import scope_nodes
from onnxlint.core.context import FileContext, after_early_exit
from onnxlint.core.edits import (
    add_keyword_argument,
    comments_in,
    ensure_torch,
    module_insertions,
    render_statement,
    replace_node,
    segment,
)
from onnxlint.core.findings import Applicability, Confidence, Edit, Fix, Location, Severity
from onnxlint.core.rule import Claim, Invalid, ParityCase, Pattern, Rule, TorchChange, Valid
from onnxlint.core.settings import ExportConfig
from onnxlint.knowledge.exporters import OP_REQUIREMENTS, OpRequirement, behaviour, requirement
from onnxlint.knowledge.runtimes import PROFILES, profile
from onnxlint.knowledge.torch_info import exporter_facts

__all__ = [
    "EXPORT_FUNCTIONS",
    "ONNX_EXPORT",
    "OP_REQUIREMENTS",
    "PROFILES",
    "Applicability",
    "Binding",
    "Claim",
    "ClassInfo",
    "Confidence",
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
    "Role",
    "Rule",
    "Severity",
    "TorchChange",
    "Valid",
    "add_keyword_argument",
    "after_early_exit",
    "annotation_kind",
    "argument",
    "behaviour",
    "bindings_in",
    "comments_in",
    "declares_dynamic_shapes",
    "ensure_torch",
    "exporter_facts",
    "exporter_hidden",
    "has_unpacking",
    "inputs_argument",
    "is_device_type",
    "is_memory_name",
    "is_size_flag",
    "keyword",
    "literal_int",
    "model_argument",
    "module_insertions",
    "parameter_defaults",
    "parameter_names",
    "profile",
    "render_statement",
    "replace_node",
    "requirement",
    "scope_nodes",
    "segment",
]
