"""Every graph check module under `onnxlint.graph.checks`, by code (imports no torch)."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from onnxlint.core.rule import CODE_PATTERN
from onnxlint.graph.check import GraphCheck


@functools.lru_cache(maxsize=1)
def all_checks() -> dict[str, type[GraphCheck]]:
    from onnxlint.graph import checks as package

    found: dict[str, type[GraphCheck]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, GraphCheck)
                and value is not GraphCheck
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                if not CODE_PATTERN.match(value.code) or value.code in found:
                    raise ValueError(f"{value.__name__}: bad or duplicate code {value.code!r}")
                found[value.code] = value
    return dict(sorted(found.items()))
