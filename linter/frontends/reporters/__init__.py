"""Output formats. Each reporter turns the run's outcomes into text; none of them lints."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from onnxlint.core.findings import Finding
from onnxlint.frontends.runner import FileOutcome


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(document: object) -> str:
    """`document` as indented JSON, non-ASCII text as it is, and still valid UTF-8 when a file
    name holds bytes that are not (Python reads them as lone surrogates, `\\udcff`): those are
    written as JSON escapes, which Python's `json` reads back and `os.fsencode` turns into the
    name's bytes, instead of making the whole output undecodable (or a strict stdout raise)."""
    import json

    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


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
