"""The base class of source rules, and the test cases every rule carries.

A rule is a class in its own module under `rules/`. It names the hazard (`code`, `name`), states
the problem (`message`) and, when it can repair it, the action (`fix_title`). It visits Python
`ast` nodes through `visit_<NodeType>` methods (and optional `leave_<NodeType>`), which the
engine calls in one traversal shared by every enabled rule. Its docstring is its documentation
(sections checked by the tests and rendered into docs/rules/), and its VALID / INVALID cases
run as tests.

A rule's measured evidence (`PATTERNS`, `MEASURED`, `PARITY`: tiny models, what the exporters do
with them, and proofs that its fixes keep the numbers) lives beside it in
`rules/_evidence/<rule module>.py`, read on first access (`Evidence`): linting never needs it,
and only the measure tool and the export tests (which need torch) read it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from onnxlint.core.findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity

if TYPE_CHECKING:
    from onnxlint.core.context import FileContext

DOC_SECTIONS = ("What it does", "Why is this bad for ONNX", "Example", "Use instead", "Fix safety", "References")

# Code bands: the hundreds digit says what kind of hazard a rule reports.
CATEGORIES = {
    "0": "syntax and internal errors",
    "1": "unsupported or opset-gated operators",
    "2": "control flow and data dependence",
    "3": "shapes and dynamic axes",
    "4": "numerics and semantics",
    "5": "export scripts and API use",
    "6": "runtime-specific restrictions",
    "7": "graph capture (tracing)",
    "8": "export verification (found by exporting and running the model; not rules)",
}

CODE_PATTERN = re.compile(r"^ONX\d{3}$")


@dataclass(frozen=True)
class Valid:
    """Code the rule must not flag (under the given settings)."""

    code: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag.

    `line` (1-based, in the dedented code) pins where the finding starts; `expected_fix` is
    the code after applying the rule's fixes (safe ones, plus unsafe ones when
    `unsafe_fixes` is set); `message_contains` checks a part of the message.
    """

    code: str
    line: int | None = None
    expected_fix: str | None = None
    unsafe_fixes: bool = False
    message_contains: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    count: int | None = None  # how many findings of this rule, when it matters

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def fixed_source(self) -> str | None:
        return None if self.expected_fix is None else textwrap.dedent(self.expected_fix).lstrip("\n")


@dataclass(frozen=True)
class ParityCase:
    """A tiny model with the rule's pattern, for proving that its fix keeps the numbers.

    `code` is a module defining `class Model(torch.nn.Module)` (constructed with no arguments).
    The test suite lints it under `settings`, applies the rule's fixes (unsafe ones too when
    `unsafe_fixes`), exports the fixed model with each exporter in `exporters`, runs it in
    onnxruntime on the example inputs and on other sizes of the `dynamic` dims, and compares
    with the ORIGINAL model's eager outputs. A fix marked safe must match within tolerance.
    """

    code: str
    inputs: tuple[tuple[int, ...], ...]  # example input shapes (float32)
    dynamic: tuple[str, ...] = ("batch",)  # dims that must stay dynamic, as in --dynamic
    settings: dict[str, Any] = field(default_factory=dict)
    unsafe_fixes: bool = False
    exporters: tuple[str, ...] = ("legacy", "dynamo")
    opset: int | None = None  # the export opset (None: the exporter's default)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Pattern:
    """A tiny model that shows a rule's pattern, for measuring what the exporters really do with it.

    `code` is a module defining `class Model(torch.nn.Module)` (constructed with no arguments).
    Inputs are seeded random tensors of `inputs` shapes (float32 unless `dtypes` says
    otherwise), plus `shift[0]` for the export input and `shift[1]` for the second input (to send
    them down different branches). The second input changes every `dynamic` dim: names as in
    --dynamic apply to every input of a fitting rank; "1:0" means dim 0 of input 1.
    """

    code: str
    inputs: tuple[tuple[int, ...], ...] = ((1, 3, 8, 8),)
    dynamic: tuple[str, ...] = ("batch", "height", "width")
    dtypes: tuple[str, ...] = ()  # per input; default float32
    shift: tuple[float, float] = (0.0, 0.0)
    random: bool = False  # outputs are random: compare shapes only
    train: bool = False  # export the model in training mode (default: .eval())
    # Compare with the model's eval-mode outputs (what a deployed model should compute) instead
    # of the outputs of the model as exported (which, with `train`, are training-mode outputs).
    eval_reference: bool = False
    requires: tuple[str, ...] = ()  # modules the pattern imports besides torch (claims skip without them)
    # How the dynamo exporter is told the `dynamic` dims are dynamic: "DYNAMIC" (`Dim.DYNAMIC`, what
    # `dynamic_axes` and string dim names become), "AUTO" (`Dim.AUTO`, which may specialise silently) or "NAMED"
    # (`torch.export.Dim("height")` objects, one per dim name).
    dim_hint: str = "DYNAMIC"

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class TorchChange:
    """What a claim became on a later tested torch (`torch`, one of torch_info.TESTED_TORCH).

    It holds from that release on (for a torch between two tested releases, the older one's facts
    apply; see torch_info.facts_version), until a later change of the same claim. It replaces the
    claim's outcome, `flagged` (by default, as for a claim, whether the new outcome is a failure)
    and `opset_written`; `note` keeps the claim's when empty.
    """

    torch: str
    outcome: str
    flagged: bool | None = None
    note: str = ""
    opset_written: int | None = None


@dataclass(frozen=True)
class Claim:
    """What exporting `pattern` does under one exporter and opset (asserted by tests/static/test_measured.py).

    Outcomes: "ok", "EXPORT" (export raised), "CHECKER", "ORT-LOAD", "ORT-RUN" (or "OV-LOAD", "OV-RUN"
    when `runtime` is "openvino"), "WRONG" (numbers
    differ on the export input), "BAKED" (right on the export input, wrong or failing on the
    second shape), "RANDOM" (random op, shapes right), "RAND-FROZEN" (random in PyTorch, the same
    outputs on every run of the exported model: randomness frozen or removed). `flagged` says
    whether the rule reports the pattern under these settings; by default it does exactly when the outcome is not "ok".
    """

    pattern: str  # key of the rule's PATTERNS
    exporter: str  # "legacy" or "dynamo"
    opset: int | None  # None: the exporter's default
    outcome: str
    flagged: bool | None = None
    note: str = ""
    # The runtime that runs the exported model; outcomes OV-LOAD / OV-RUN for "openvino".
    runtime: str = "onnxruntime"
    # When set: the ai.onnx opset the exporter must really write (the dynamo exporter may write
    # another opset than the one asked for).
    opset_written: int | None = None
    # What the claim became on later tested torch releases, oldest first (measured; see
    # docs/measurements.md, "Differences by torch version"). The claim itself is the pinned torch's fact.
    changed: tuple[TorchChange, ...] = ()

    @property
    def expects_finding(self) -> bool:
        return self.flagged if self.flagged is not None else self.outcome not in ("ok", "RANDOM")

    def for_torch(self, version: str | None = None) -> Claim:
        """The claim as it holds on the tested torch whose facts apply to `version` (default: the installed one)."""
        from onnxlint.knowledge.torch_info import facts_version, version_tuple

        current = version_tuple(facts_version(version))
        claim = self
        for change in self.changed:
            if version_tuple(change.torch) <= current:
                claim = dataclasses.replace(
                    claim,
                    outcome=change.outcome,
                    flagged=change.flagged,
                    note=change.note or claim.note,
                    opset_written=change.opset_written,
                    changed=(),
                )
        return claim


EVIDENCE_PACKAGE = "onnxlint.rules._evidence"
_RULES_PACKAGE = "onnxlint.rules."

T = TypeVar("T")


class Evidence(Generic[T]):
    """A rule's measured evidence (`PATTERNS`, `MEASURED` or `PARITY`), read on first access.

    `SomeRule.MEASURED` is the `MEASURED` of `onnxlint.rules._evidence.<module>`, where `<module>` is
    the rule's module under `onnxlint.rules` (for a subclass without evidence of its own, its
    nearest base's); the module is imported on first access, never while linting. A class that
    assigns the attribute in its body (a rule defined in a test) keeps that value, and a rule
    without an evidence module has the empty default.
    """

    def __init__(self, name: str, default: T) -> None:
        self.name = name
        self.default = default

    def __get__(self, instance: object, owner: type | None = None) -> T:
        for klass in (owner or type(instance)).__mro__:
            if self.name in vars(klass) and vars(klass)[self.name] is not self:
                return vars(klass)[self.name]  # set in the class body
            module = evidence_module(klass.__module__)
            if module is not None and hasattr(module, self.name):
                return getattr(module, self.name)
        return self.default


@functools.cache
def evidence_module(rule_module: str) -> ModuleType | None:
    """The evidence module of rule module `rule_module` (`onnxlint.rules.<name>`), or None when it has none."""
    if not rule_module.startswith(_RULES_PACKAGE):
        return None
    name = f"{EVIDENCE_PACKAGE}.{rule_module[len(_RULES_PACKAGE) :]}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None  # no evidence: the rule makes no measured claims
        raise  # an evidence module that imports something missing must fail loudly


class Rule:
    """Base class of source rules. Subclasses set the class attributes and define visit methods."""

    code: ClassVar[str]
    name: ClassVar[str]  # snake_case name of the pattern it flags
    message: ClassVar[str]  # the problem, as a sentence
    fix_title: ClassVar[str | None] = None  # the action, when the rule can fix
    fix_applicability: ClassVar[Applicability | None] = None  # what the rule's fixes are, for the docs
    severity: ClassVar[Severity] = Severity.ERROR
    # The file text must contain one of these for the rule to fire at all; files that contain
    # none of the enabled rules' trigger names are parsed (for syntax errors) but not walked.
    trigger_names: ClassVar[tuple[str, ...]] = ("torch",)
    default_enabled: ClassVar[bool] = True
    # One line for `onnxlint rules`: which exporter / opset / target the rule speaks for.
    applies_to: ClassVar[str] = ""
    # Whether a finding of the rule on the test of an `if` says the export keeps only the side the example's sizes
    # take (ONX302): findings under either side are then its consequences, reported at low (`report`).
    reports_the_kept_branch: ClassVar[bool] = False
    VALID: ClassVar[Sequence[Valid | str]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    # Tiny models whose fixed export must match the original (required for SAFE fixes); read from
    # rules/_evidence/<module>.py on first access, like PATTERNS and MEASURED below.
    PARITY = Evidence[Sequence[ParityCase]]("PARITY", ())
    # What the rule's fixes edit. "model": code that runs inside `forward` (a SAFE fix then needs
    # PARITY cases proving the exported numbers stay the same). "script": export scripts,
    # checkpoint loading and other code outside the traced model: nothing exported changes, so
    # there is nothing to compare (tests/static/test_safe_fix_parity.py checks those fixes leave every
    # model function untouched).
    fix_scope: ClassVar[str] = "model"
    # Ground truth: tiny models with the pattern, and what each exporter / opset does with them.
    PATTERNS = Evidence[dict[str, Pattern]]("PATTERNS", {})
    MEASURED = Evidence[Sequence[Claim]]("MEASURED", ())

    def __init__(self, context: FileContext) -> None:
        self.context = context

    # -- reporting -----------------------------------------------------------------------------

    def report(
        self,
        node: ast.AST | None = None,
        message: str | None = None,
        *,
        fix: Fix | None = None,
        severity: Severity | None = None,
        start: Location | None = None,
        end: Location | None = None,
        confidence: Confidence | None = None,
        extra: dict[str, object] | None = None,
        assumption: str | None = None,
    ) -> None:
        """Report a finding at `node`. Its confidence, unless given, says what was proven: that the
        code runs while exporting, and that the values `node` reads are what they are taken for
        (see `Confidence`). Code that runs at export only on a path the user has to ask for (a
        non-default implementation, an off-by-default flag, an optional cache, half precision, a
        file around the model: `FileContext.non_default_reason`) is LOW whatever else is proven.
        `assumption`: what the hazard itself rests on besides those facts (a bound on a size is wrong only
        for the sizes on its other side): one heuristic more, one level lower, said in the message. Code under
        an `if` whose test a rule that `reports_the_kept_branch` reported at medium or high is that finding's
        consequence (`FileContext.kept_branch_above`): LOW, its message naming the line to fix first."""
        context = self.context
        assumed = False
        if node is not None:
            if (
                context.skipped_during_export(node)
                or context.model.is_non_inference(context.function)
                or context.only_called_where_export_does_not_go(context.function)
            ):
                return  # code that does not run while exporting (training branches, export guards, losses)
            if message is not None:
                message = self.with_what_was_proven(node, message)
            if fix is not None and fix.applicability is not Applicability.DISPLAY_ONLY and context.only_reports(node):
                fix = dataclasses.replace(fix, applicability=Applicability.DISPLAY_ONLY)  # a message: never edited
            if confidence is None:
                confidence = finding_confidence(context, node, values=self.rests_on_values())
                assumed = assumption is not None
            if confidence is not Confidence.LOW:
                on_request = context.non_default_reason(node) or (
                    "code that builds the message of an error the model raises: it runs only for inputs the model "
                    "rejects"
                    if context.in_raise(node)
                    else None
                )
                if on_request is not None:  # a path the export takes only when the user asks for it
                    confidence = Confidence.LOW
                    message = f"{message or self.message}; low confidence: {on_request}"
                    assumed = False
            root = context.kept_branch_above(node) if confidence is not Confidence.LOW else None
            if root is not None:
                # The root cause is reported: the branch around `node` is kept only on the example's side.
                test, code, line = root
                confidence = Confidence.LOW
                message = (
                    f"{message or self.message}; low confidence: it runs only on one side of `{test}`, which {code} "
                    f"reports at line {line} as a branch the export keeps only on the side the example's sizes take: "
                    "that finding comes first"
                )
                assumed = False
            elif confidence is not Confidence.LOW and (undecided := context.undecided_reason(node)) is not None:
                # Reachability proven for the function, not for the line: it runs only where a test holds.
                confidence = Confidence.MEDIUM if confidence is Confidence.HIGH else Confidence.LOW
                message = f"{message or self.message}; {confidence.value} confidence: {undecided}"
            if assumed:
                confidence = Confidence.MEDIUM if confidence is Confidence.HIGH else Confidence.LOW
                message = f"{message or self.message}; {confidence.value} confidence: {assumption}"
            if self.reports_the_kept_branch and confidence is not Confidence.LOW:
                context.record_kept_branch(node, self.code, context.source.start_of(node).row)
            if confidence.rank < Confidence(context.settings.confidence).rank:
                return  # below the confidence asked for (`--confidence`)
            start = start or context.source.start_of(node)
            end = end or context.source.end_of(node)
        if start is None:
            start = Location(1, 1)
        if end is None:
            end = start
        context.add_finding(
            Finding(
                code=self.code,
                message=message or self.message,
                severity=severity or self.severity,
                filename=context.filename,
                start=start,
                end=end,
                rule_name=self.name,
                fix=fix,
                confidence=confidence or Confidence.HIGH,
                noqa_row=start.row,
                url=rule_url(self.code),
                extra=extra or {},
            )
        )

    def with_what_was_proven(self, node: ast.AST, message: str) -> str:
        """A rule's hook to add to every message it reports what it proved about `node` (ONX301: where the size its
        call converts comes from); by default the message as it is."""
        return message

    def make_fix(self, edits: Sequence[Edit], applicability: Applicability, title: str | None = None) -> Fix:
        return Fix(title=title or self.fix_title or "Apply fix", edits=tuple(edits), applicability=applicability)

    # -- class-level helpers -------------------------------------------------------------------

    @classmethod
    def rests_on_values(cls) -> bool:
        """Whether a finding rests on what a value is (a tensor, a size of the input: the data and shape
        bands, 2xx and 3xx), not only on the call it flags (operators, numerics, export scripts). A
        rule can say otherwise with `RESTS_ON_VALUES`."""
        declared = vars(cls).get("RESTS_ON_VALUES")
        return declared if declared is not None else cls.code[3] in "23"

    @classmethod
    def category(cls) -> str:
        return CATEGORIES.get(cls.code[3], "other")

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring's `## Section` blocks, by title."""
        sections: dict[str, str] = {}
        current: str | None = None
        lines: list[str] = []
        for line in cls.documentation().splitlines():
            if line.startswith("## "):
                if current is not None:
                    sections[current] = "\n".join(lines).strip()
                current, lines = line[3:].strip(), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            sections[current] = "\n".join(lines).strip()
        return sections

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of the docstring (before the first section)."""
        text = cls.documentation().split("\n## ", 1)[0].strip()
        return " ".join(text.split())


DOCS_URL = "https://github.com/onnxlint/onnxlint/blob/main/docs/rules/{code}.md"


def rule_url(code: str) -> str:
    return DOCS_URL.format(code=code)


def finding_confidence(context: FileContext, node: ast.AST, *, values: bool = True) -> Confidence:
    """HIGH, MEDIUM or LOW by what is proven about `node` (see `Confidence`).

    Module-level code (export scripts) is certain from the syntax. In a function: the reachability
    is proven when the function is model code (reached from an inference `forward` of this file), a
    heuristic otherwise; the values are proven unless `node` reads a parameter that has no
    annotation and is never rebound, whose kind is only assumed (`forward(self, x)`: x is taken for
    a tensor; a helper's parameters take the kinds of the arguments model code passes). `values`:
    whether the finding rests on those values at all (an operator call is a hazard whatever its
    arguments are)."""
    function = context.function
    if function is None:
        return Confidence.HIGH
    heuristics = 0 if context.in_model_code else 1
    if values and _reads_assumed_parameter(context, node):
        heuristics += 1
    return (Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW)[heuristics]


def _reads_assumed_parameter(context: FileContext, node: ast.AST) -> bool:
    """Whether `node` reads a parameter without annotation before the function rebinds it to a call's
    result (`x = self.proj(x)` makes `x` a module's output, proven; `x = x * 2` proves nothing): one whose kind
    the value model assumes (`FunctionScope.parameter_assumed`: not a size a caller passes, nor a value of no
    tensor kind). Reading only a parameter's shape (`x.shape[2] == 14`) does not count: a size finding is about
    the size the read proves."""
    function = context.function
    key = f"confidence:assumed:{id(function)}"
    assumed: dict[str, int] | None = context.cache.get(key)  # name -> line from which it is proven
    if assumed is None:
        assumed = {}
        info = function
        while info is not None:
            if type(info.node) is not ast.Lambda:
                scope = context.model.scope_for(info)
                arguments = info.node.args
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                for argument in every:
                    if (
                        argument.annotation is None
                        and argument.arg not in ("self", "cls")
                        and scope.parameter_assumed(argument.arg)
                    ):
                        assumed.setdefault(argument.arg, 10**9)
            info = info.parent
        for statement in ast.walk(function.node):  # type: ignore[union-attr]
            if type(statement) is ast.Assign and type(statement.value) is ast.Call:
                for target in statement.targets:
                    if type(target) is ast.Name and target.id in assumed:
                        assumed[target.id] = min(assumed[target.id], statement.end_lineno or statement.lineno)
        context.cache[key] = assumed
    if not assumed:
        return False
    row = getattr(node, "lineno", 0)
    return any(row <= assumed.get(name.id, -1) for name in _names_read_as_values(node))


# What reading a name's shape proves it has one: `x.shape[2]`, `x.size(2)`, `x.numel()`, `x.dim()`.
_SHAPE_READS = frozenset({"shape", "size", "numel", "dim", "ndim", "nelement"})


def _names_read_as_values(node: ast.AST) -> Iterator[ast.Name]:
    """The names `node` reads, but those it reads only the shape of (`x.shape[2] == 14`: whatever `x` is, the
    finding is about its size, which the read proves it has)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if type(current) is ast.Attribute and current.attr in _SHAPE_READS and type(current.value) is ast.Name:
            continue
        if type(current) is ast.Name:
            yield current
            continue
        pending.extend(ast.iter_child_nodes(current))
