"""The rule registry: every rule module under `onnxlint.rules`, by code.

The engine asks the registry which rule classes are enabled; it never names a rule itself.
Codes are never reused: a retired code stays in `RETIRED_CODES`, a renamed one in `REDIRECTS`.

`discover` finds the documented classes of a package, by the package's name: the rules
(`onnxlint.rules`, run by the engine) and the graph checks (`onnxlint.graph.checks`, run only by the
graph layer; `onnxlint.graph.registry.all_checks`). The catalogue of every code (`documented_rules`,
`known_codes`) lists both; it names the graph checks' package and imports none of the graph layer's
modules itself.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from onnxlint.core.settings import Selection

if TYPE_CHECKING:  # imported where used: a run answered by the cache needs no rule machinery
    from onnxlint.core.rule import Rule

# Old code -> current code, for codes that were renumbered (selectors and noqa comments follow).
REDIRECTS: dict[str, str] = {}
# Codes that once named a rule and must never name another one.
RETIRED_CODES: frozenset[str] = frozenset()


RULES_PACKAGE = "onnxlint.rules"  # the top-level rules/ folder
GRAPH_CHECKS_PACKAGE = "onnxlint.graph.checks"


class RegistryError(ValueError):
    pass


def discover(package: str, accepts: Callable[[type], bool]) -> dict[str, type]:
    """code -> class, for every class a module of `package` (not a `_` helper, nor `api`) defines,
    with a `code` of its own, that `accepts`; sorted by code. A code must be of the form ONX###,
    unique, and not retired."""
    found: dict[str, type] = {}
    for module_info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__), key=lambda m: m.name):
        if not _is_rule_module(module_info.name):
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and "code" in vars(value)
                and accepts(value)
            ):
                _check_code(value, found)
                found[value.code] = value  # type: ignore[attr-defined]
    return dict(sorted(found.items()))


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """code -> rule class, for every rule module in the `onnxlint.rules` package."""
    from onnxlint.core.rule import Rule

    return discover(RULES_PACKAGE, lambda value: issubclass(value, Rule) and value is not Rule)


@functools.lru_cache(maxsize=1)
def graph_checks() -> dict[str, type]:
    """code -> graph check class (`onnxlint.graph.check.GraphCheck`, known by its `is_graph_check`
    marker), for every module of `onnxlint.graph.checks`. Importing them imports no torch."""
    return discover(GRAPH_CHECKS_PACKAGE, lambda value: getattr(value, "is_graph_check", False) is True)


def _is_rule_module(name: str) -> bool:
    """A rule's (or graph check's) module: not a `_` helper, nor `api` (what rules import)."""
    return not name.startswith("_") and name != "api"


def _check_code(value: type, found: dict[str, type]) -> None:
    from onnxlint.core.rule import CODE_PATTERN

    code = value.code  # type: ignore[attr-defined]
    if not CODE_PATTERN.match(code):
        raise RegistryError(f"{value.__name__}: code {code!r} is not of the form ONX###")
    if code in found:
        raise RegistryError(f"{value.__name__} and {found[code].__name__} share the code {code}")
    if code in RETIRED_CODES or code in REDIRECTS:
        raise RegistryError(f"{value.__name__}: code {code} is retired and must not be reused")


def documented_rules() -> dict[str, type]:
    """code -> rule or graph check, for listings, documentation and selectors (not for the static engine).

    Graph checks (`onnxlint.graph.checks`, ONX7xx) are documented like rules but run only in the
    graph layer; importing them imports no torch.
    """
    return dict(sorted({**all_rules(), **graph_checks()}.items()))


def rule_by_code(code: str) -> type[Rule] | None:
    code = REDIRECTS.get(code.upper(), code.upper())
    return all_rules().get(code)


def rule_by_name_or_code(key: str) -> type[Rule] | None:
    found = rule_by_code(key)
    if found is not None:
        return found
    for rule in all_rules().values():
        if rule.name == key or rule.name.replace("_", "-") == key:
            return rule
    return None


def selected_rules(selection: Selection, extra_ignores: Iterable[str] = ()) -> list[type[Rule]]:
    if extra_ignores:
        selection = Selection(selection.select, selection.extend_select, (*selection.ignore, *extra_ignores))
    return [rule for code, rule in all_rules().items() if selection.enables(code, rule.default_enabled)]


def normalize_selector(selector: str) -> str:
    selector = selector.strip().upper()
    return REDIRECTS.get(selector, selector)


_CODE_LINE = re.compile(rb'^    code = "(ONX\d{3})"', re.M)


@functools.lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """The codes of every rule and graph check, read from their modules' text without importing them.

    Selector validation runs on every run whose configuration selects codes, warm runs included,
    and importing every rule would be most of a warm run's time. `tests/graph/test_graph_static.py`
    checks that this equals the codes of `documented_rules()`.
    """
    rules_package = importlib.import_module(RULES_PACKAGE)  # the package only: no rule module is imported
    package_folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # onnxlint/, above core/
    checks_folder = os.path.join(package_folder, *GRAPH_CHECKS_PACKAGE.split(".")[1:])  # graph/checks, not imported
    codes: set[str] = set()
    for folder in (*rules_package.__path__, checks_folder):
        for module_info in pkgutil.iter_modules([folder]):
            if not _is_rule_module(module_info.name):
                continue
            path = os.path.join(folder, f"{module_info.name}.py")
            try:
                with open(path, "rb") as stream:
                    codes.update(code.decode() for code in _CODE_LINE.findall(stream.read()))
            except OSError:  # not plain files (a zip import): ask the classes themselves
                return frozenset(documented_rules())
    return frozenset(codes)


def validate_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that match no rule (and are not ALL or a known band prefix)."""
    unknown = []
    for selector in selectors:
        normalized = normalize_selector(selector)
        if normalized == "ALL" or normalized.startswith("ONX0") or ("ONX".startswith(normalized) and normalized):
            continue
        if not any(code.startswith(normalized) for code in known_codes()):
            unknown.append(selector)
    return unknown
