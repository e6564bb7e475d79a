"""What a verify run found: stages, timings, parity, baked shapes, the ONNX file's summary.

Pure data plus renderers (terminal text, Markdown, JSON). Nothing here imports torch or onnx,
so a report can be rendered or compared anywhere (`python -m onnxlint.verify.demo compare`).
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from onnxlint.core.findings import Finding

SCHEMA_VERSION = 1


class Status(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"  # requested, but an earlier stage it needs failed
    SKIPPED = "skipped"  # not requested (e.g. onnxsim without --simplify), or not available

    @property
    def symbol(self) -> str:
        return {"passed": "✓", "failed": "✗", "not run": "·", "skipped": "-"}[self.value]


# The stages, in order. "graph" runs only when the graph layer (onnxlint.graph) is installed.
STAGES = ("lint", "load", "graph", "export", "checker", "simplify", "onnxruntime", "parity")
STAGE_TITLES = {
    "lint": "lint (static rules)",
    "load": "load model and weights",
    "graph": "graph capture rules",
    "export": "torch.onnx.export",
    "checker": "onnx.checker (full_check)",
    "simplify": "onnxsim",
    "onnxruntime": "onnxruntime session (CPU)",
    "parity": "parity with eager PyTorch",
}


@dataclass
class StageResult:
    name: str
    status: Status = Status.NOT_RUN
    seconds: float | None = None
    reason: str | None = None  # why it failed, was not run or was skipped (one line)
    detail: str | None = None  # longer text: an error's cause chain, a traceback excerpt
    notes: list[str] = field(default_factory=list)  # warnings worth showing even when it passed
    # A failed stage's explanation: located findings, the root-cause line first (the verify layer's own,
    # then the graph layer's diagnosis); the exporter's raw error text stays in `detail`.
    explained_by: list[Finding] = field(default_factory=list)

    @property
    def title(self) -> str:
        return STAGE_TITLES.get(self.name, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "reason": self.reason,
            "detail": self.detail,
            "notes": self.notes,
            "explained_by": [_finding_json(f) for f in self.explained_by],
        }


@dataclass
class OutputDiff:
    """One output tensor of one input set: ONNX Runtime against eager PyTorch."""

    index: int
    shape: list[int] | None  # eager (reference) shape
    onnx_shape: list[int] | None
    max_abs: float | None
    max_rel: float | None
    within_tolerance: bool
    note: str = ""


@dataclass
class ParityResult:
    """One input set (the example, or the example with one dynamic dim changed)."""

    label: str  # "example", "batch=2", "height=512"
    shapes: list[list[int]]
    dim: str | None  # the dynamic dim this set changes (None: the example shapes)
    status: Status
    max_abs: float | None = None
    max_rel: float | None = None
    outputs: list[OutputDiff] = field(default_factory=list)
    error: str | None = None  # onnxruntime rejected the input, or eager failed
    kind: str | None = (
        None  # "numeric mismatch", "baked shape", "onnxruntime error", "reference error", "eager rejects"
    )
    seconds: float | None = None  # the onnxruntime run
    size: int | None = None  # the size of `dim` in this set
    why: str = ""  # why this size was checked ("crosses Eq(Mod(height, 2), 0) (outside)", "odd, prime")
    inside: bool | None = None  # inside the guards' validity domain (None: not known)
    compared_inside: str | None = None  # the label of the batch set this set was compared in, as its first rows


@dataclass
class Location:
    """A source line tied to a verify result."""

    file: str
    line: int
    code: str = ""  # the line's text
    why: str = ""  # how it was tied: "ORT error in node Reshape", "constant differs between exports", ...


@dataclass
class BakedShape:
    dim: str  # the dynamic dim name
    how: str  # "rejects" (onnxruntime refuses the input) or "mis-computes" (wrong shape or numbers)
    detail: str
    locations: list[Location] = field(default_factory=list)
    suspects: list[Location] = field(default_factory=list)  # static findings and tracer warnings, unconfirmed


@dataclass
class OnnxSummary:
    opset: int | None = None  # the ai.onnx opset the file declares
    opset_requested: int | None = None
    opset_imports: dict[str, int] = field(default_factory=dict)
    ir_version: int | None = None
    producer: str = ""
    nodes: int = 0
    op_types: dict[str, int] = field(default_factory=dict)  # histogram, most frequent first
    inputs: list[dict[str, Any]] = field(default_factory=list)  # {"name", "shape" (ints and dim names), "dtype"}
    outputs: list[dict[str, Any]] = field(default_factory=list)
    size_bytes: int | None = None
    path: str | None = None
    simplified_size_bytes: int | None = None
    simplified_nodes: int | None = None
    simplified_op_types: dict[str, int] = field(default_factory=dict)


@dataclass
class FixRecord:
    """One fix applied by `--fix --verify`, and what became of its hazard."""

    code: str
    file: str
    line: int
    title: str
    applicability: str
    hazard_gone: bool  # the finding is no longer reported on the fixed code


@dataclass
class FixVerification:
    """The outcome of `--fix --verify`: the original's run, the fixed code's run, the decision."""

    fixes: list[FixRecord]
    original: VerifyReport | None
    fixed: VerifyReport | None
    eager_max_abs: float | None  # fixed model vs original model, both eager, on the example input
    eager_max_rel: float | None
    verified: bool
    written: list[str] = field(default_factory=list)
    reason: str = ""  # why nothing was written, or why the files were written anyway

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "verified": self.verified,
            "written": self.written,
            "reason": self.reason,
            "eager_max_abs": self.eager_max_abs,
            "eager_max_rel": self.eager_max_rel,
            "fixes": [asdict(f) for f in self.fixes],
            "original": self.original.to_json() if self.original else None,
            "fixed": self.fixed.to_json() if self.fixed else None,
        }


@dataclass
class VerifyReport:
    model: dict[str, Any]  # the spec: file, constructor, inputs, weights
    settings: dict[str, Any]  # exporter, opset, tolerances, simplify, target, output
    versions: dict[str, str] = field(default_factory=dict)
    stages: dict[str, StageResult] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # lint (static, graph) and verify findings
    onnx: OnnxSummary | None = None
    parity: list[ParityResult] = field(default_factory=list)
    baked: list[BakedShape] = field(default_factory=list)
    domains: list[Any] = field(default_factory=list)  # onnxlint.graph.domain.DimDomain per dynamic dim name
    extra_seconds: float = 0.0  # what the guard-directed sizes cost (eager and onnxruntime)
    total_seconds: float = 0.0

    def stage(self, name: str) -> StageResult:
        if name not in self.stages:
            self.stages[name] = StageResult(name)
        return self.stages[name]

    @property
    def passed(self) -> bool:
        """Every requested stage passed (skipped stages were not requested)."""
        return all(s.status in (Status.PASSED, Status.SKIPPED) for s in self.ordered_stages())

    def ordered_stages(self) -> list[StageResult]:
        return [self.stages[name] for name in STAGES if name in self.stages]

    def failed_stage(self) -> StageResult | None:
        return next((s for s in self.ordered_stages() if s.status is Status.FAILED), None)

    # -- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "passed": self.passed,
            "model": self.model,
            "settings": self.settings,
            "versions": self.versions,
            "total_seconds": round(self.total_seconds, 3),
            "stages": [s.to_json() for s in self.ordered_stages()],
            "findings": [_finding_json(f) for f in self.findings],
            "onnx": asdict(self.onnx) if self.onnx else None,
            "parity": [_parity_json(p) for p in self.parity],
            "baked": [asdict(b) for b in self.baked],
            "domains": [d.to_json() for d in self.domains],
            "extra_sizes_seconds": round(self.extra_seconds, 3),
        }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "message": finding.message,
        "severity": finding.severity.value,
        "filename": finding.filename,
        "line": finding.start.row,
        "column": finding.start.column,
        "origin": finding.origin,
        "related": [{"filename": r.filename, "line": r.start.row, "message": r.message} for r in finding.related or ()],
        "fix": None
        if finding.fix is None
        else {"title": finding.fix.title, "applicability": finding.fix.applicability.value},
    }


def _parity_json(result: ParityResult) -> dict[str, Any]:
    data = asdict(result)
    data["status"] = result.status.value
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


# -- formatting helpers -------------------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def format_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def format_diff(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


def format_shape(shape: list[Any]) -> str:
    return "x".join(str(d) for d in shape)


def histogram_text(op_types: dict[str, int], limit: int = 12) -> str:
    items = list(op_types.items())
    text = ", ".join(f"{op} {count}" for op, count in items[:limit])
    if len(items) > limit:
        text += f", ... ({len(items) - limit} more op types)"
    return text


# -- terminal text ------------------------------------------------------------------------------


def explanation_lines(stage: StageResult, indent: str = "      ") -> list[str]:
    """A failed stage's located findings: `why:` the root-cause line, `your code:` the user's frame."""
    lines = []
    for finding in stage.explained_by:
        lines.append(f"{indent}why: {finding.filename}:{finding.start.row}: {finding.code} {finding.message[:200]}")
        for related in finding.related[:2]:
            lines.append(f"{indent}     {related.message}: {related.filename}:{related.start.row}")
    return lines


def render_text(report: VerifyReport, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    status_color = {Status.PASSED: "32", Status.FAILED: "31;1", Status.NOT_RUN: "33", Status.SKIPPED: "2"}
    lines: list[str] = []
    model = report.model
    settings = report.settings
    lines.append(paint(f"onnxlint export: {model.get('constructor', '?')} from {model.get('source', '?')}", "1"))
    inputs = ", ".join(model.get("inputs_text", []))
    lines.append(f"  inputs: {inputs}")
    opset = settings.get("opset")
    lines.append(
        f"  exporter: {settings.get('exporter')}"
        + (f", opset {opset} requested" if opset is not None else ", default opset")
        + f"; tolerance rtol={settings.get('rtol')}, atol={settings.get('atol')}"
    )
    lines.append("")
    width = max(len(s.title) for s in report.ordered_stages()) if report.stages else 10
    for stage in report.ordered_stages():
        label = f"{stage.status.symbol} {stage.status.value:<7}"
        text = (
            f"  {paint(label, status_color[stage.status])}  {stage.title:<{width}}  {format_seconds(stage.seconds):>9}"
        )
        if stage.reason:
            text += f"  {stage.reason}"
        lines.append(text.rstrip())
        for note in stage.notes:
            lines.append(f"      {paint('note:', '33')} {note}")
        if stage.status is Status.FAILED:
            lines.extend(explanation_lines(stage))
        if stage.status is Status.FAILED and stage.detail:
            if stage.explained_by:
                lines.append("      the exporter's / runtime's own words:")
            for detail_line in stage.detail.splitlines()[:12]:
                lines.append(f"      {detail_line}")
    if report.parity:
        lines.append("")
        lines.append("  parity (onnxruntime vs eager PyTorch):")
        for result in report.parity:
            shapes = " ".join(format_shape(s) for s in result.shapes)
            verdict = paint(result.status.value, status_color[result.status])
            text = (
                f"    {result.label:<16} {shapes:<22} max abs {format_diff(result.max_abs)}  "
                f"max rel {format_diff(result.max_rel)}  {verdict}"
            )
            if result.kind and result.status is Status.FAILED:
                text += f" ({result.kind})"
            lines.append(text)
            if result.why and result.label != "example":
                lines.append(f"      checked because: {result.why}")
            if result.compared_inside:
                lines.append(
                    f"      compared inside {result.compared_inside}: its first batch entries are these inputs"
                )
            if result.error:
                lines.append(f"      {result.error}")
    if report.domains:
        lines.append("")
        lines.append("  valid sizes (as far as the exporter's guards and the checks show):")
        name_width = max(len(d.name) for d in report.domains)
        for domain in report.domains:
            text = domain.text()
            if domain.one_size_only:
                text = paint(text, "31;1")
            checked = _checked_text(domain.checked)
            lines.append(f"    {domain.name:<{name_width}}  {text}" + (f"  (checked: {checked})" if checked else ""))
    for baked in report.baked:
        lines.append("")
        lines.append(paint(f"  baked shape: dim '{baked.dim}' {baked.how}", "31;1") + f": {baked.detail}")
        for location in baked.locations:
            lines.append(f"    --> {location.file}:{location.line}: {location.code.strip()}")
            if location.why:
                lines.append(f"        ({location.why})")
        for location in baked.suspects:
            lines.append(f"    suspect {location.file}:{location.line}: {location.code.strip()}  ({location.why})")
    if report.onnx is not None:
        onnx_summary = report.onnx
        lines.append("")
        opset_text = f"opset {onnx_summary.opset}"
        if onnx_summary.opset_requested is not None and onnx_summary.opset_requested != onnx_summary.opset:
            opset_text += paint(f" (requested {onnx_summary.opset_requested})", "31;1")
        size = format_bytes(onnx_summary.size_bytes)
        if onnx_summary.simplified_size_bytes is not None:
            size += f" -> {format_bytes(onnx_summary.simplified_size_bytes)} after onnxsim"
        where = f" -> {onnx_summary.path}" if onnx_summary.path else ""
        lines.append(f"  onnx: {opset_text}, {onnx_summary.nodes} nodes, {size}{where}")
        ins = "; ".join(f"{i['name']} {format_shape(i['shape'])}" for i in onnx_summary.inputs)
        outs = "; ".join(f"{o['name']} {format_shape(o['shape'])}" for o in onnx_summary.outputs)
        lines.append(f"  io: in {ins}  out {outs}")
        lines.append(f"  ops: {histogram_text(onnx_summary.op_types)}")
        if onnx_summary.simplified_nodes is not None:
            lines.append(
                f"  after onnxsim: {onnx_summary.simplified_nodes} nodes: {histogram_text(onnx_summary.simplified_op_types)}"
            )
    lines.append("")
    failed = [s for s in report.ordered_stages() if s.status is Status.FAILED]
    if report.passed:
        lines.append(paint(f"All stages passed in {format_seconds(report.total_seconds)}.", "32;1"))
    else:
        names = ", ".join(s.name for s in failed) or "?"
        lines.append(paint(f"Failed: {names}", "31;1") + f" ({format_seconds(report.total_seconds)}).")
    return "\n".join(lines) + "\n"


# -- Markdown -----------------------------------------------------------------------------------


def render_markdown(report: VerifyReport) -> str:
    model, settings = report.model, report.settings
    out: list[str] = [f"# onnxlint export report: {model.get('constructor', '?')}", ""]
    verdict = "**passed**" if report.passed else "**failed**"
    out.append(f"Result: {verdict} in {format_seconds(report.total_seconds)}.")
    out.append("")
    out.append(f"- model: `{model.get('constructor')}` from `{model.get('source')}`")
    if model.get("weights"):
        out.append(f"- weights: `{model['weights']}` (loaded with `weights_only=True`)")
    out.append(f"- inputs: {', '.join(f'`{t}`' for t in model.get('inputs_text', []))}")
    out.append(
        f"- exporter: `{settings.get('exporter')}`, opset requested: "
        f"{settings.get('opset') if settings.get('opset') is not None else 'default'}; "
        f"tolerance rtol={settings.get('rtol')}, atol={settings.get('atol')}; target {settings.get('target')}"
    )
    if report.versions:
        out.append("- versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()))
    out += ["", "## Stages", "", "| stage | status | time | reason |", "|---|---|---|---|"]
    for stage in report.ordered_stages():
        reason = (stage.reason or "").replace("|", "\\|")
        if stage.notes:
            reason += ("<br>" if reason else "") + "<br>".join("note: " + n.replace("|", "\\|") for n in stage.notes)
        out.append(f"| {stage.title} | {stage.status.value} | {format_seconds(stage.seconds)} | {reason} |")
    failed = [s for s in report.ordered_stages() if s.status is Status.FAILED and (s.detail or s.explained_by)]
    for stage in failed:
        why = "\n".join(line.strip() for line in explanation_lines(stage, ""))
        out += ["", f"### {stage.title}: details", "", "```text", "\n".join(t for t in (why, stage.detail) if t), "```"]
    if report.parity:
        out += [
            "",
            "## Parity (onnxruntime vs eager PyTorch)",
            "",
            "| input set | shapes | max abs | max rel | result |",
            "|---|---|---|---|---|",
        ]
        for result in report.parity:
            shapes = ", ".join(format_shape(s) for s in result.shapes)
            verdict = result.status.value + (
                f" ({result.kind})" if result.kind and result.status is Status.FAILED else ""
            )
            out.append(
                f"| {result.label} | {shapes} | {format_diff(result.max_abs)} | {format_diff(result.max_rel)} | {verdict} |"
            )
        errors = [r for r in report.parity if r.error]
        for result in errors:
            out.append(f"\n`{result.label}`: {result.error}")
    if report.domains:
        out += ["", "## Valid sizes", "", "| dim | valid sizes (guards and checks) | checked |", "|---|---|---|"]
        for domain in report.domains:
            out.append(f"| {domain.name} | {domain.text()} | {_checked_text(domain.checked)} |")
    for baked in report.baked:
        out += ["", f"## Baked shape: `{baked.dim}` {baked.how}", "", baked.detail, ""]
        for location in baked.locations:
            out.append(f"- `{location.file}:{location.line}`: `{location.code.strip()}` ({location.why})")
        for location in baked.suspects:
            out.append(f"- suspect `{location.file}:{location.line}`: `{location.code.strip()}` ({location.why})")
    if report.findings:
        out += ["", "## Findings", ""]
        for finding in report.findings:
            out.append(
                f"- `{finding.filename}:{finding.start.row}:{finding.start.column}` {finding.code} "
                f"({finding.origin}, {finding.severity.value}): {finding.message}"
            )
    if report.onnx is not None:
        summary = report.onnx
        out += ["", "## ONNX model", ""]
        requested = f" (requested {summary.opset_requested})" if summary.opset_requested is not None else ""
        out.append(
            f"- opset: {summary.opset}{requested}; imports: {summary.opset_imports}; IR version {summary.ir_version}"
        )
        out.append(f"- nodes: {summary.nodes}; file size: {format_bytes(summary.size_bytes)}")
        if summary.simplified_size_bytes is not None:
            out.append(
                f"- after onnxsim: {summary.simplified_nodes} nodes, {format_bytes(summary.simplified_size_bytes)}"
            )
        if summary.path:
            out.append(f"- written to `{summary.path}`")
        out.append(
            "- inputs: " + "; ".join(f"`{i['name']}` {format_shape(i['shape'])} {i['dtype']}" for i in summary.inputs)
        )
        out.append(
            "- outputs: " + "; ".join(f"`{o['name']}` {format_shape(o['shape'])} {o['dtype']}" for o in summary.outputs)
        )
        out += ["", "| op type | count |" + (" after onnxsim |" if summary.simplified_op_types else ""), "|---|---|"]
        if summary.simplified_op_types:
            out[-1] += "---|"
        for op, count in summary.op_types.items():
            row = f"| {op} | {count} |"
            if summary.simplified_op_types:
                row += f" {summary.simplified_op_types.get(op, 0)} |"
            out.append(row)
        for op, count in summary.simplified_op_types.items():
            if op not in summary.op_types:
                out.append(f"| {op} | 0 | {count} |")
    return "\n".join(out) + "\n"


def _checked_text(checked: dict[int, str]) -> str:
    marks = {"passed": "ok", "failed": "FAILED", "eager rejects": "eager rejects"}
    return ", ".join(f"{size} {marks.get(how, how)}" for size, how in sorted(checked.items()))


def first_failure(report: VerifyReport) -> StageResult | None:
    """The failed stage that matters most: load or an export stage before lint and the graph diagnosis."""
    failed = [s for s in report.ordered_stages() if s.status is Status.FAILED]
    preferred = [s for s in failed if s.name not in ("lint", "graph")]
    return next(iter(preferred or failed), None)


def render_fix_text(result: FixVerification, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = ["", paint("Fixes verified by re-export:", "1")]
    for fix in result.fixes:
        gone = "hazard gone" if fix.hazard_gone else paint("still reported", "33")
        lines.append(f"  {fix.file}:{fix.line}: {fix.code} [{fix.applicability}] {fix.title} ({gone})")
    if not result.fixes:
        lines.append("  (no fixes to apply)")
    original, fixed = result.original, result.fixed
    for label, report in (("original code:", original), ("fixed code:   ", fixed)):
        if report is None:
            continue
        stage = first_failure(report)
        verdict = "passed" if stage is None else f"failed at {stage.title}: {stage.reason}"
        lines.append(f"  {label} {verdict}")
    if fixed is not None and fixed.parity:
        lines.append("  fixed ONNX vs ORIGINAL eager model:")
        for parity in fixed.parity:
            where = f"max abs {format_diff(parity.max_abs)}" if parity.max_abs is not None else (parity.error or "")
            lines.append(f"    {parity.label:<14} {parity.status.value:<7} {where}")
    if result.eager_max_abs is not None:
        lines.append(
            f"  fixed vs original, both eager: max abs {format_diff(result.eager_max_abs)}, "
            f"max rel {format_diff(result.eager_max_rel)}"
        )
    if result.written:
        lines.append(paint(f"Wrote {len(result.written)} file(s): {', '.join(result.written)}", "32;1"))
        if result.reason:
            lines.append(f"  ({result.reason})")
    else:
        lines.append(paint(f"Nothing written: {result.reason}", "31;1" if not result.verified else "33"))
    return "\n".join(lines) + "\n"
