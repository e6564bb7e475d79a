"""Resolved settings for one lint run, and the export configuration a rule judges against."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import PurePath

from onnxlint.knowledge.torch_info import exporter_facts

EXPORTERS = ("dynamo", "legacy")
CONFIDENCES = ("high", "medium", "low")
# The target runtimes of linter/knowledge/runtimes.py (named here so that the CLI need not import those tables).
TARGETS = ("coreml", "onnxruntime", "openvino", "tensorrt")
DEFAULT_TARGET = "onnxruntime"


@dataclass(frozen=True)
class ExportConfig:
    """How a model is exported: what a rule needs to decide whether a pattern is a hazard.

    `requested_opset` is what the user asked for (None: torch's default). `opset` is the opset
    the exporter really translates at: with the dynamo exporter never below 18 (torch ≥ 2.9
    raises a lower request, then tries to down-convert and silently keeps 18 on failure).
    """

    exporter: str  # "dynamo" (torch.onnx.export's default since 2.9) or "legacy" (TorchScript)
    requested_opset: int | None
    target: str = DEFAULT_TARGET
    origin: str = (
        "settings"  # "settings", "call" (a torch.onnx.export call) or "script" (one in a file importing this one)
    )
    site: str | None = None  # with origin "script": where that call is ("export.py:18")

    @property
    def is_dynamo(self) -> bool:
        return self.exporter == "dynamo"

    @property
    def is_legacy(self) -> bool:
        return self.exporter == "legacy"

    @property
    def opset(self) -> int:
        facts = exporter_facts()
        requested = self.requested_opset if self.requested_opset is not None else facts.default_opset
        if self.is_dynamo:
            return max(requested, facts.dynamo_minimum_opset)
        return requested

    @property
    def opset_ceiling(self) -> int | None:
        """The opset the user asked for when the exporter writes a higher one (the dynamo exporter
        below its floor): the user's runtime stops there, so operator support is judged against it
        as the TorchScript exporter's is against its opset. None when the request is honoured."""
        if self.is_dynamo and self.requested_opset is not None and self.requested_opset < self.opset:
            return self.requested_opset
        return None

    @property
    def exporter_label(self) -> str:
        if self.origin == "script" and self.site:  # name the export call in another file that decides it
            return (
                f"the dynamo exporter (as called at {self.site})"
                if self.is_dynamo
                else (f"the TorchScript exporter (dynamo=False, as called at {self.site})")
            )
        return "the dynamo exporter" if self.is_dynamo else "the TorchScript exporter (dynamo=False)"

    def describe(self) -> str:
        return f"{self.exporter_label} at opset {self.opset}"


@dataclass(frozen=True)
class ExportSite:
    """A `torch.onnx.export(...)` call in an export script that imports the file being linted.

    Found by the runner's pre-pass (linter/frontends/export_sites.py) and handed to the imported model
    files through `LintSettings.export_sites`, so that `lint_source` stays a pure function of
    (text, settings) while model code is judged by the exporter and opset that really export it.
    """

    site: str  # "path/to/export.py:18", as shown to the user
    exporter: str
    requested_opset: int | None


@dataclass(frozen=True)
class OnRequestUse:
    """A top-level class or function of the file being linted that the other files of the run build or call only
    in functions that run on request (an opt-in switch such as `enable_free_noise()`, training code), or call only
    on paths their own analysis says are taken on request (`apply_freeu` under `if is_freeu_enabled:`).

    Found by the runner's pre-pass and its cross-file step (linter/frontends/on_request.py) and handed to the file through
    `LintSettings.on_request`; findings inside the definition are `low`, with `reason`."""

    name: str
    reason: str


@dataclass(frozen=True)
class NonDefaultReference:
    """A call of a name the file imports from its own package (`from ...utils.torch_utils import apply_freeu`) at a
    place its own analysis says the export reaches only on request (`if is_freeu_enabled:`), with why.

    `engine.non_default_references` gives them for the names the runner's cross-file step asks about
    (linter/frontends/on_request.py), which finds the definitions every file of the run calls only in such places. `module` and `level` are the import's as written, `column` is the UTF-8 byte offset that
    `ast` gives."""

    module: str
    level: int
    name: str
    line: int
    column: int
    reason: str


@dataclass(frozen=True)
class PerFileIgnore:
    pattern: str
    codes: tuple[str, ...]

    def matches(self, relative_path: str) -> bool:
        path = PurePath(relative_path)
        name = path.name
        return (
            fnmatch.fnmatch(relative_path, self.pattern)
            or fnmatch.fnmatch(name, self.pattern)
            or path.match(self.pattern)
            or any(fnmatch.fnmatch(part, self.pattern.rstrip("/")) for part in path.parts[:-1])
        )


@dataclass(frozen=True)
class Selection:
    """Which rules run: ruff's semantics (the most specific selector wins; ties go to ignore)."""

    select: tuple[str, ...] = ("ONX",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def enables(self, code: str, default_enabled: bool = True) -> bool:
        best_select = -1
        for selector in (*self.select, *self.extend_select):
            length = _match_length(selector, code, default_enabled)
            best_select = max(best_select, length)
        if best_select < 0:
            return False
        best_ignore = max((_match_length(s, code, True) for s in self.ignore), default=-1)
        return best_select > best_ignore


def _match_length(selector: str, code: str, default_enabled: bool) -> int:
    """How specifically `selector` names `code` (-1: not at all)."""
    selector = selector.strip().upper()
    if selector == "ALL":
        return 0
    if not code.startswith(selector):
        return -1
    # Rules that are off by default only run when selected by their band or their full code.
    if not default_enabled and len(selector) < len(code) - 2:
        return -1
    return len(selector)


@dataclass(frozen=True)
class LintSettings:
    selection: Selection = field(default_factory=Selection)
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    exporter: str = "dynamo"
    opset: int | None = None
    target: str = DEFAULT_TARGET
    project_root: str | None = None  # per-file-ignores patterns are relative to it
    # The lowest confidence reported ("high", "medium" or "low"; findings.Confidence).
    confidence: str = "medium"
    # The export calls of the scripts that import this file (set per file by the runner).
    export_sites: tuple[ExportSite, ...] = ()
    # This file's top-level definitions that the rest of the run uses only on request (set per file by the runner).
    on_request: tuple[OnRequestUse, ...] = ()
    # The defaults of the configuration class the file imports from its package (set per file by the runner:
    # analysis/config_defaults.py): `(option, default)` pairs.
    config_defaults: tuple[tuple[str, bool | int | float | str | None], ...] = ()
    # Decorators (by last name) that mark a class's `forward` or a function as an implementation that is
    # not the default one (`non-default-decorators`; transformers' `use_experts_implementation` is built
    # in): findings there are `low` confidence.
    non_default_decorators: tuple[str, ...] = ()

    def export_config(self) -> ExportConfig:
        return ExportConfig(self.exporter, self.opset, self.target)

    def ignored_for(self, relative_path: str) -> tuple[str, ...]:
        codes: list[str] = []
        for entry in self.per_file_ignores:
            if entry.matches(relative_path):
                codes.extend(entry.codes)
        return tuple(codes)
