"""Output formats. Each reporter turns the run's outcomes into text; none of them lints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..findings import Finding
from ..runner import FileOutcome


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    show_fixes: bool = True  # code frames and help lines in the text format
    unsafe_fixes: bool = False  # whether unsafe fixes count as fixable
    fixing: bool = False  # the run applied fixes (summary says fixed / remaining)
    diffing: bool = False  # the run showed fixes as diffs (findings are not listed)
    quiet: bool = False
    statistics: bool = False


Reporter = Callable[[list[FileOutcome], ReportOptions], str]


def all_findings(outcomes: list[FileOutcome]) -> list[Finding]:
    return [finding for outcome in outcomes for finding in outcome.findings]


# format -> (module, function); only the chosen module is imported (SARIF's loads every rule's docs).
_REPORTERS = {
    "text": ("text", "render"),
    "concise": ("text", "render_concise"),
    "json": ("json_format", "render"),
    "sarif": ("sarif", "render"),
    "github": ("github", "render"),
}


def get_reporter(name: str) -> Reporter:
    import importlib

    module, function = _REPORTERS[name]
    return getattr(importlib.import_module(f".{module}", __name__), function)


FORMATS = ("text", "concise", "json", "sarif", "github")
