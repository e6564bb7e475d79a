"""Every graph check module under `onnxlint.graph.checks`, by code (imports no torch).

Found as the rules are, by `onnxlint.core.registry.discover` (`registry.graph_checks`): one
discovery, one list of graph checks for the graph engine and the catalogue of every code.
"""

from __future__ import annotations

from typing import cast

from onnxlint.core.registry import graph_checks
from onnxlint.graph.check import GraphCheck


def all_checks() -> dict[str, type[GraphCheck]]:
    checks = graph_checks()
    assert all(issubclass(check, GraphCheck) for check in checks.values())
    return cast("dict[str, type[GraphCheck]]", checks)
