"""The data every layer of onnxlint speaks: findings, fixes and text edits.

One `Finding` type serves the source rules, the graph layer and the verify pipeline, so the
reporters, the fixer and the editor integration never need to know where a finding came from.

Positions follow ruff's conventions: rows and columns are 1-based and columns count
characters (not UTF-8 bytes). An `Edit` replaces the text between `start` (inclusive) and
`end` (exclusive).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Severity(enum.Enum):
    """How bad a finding is for the export (ordered: ERROR is worst)."""

    ERROR = "error"  # export fails, or the exported model computes wrong numbers
    WARNING = "warning"  # works for the example input, breaks on others (baked shapes), or runtime-specific
    INFO = "info"  # worth knowing, harmless at the current settings

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


class Applicability(enum.Enum):
    """Whether a fix may be applied without asking (ruff's terms)."""

    SAFE = "safe"  # same numbers, same shapes: applied by `--fix`
    UNSAFE = "unsafe"  # may change outputs: applied only with `--unsafe-fixes`
    DISPLAY_ONLY = "display-only"  # shown to the user, never applied


class Confidence(enum.Enum):
    """How sure onnxlint is that the finding is real (pylint's idea, three levels).

    A static finding rests on two facts: that the code runs while exporting (it is reachable from
    an inference `forward`), and that the value is what the rule says (a tensor, a size of the
    input). HIGH: both proven (or certain from the syntax, or confirmed by tracing); MEDIUM: one
    rests on a heuristic (a `forward` parameter without annotation is assumed a tensor; a library
    function with no `forward` in its file is assumed called by one; the line runs only where a
    condition holds that the analysis cannot decide on the default path, `if self.use_fast_path:` or
    `if h > 64:`, not a data input's presence nor a value's type), or the hazard itself rests on
    an assumption about the inputs that the rule names in the message (`Rule.report`'s
    `assumption`: a bound on a size is wrong only for sizes past it); LOW: two of those do, or the
    code runs at export only on a path the user asks for. The default output shows HIGH and MEDIUM
    (`--confidence low` shows everything)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_CONFIDENCE_RANK = {Confidence.HIGH: 2, Confidence.MEDIUM: 1, Confidence.LOW: 0}


@dataclass(frozen=True, order=True)
class Location:
    row: int  # 1-based line
    column: int  # 1-based character column


@dataclass(frozen=True)
class Edit:
    """Replace the text in [start, end) with `content` (an insertion when start == end)."""

    start: Location
    end: Location
    content: str

    @classmethod
    def insertion(cls, at: Location, content: str) -> Edit:
        return cls(at, at, content)

    @classmethod
    def deletion(cls, start: Location, end: Location) -> Edit:
        return cls(start, end, "")


@dataclass(frozen=True)
class Fix:
    """A titled set of edits, applied together or not at all."""

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability

    def __post_init__(self) -> None:
        if not self.edits and self.applicability is not Applicability.DISPLAY_ONLY:
            raise ValueError("a fix that can be applied needs at least one edit")

    @property
    def is_applicable(self) -> bool:
        return self.applicability is not Applicability.DISPLAY_ONLY


@dataclass(frozen=True)
class RelatedLocation:
    """Another place that explains a finding (SARIF `relatedLocations`, LSP `relatedInformation`):
    e.g. the line of the user's own code that calls into the library line where the cause is."""

    filename: str
    start: Location
    end: Location
    message: str


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: Severity
    filename: str
    start: Location
    end: Location
    rule_name: str = ""
    fix: Fix | None = None
    confidence: Confidence = Confidence.MEDIUM
    # The row whose suppression comment silences this finding (ruff's noqa_row); None: not suppressible.
    noqa_row: int | None = None
    url: str | None = None
    # Where the finding comes from: "static" (source rules), "graph" (tracing), "verify" (re-export).
    origin: str = "static"
    # Other places that explain the finding (the user's call that reaches a library line), in order.
    related: tuple[RelatedLocation, ...] = field(default=(), compare=False, hash=False)
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def with_filename(self, filename: str) -> Finding:
        return replace(self, filename=filename)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.filename, self.start.row, self.start.column, self.code)
