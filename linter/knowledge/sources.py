"""Where a fact of the knowledge tables comes from (`exporters`, `runtimes`).

`measured`: exported and run here (docs/measurements.md); `spec`: the ONNX operator
specification; `doc`: a runtime's own documentation, cited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["measured", "spec", "doc"]


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    detail: str  # what was measured, or the URL / section cited

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"
