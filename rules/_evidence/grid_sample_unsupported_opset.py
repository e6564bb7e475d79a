"""Measured evidence of ONX101 `grid_sample_unsupported_opset`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/grid_sample_unsupported_opset.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern


def _parity(
    mode: str,
    padding: str,
    align_corners: bool,
    *,
    volumetric: bool = False,
    exporters: tuple[str, ...] = ("legacy",),
) -> ParityCase:
    """The fix at the TorchScript exporter's opset 11, where `F.grid_sample` itself does not export."""
    return ParityCase(
        f"""
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x, grid):
                return F.grid_sample(x, grid, mode="{mode}", padding_mode="{padding}", align_corners={align_corners})
        """,
        inputs=((1, 2, 4, 5, 6), (1, 3, 4, 5, 3)) if volumetric else ((1, 3, 8, 8), (1, 6, 7, 2)),
        # Grid values are N(0, 1): about a third fall outside [-1, 1], so the padding modes are exercised.
        dynamic=("batch",) if volumetric else ("batch", "input:height", "input:width"),
        settings={"exporter": "legacy", "opset": 11},
        exporters=exporters,
        opset=11,
        unsafe_fixes=True,  # the fix is unsafe (TorchScript scripting); its numbers are still proven here
    )


# The fixed model exported at opset 11 (the original fails there) against the original's eager output.
PARITY = [
    _parity("bilinear", "zeros", False, exporters=("legacy", "dynamo")),
    _parity("bilinear", "border", True),
    _parity("bilinear", "reflection", False),
    _parity("bilinear", "reflection", True),
    _parity("nearest", "zeros", True),
    _parity("nearest", "border", False),
    _parity("nearest", "reflection", True, exporters=("legacy", "dynamo")),
    _parity("bilinear", "zeros", False, volumetric=True),
    _parity("nearest", "border", True, volumetric=True),
    _parity("bilinear", "reflection", True, volumetric=True),
]

PATTERNS = {
    "grid_sample_4d": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x, grid):
                return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        """,
        inputs=((1, 3, 8, 8), (1, 6, 7, 2)),
        dynamic=("0:batch", "0:height", "0:width", "1:0", "1:1", "1:2"),
    ),
    "grid_sample_5d": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x, grid):
                return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        """,
        inputs=((1, 2, 4, 5, 6), (1, 3, 4, 5, 3)),
        dynamic=("0:batch", "1:0"),
    ),
}

MEASURED = [
    Claim("grid_sample_4d", "legacy", 11, "EXPORT"),
    Claim("grid_sample_4d", "legacy", 16, "ok"),
    Claim("grid_sample_4d", "legacy", 17, "ok"),
    Claim("grid_sample_4d", "dynamo", 18, "ok"),
    Claim("grid_sample_4d", "dynamo", None, "ok"),
    Claim(
        "grid_sample_5d",
        "legacy",
        17,
        "EXPORT",
        flagged=False,
        note="5-D is not visible in this source; the graph layer sees it",
    ),
    Claim("grid_sample_5d", "legacy", 20, "ok"),
    Claim("grid_sample_5d", "dynamo", 18, "ok"),
    # Asked for 15, the dynamo exporter cannot convert GridSample down and writes opset 18: a runtime
    # that stops at 15 cannot load the file, so the request is judged as the runtime's ceiling.
    Claim(
        "grid_sample_4d",
        "dynamo",
        15,
        "ok",
        flagged=True,
        opset_written=18,
        note="opset 18 written: GridSample cannot be converted down to 15",
    ),
    Claim("grid_sample_4d", "dynamo", 16, "ok", flagged=False, opset_written=16),
]
