"""How a graph check is declared: a documented class with a code, examples and a `run` method.

Graph checks mirror the static `Rule` contract (code, name, message, severity, documentation
sections, examples that run as tests) but they look at a traced graph instead of a syntax tree,
so the static engine never loads them: they live in `onnxlint.graph.checks`, one module per check,
and the graph engine (`onnxlint.graph.analyze`) runs them. Nothing here imports torch; a check
imports it inside `run`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from onnxlint.core.findings import Applicability, Severity
from onnxlint.core.rule import Rule

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


_FRAME_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<name>[\w<>.]+)')


@dataclass(frozen=True)
class Frame:
    """One Python stack frame: where a traced op, a guard or an error came from."""

    filename: str
    line: int
    name: str = ""


def frames_from_stack_trace(text: str | None) -> tuple[Frame, ...]:
    """A node's `meta['stack_trace']` (formatted Python frames, outermost first) as frames."""
    if not text:
        return ()
    return tuple(Frame(m.group("file"), int(m.group("line")), m.group("name")) for m in _FRAME_LINE.finditer(text))


@dataclass
class Issue:
    """What a check found, before the engine turns it into a `Finding` at the user's line.

    `frames` is a stack, innermost last (the engine picks the innermost frame in the user's
    files); without frames the finding goes to the model's definition. `code` names a static
    rule when the hazard is that rule's (it is then reported, and merged, under that code).
    `callees` are names of the call to underline on the line (`cumprod`, `grid_sample`).
    The finding goes to the innermost frame of model code (library code included); the user's
    own frame below it, when different, becomes related information.
    """

    message: str
    frames: tuple[Frame, ...] = ()
    code: str | None = None
    severity: Severity | None = None
    callees: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # More places that explain the issue, (frame, what it is), beside the user's own call (added by the engine).
    related: tuple[tuple[Frame, str], ...] = ()


@dataclass(frozen=True)
class GraphExample:
    """A tiny model that a check must (or must not) flag; run as a test by tracing it for real.

    `code` is a module; `model` the constructor call (`--model` syntax); `inputs` and `dynamic`
    as on the command line. `expect` lists (code, line) pairs, lines 1-based in the dedented
    `code`; an empty `expect` means the check must stay quiet.
    """

    code: str
    model: str = "Model()"
    inputs: tuple[str, ...] = ("2x3x8x8",)
    dynamic: tuple[str, ...] = ()
    expect: tuple[tuple[str, int], ...] = ()
    train: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


def _rule_function(name: str) -> Callable[[type], Any]:
    """The function behind `Rule`'s classmethod `name`, to call with another class."""
    method: classmethod[Any, ..., Any] = vars(Rule)[name]
    return method.__func__


class GraphCheck:
    """Base class of graph checks. Subclasses set the class attributes and define `run`."""

    code: ClassVar[str]  # ONX7xx: graph-capture band
    name: ClassVar[str]
    message: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    fix_title: ClassVar[str | None] = None
    fix_applicability: ClassVar[Applicability | None] = None
    default_enabled: ClassVar[bool] = True
    applies_to: ClassVar[str] = ""
    # Static codes this check may report under, when the traced hazard is that rule's.
    static_codes: ClassVar[tuple[str, ...]] = ()
    # Whether the check needs a successful torch.export capture (not just an fx graph).
    needs_export: ClassVar[bool] = True
    EXAMPLES: ClassVar[Sequence[GraphExample]] = ()
    is_graph_check: ClassVar[bool] = True

    # Documentation helpers shared with static rules (they only read `code` and the docstring):
    # `Rule`'s own functions, called with this class.
    @classmethod
    def category(cls) -> str:
        return _rule_function("category")(cls)

    @classmethod
    def documentation(cls) -> str:
        return _rule_function("documentation")(cls)

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        return _rule_function("doc_sections")(cls)

    @classmethod
    def summary(cls) -> str:
        return _rule_function("summary")(cls)

    def run(self, capture: Capture) -> Iterable[Issue]:
        raise NotImplementedError


# What `onnxlint.core.registry.documented_rules` maps codes to: static rules and graph checks.
DocumentedRule: TypeAlias = "type[Rule] | type[GraphCheck]"
