"""The defaults of a model's configuration class, read from the configuration module beside the model's file.

transformers keeps a model's options in `configuration_<model>.py` (`use_relative_position_embeddings: bool =
False`, or `def __init__(self, ..., hidden_stride=1, ...)`) and the model's file imports it (`from
.configuration_vitdet import VitDetConfig`). A branch on such an option (`if self.config.use_relative_...:`, or
on `self.use_relative_... = config.use_relative_...` in `forward`) whose default does not take it is a path
the user asks for by choosing a configuration: `FileContext.non_default_reason` reports findings there at `low`.

A configuration class of a module that imports transformers' `PreTrainedConfig` also takes the flags that base class
gives every configuration (`output_attentions` and `output_hidden_states` False, `return_dict` True) where it does not
declare them.

Syntax only: the configuration module is parsed, never imported. The front ends read it
(`frontends.runner.sibling_configurations`: a regular file beside the model's, no link, at most 1 MiB) and pass
what it declares through `LintSettings.config_defaults`; its bytes join the file's cache digest.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping

from onnxlint.analysis.bindings import parameter_defaults
from onnxlint.analysis.calls import NOT_LITERAL, literal_value

# An import of a configuration module: relative, of the same package (`from .configuration_vitdet import
# VitDetConfig`), or absolute (`from transformers.models.superpoint.configuration_superpoint import ...`): the folder
# it names, or "" for a relative import, and the module.
_CONFIGURATION_IMPORT = re.compile(rb"^from (?:\.|[\w.]*?(\w+)\.)(configuration_\w+) import ", re.MULTILINE)
Default = bool | int | float | str | None
# What transformers' `PreTrainedConfig` (configuration_utils.py) gives every configuration that does not declare it:
# the flags a model's `forward` falls back on when its caller passes None (`output_attentions if output_attentions is
# not None else self.config.output_attentions`).
_TRANSFORMERS_BASE_DEFAULTS: dict[str, Default] = {
    "output_attentions": False,
    "output_hidden_states": False,
    "return_dict": True,
}
_TRANSFORMERS_BASES = frozenset({"PreTrainedConfig", "PretrainedConfig"})


def imported_configurations(raw: bytes, folder: str) -> list[str]:
    """The configuration modules of its own package that a model's source in `folder` (its folder's name) imports
    (`configuration_vitdet`): relatively, or absolutely through a module path that ends in that folder."""
    if b".configuration_" not in raw:  # the warm path of every other file: one substring search
        return []
    named = folder.encode()
    return sorted(
        {module.decode() for package, module in _CONFIGURATION_IMPORT.findall(raw) if package in (b"", named)}
    )


def configuration_defaults(modules: list[tuple[str, bytes]]) -> tuple[tuple[str, Default], ...]:
    """`(option, default)` for every option a `...Config` class of the modules declares with a literal default
    (a class attribute or an `__init__` parameter); an option two classes declare differently is left out."""
    return _defaults(tuple(modules))


@functools.lru_cache(maxsize=64)  # the language server asks again at every edit of the model's file
def _defaults(modules: tuple[tuple[str, bytes], ...]) -> tuple[tuple[str, Default], ...]:
    defaults: dict[str, Default] = {}
    conflicting: set[str] = set()
    for _name, source in modules:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        transformers_base = any(
            type(node) is ast.ImportFrom and any(alias.name in _TRANSFORMERS_BASES for alias in node.names)
            for node in tree.body
        )
        for node in tree.body:
            if type(node) is ast.ClassDef and node.name.endswith("Config"):
                declared = _class_defaults(node)
                if transformers_base:
                    names = {option for option, _ in declared}
                    declared += [(k, v) for k, v in _TRANSFORMERS_BASE_DEFAULTS.items() if k not in names]
                for option, value in declared:
                    if option in defaults and defaults[option] != value:
                        conflicting.add(option)
                    defaults[option] = value
    return tuple(sorted((k, v) for k, v in defaults.items() if k not in conflicting))


def _class_defaults(node: ast.ClassDef) -> list[tuple[str, Default]]:
    found: list[tuple[str, Default]] = []
    properties: list[ast.FunctionDef] = []
    for statement in node.body:
        if type(statement) is ast.FunctionDef and any(
            type(d) is ast.Name and d.id == "property" for d in statement.decorator_list
        ):
            properties.append(statement)
        if type(statement) is ast.AnnAssign and type(statement.target) is ast.Name and statement.value is not None:
            value = literal_value(statement.value)
            if value is not NOT_LITERAL:
                found.append((statement.target.id, value))  # type: ignore[arg-type]
        elif type(statement) is ast.FunctionDef and statement.name == "__init__":
            for argument, default in parameter_defaults(statement):
                value = literal_value(default)
                if value is not NOT_LITERAL:
                    found.append((argument.arg, value))  # type: ignore[arg-type]
    declared = dict(found)
    for prop in properties:
        value = _property_default(prop, declared)
        if value is not NOT_LITERAL:
            found.append((prop.name, value))  # type: ignore[arg-type]
    return found


def _property_default(prop: ast.FunctionDef, declared: Mapping[str, object]) -> object:
    """What a property returns with the declared defaults, where its first statement decides it: EnCodec's
    `chunk_length` opens with `if self.chunk_length_s is None: return None`, and `chunk_length_s` is None by
    default. Else `NOT_LITERAL`."""
    first = prop.body[0] if prop.body else None
    if type(first) is ast.Expr and type(first.value) is ast.Constant and len(prop.body) > 1:
        first = prop.body[1]  # a docstring
    if type(first) is not ast.If or not first.body or type(first.body[0]) is not ast.Return:
        return NOT_LITERAL
    tests = first.test.values if type(first.test) is ast.BoolOp and type(first.test.op) is ast.Or else [first.test]
    for test in tests:
        if (
            type(test) is ast.Compare
            and len(test.ops) == 1
            and type(test.ops[0]) is ast.Is
            and type(test.comparators[0]) is ast.Constant
            and test.comparators[0].value is None
            and type(test.left) is ast.Attribute
            and type(test.left.value) is ast.Name
            and test.left.value.id == "self"
            and test.left.attr in declared
            and declared[test.left.attr] is None
        ):
            returned = first.body[0].value
            return None if returned is None else literal_value(returned)
    return NOT_LITERAL
