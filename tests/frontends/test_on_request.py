"""The runner's on-request pre-pass: a definition the rest of the run uses only in opt-in switches or training code.

Real packages written to a temporary folder, real parses, the real runner (and once the real command line).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from onnxlint.core.settings import LintSettings
from onnxlint.frontends.cache import KEY_DIR_ENV, sign, signing_key, verified_payload
from onnxlint.frontends.on_request import on_request_uses_for
from onnxlint.frontends.runner import RunOptions, run

from ..conftest import run_onnxlint

BLOCKS = """\
import torch


class OptInBlock(torch.nn.Module):
    def forward(self, x):
        for row in range(x.shape[0]):
            x = x * 2
        return x


class Block(torch.nn.Module):
    def forward(self, x):
        for row in range(x.shape[0]):
            x = x + 1
        return x
"""

GEOMETRY = """\
import torch


def warp(points):
    return torch.linalg.inv(points)
"""

PIPELINE = """\
from .blocks import Block, OptInBlock


class Pipeline:
    def __init__(self):
        self.block = Block()

    def enable_opt_in(self):
        if not isinstance(self.block, OptInBlock):
            self.block = OptInBlock()
"""

SUPERVISION = """\
from .geometry import warp


def compute_supervision(data):
    data["warped"] = warp(data["points"])
"""


@pytest.fixture(autouse=True)
def _own_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "signing-key"))


def _package(root: Path, **modules: str) -> Path:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(text))
    return package


def _findings(package: Path, confidence: str = "medium", cache: bool = False) -> dict[tuple[str, int], str]:
    settings = LintSettings(confidence=confidence)
    options = RunOptions(cache=cache, cache_dir=package.parent / "cache")
    outcomes = run(sorted(package.rglob("*.py")), settings, options)
    return {
        (outcome.path.name, finding.start.row): f"{finding.code} {finding.confidence.value} {finding.message}"
        for outcome in outcomes
        for finding in outcome.findings
    }


def test_a_block_only_a_switch_builds_is_low_with_where(tmp_path: Path) -> None:
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE)
    default = _findings(package)
    assert ("blocks.py", 6) not in default, "the opt-in block's loop is not in the default output"
    assert default[("blocks.py", 13)].startswith("ONX203 high"), "the block the pipeline builds stays"
    low = _findings(package, confidence="low")[("blocks.py", 6)]
    assert low.startswith("ONX203 low")
    assert "the linted files use `OptInBlock` only in opt-in switches (`enable_opt_in` at " in low
    assert "pipeline.py:10" in low  # the build, not the `isinstance` test on line 9


def test_linted_alone_the_file_says_nothing_of_its_users(tmp_path: Path) -> None:
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE)
    outcomes = run([package / "blocks.py"], LintSettings(), RunOptions())
    rows = {finding.start.row for finding in outcomes[0].findings}
    assert {6, 13} <= rows


def test_a_use_anywhere_else_keeps_it_model_code(tmp_path: Path) -> None:
    other = "from .blocks import OptInBlock\n\n\ndef build():\n    return OptInBlock()\n"
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE, factory=other)
    assert _findings(package)[("blocks.py", 6)].startswith("ONX203 high")


def test_a_switch_the_model_turns_on_itself_runs_by_default(tmp_path: Path) -> None:
    """`enable_opt_in` is called by the pipeline's constructor: what it builds runs by default."""
    always = PIPELINE.replace("self.block = Block()", "self.block = Block()\n        self.enable_opt_in()")
    package = _package(tmp_path, blocks=BLOCKS, pipeline=always)
    assert _findings(package)[("blocks.py", 6)].startswith("ONX203 high")


def test_training_code_alone_uses_a_helper(tmp_path: Path) -> None:
    package = _package(tmp_path, geometry=GEOMETRY, supervision=SUPERVISION)
    assert ("geometry.py", 5) not in _findings(package)
    low = _findings(package, confidence="low")[("geometry.py", 5)]
    assert "`warp` only in training code (`compute_supervision` at " in low
    alone = run([package / "geometry.py"], LintSettings(), RunOptions())[0].findings
    assert [finding.start.row for finding in alone] == [5], "linted alone, the helper is model code"


def test_the_cache_follows_the_other_files(tmp_path: Path) -> None:
    """blocks.py does not change; what pipeline.py says of it does: the cached entry must not answer."""
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE)
    assert ("blocks.py", 6) not in _findings(package, cache=True)
    assert ("blocks.py", 6) not in _findings(package, cache=True)  # warm, from the cache
    (package / "pipeline.py").write_text(PIPELINE.replace("self.block = Block()", "self.block = OptInBlock()"))
    assert _findings(package, cache=True)[("blocks.py", 6)].startswith("ONX203 high")


def test_names_shared_with_other_definitions_keep_both(tmp_path: Path) -> None:
    """Another module defines and uses its own `OptInBlock`: by name, the pre-pass cannot tell them apart, so it
    keeps both as model code (it errs on the side of reporting)."""
    own = "import torch\n\n\nclass OptInBlock(torch.nn.Module):\n    pass\n\n\nBLOCK = OptInBlock()\n"
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE, other=own)
    files = [(path.resolve(), path.read_bytes()) for path in sorted(package.glob("*.py"))]
    assert on_request_uses_for(files) == {}


def test_the_command_line_shows_it_at_low(tmp_path: Path) -> None:
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE)
    result = run_onnxlint("check", "--isolated", "--no-cache", "--format", "json", "--confidence", "low", str(package))
    found = {(Path(item["filename"]).name, item["location"]["row"]): item for item in json.loads(result.stdout)}
    assert found[("blocks.py", 6)]["confidence"] == "low"
    assert found[("blocks.py", 13)]["confidence"] == "high"


def test_a_damaged_remembered_answer_is_found_again(tmp_path: Path) -> None:
    """A signed cache whose pre-pass entries have the wrong shape (an older onnxlint, damage): found again."""
    package = _package(tmp_path, blocks=BLOCKS, pipeline=PIPELINE)
    expected = _findings(package, cache=True)
    [cache_file] = (tmp_path / "cache").rglob("*.json")
    data = json.loads(verified_payload(signing_key(), cache_file.read_bytes()))
    assert data["prepass"], "the pre-pass remembered its parses"
    data["prepass"] = {key: [digest, [["not", "a use"]]] for key, (digest, _) in data["prepass"].items()}
    data["prepass_runs"] = {}
    cache_file.write_bytes(sign(signing_key(), json.dumps(data).encode()))
    assert _findings(package, cache=True) == expected


# -- the cross-file step: definitions the other files call only where their own analysis says "on request" -------

FILTERS = """\
import torch


def fourier_filter(x):
    return torch.fft.fftshift(torch.fft.fftn(x, dim=(-2, -1)), dim=(-2, -1)).real


def apply_freeu(hidden_states, skip):
    \"\"\"FreeU: see `fourier_filter`.\"\"\"
    return hidden_states, fourier_filter(skip)
"""

UP_BLOCKS = """\
import torch

from .filters import apply_freeu


class UpBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, hidden_states, skip):
        is_freeu_enabled = getattr(self, "s1", None) and getattr(self, "b1", None)
        if is_freeu_enabled:
            hidden_states, skip = apply_freeu(hidden_states, skip)  # only after `enable_freeu()`
        return self.conv(hidden_states + skip)
"""

UNET = """\
import torch

from .up_blocks import UpBlock


class UNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.up = UpBlock()

    def enable_freeu(self, s1, b1):
        setattr(self.up, "s1", s1)
        setattr(self.up, "b1", b1)

    def disable_freeu(self):
        for key in ("s1", "b1"):
            setattr(self.up, key, None)

    def forward(self, x):
        return self.up(x, x)
"""


def test_a_helper_called_only_where_the_caller_says_on_request_is_low(tmp_path: Path) -> None:
    """diffusers' FreeU: `apply_freeu` runs only under `if is_freeu_enabled:`, with `s1` set by `enable_freeu()` alone
    (the block reads it through `getattr(self, "s1", None)`); `fourier_filter` runs only from `apply_freeu`."""
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET)
    assert ("filters.py", 5) not in _findings(package)
    low = _findings(package, confidence="low")[("filters.py", 5)]
    assert low.startswith("ONX103 low")
    assert "only called from `apply_freeu`: the linted files call `apply_freeu` only on paths taken on request" in low
    assert "up_blocks.py:14" in low and "`is_freeu_enabled`" in low
    alone = run([package / "filters.py"], LintSettings(), RunOptions())[0].findings
    assert [(finding.start.row, finding.confidence.value) for finding in alone] == [(5, "medium")]


def test_a_call_on_the_default_path_keeps_it_model_code(tmp_path: Path) -> None:
    always = UP_BLOCKS.replace("        if is_freeu_enabled:\n    ", "       ")
    package = _package(tmp_path, filters=FILTERS, up_blocks=always, unet=UNET)
    assert _findings(package)[("filters.py", 5)].startswith("ONX103 medium")


def test_the_block_that_sets_the_attribute_itself_runs_it_by_default(tmp_path: Path) -> None:
    """A constructor that sets `self.s1` makes `getattr(self, "s1", None)` a value, not the fallback."""
    configured = UP_BLOCKS.replace(
        "        super().__init__()\n", "        super().__init__()\n        self.s1 = self.b1 = 0.5\n"
    )
    package = _package(tmp_path, filters=FILTERS, up_blocks=configured, unet=UNET)
    assert _findings(package)[("filters.py", 5)].startswith("ONX103 medium")


def test_a_use_that_is_not_a_call_keeps_it_model_code(tmp_path: Path) -> None:
    """A file that hands `apply_freeu` on (a table of hooks) may run it anywhere: not known, so reported."""
    hooks = "from .filters import apply_freeu\n\nHOOKS = {'freeu': apply_freeu}\n"
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET, hooks=hooks)
    assert _findings(package)[("filters.py", 5)].startswith("ONX103 medium")


def test_the_all_of_a_private_module_is_no_use(tmp_path: Path) -> None:
    """kornia's `_ransac_program.py` lists `load_program` in `__all__`, and only `RANSAC(compile=True)` calls it: the
    `__all__` of an internal module (its name starts with `_`) names what `import *` brings, no use. In a public
    module it is the API a user may call, which keeps the definitions model code."""
    listed = FILTERS + '\n__all__ = ["fourier_filter", "apply_freeu"]\n'
    private_blocks = UP_BLOCKS.replace("from .filters import", "from ._filters import")
    package = _package(tmp_path, _filters=listed, up_blocks=private_blocks, unet=UNET)
    assert ("_filters.py", 5) not in _findings(package)
    assert _findings(package, confidence="low")[("_filters.py", 5)].startswith("ONX103 low")
    (tmp_path / "public").mkdir()
    public = _package(tmp_path / "public", filters=listed, up_blocks=UP_BLOCKS, unet=UNET)
    assert _findings(public)[("filters.py", 5)].startswith("ONX103 medium")


def test_a_caller_without_findings_of_its_own_is_asked_about_and_the_answer_holds(tmp_path: Path) -> None:
    """kornia's RANSAC: `_refine_essential_lm` (a finding, epipolar/essential.py) is called by `_lm_refine` in
    `_ransac_program.py`, a file with no finding of its own, and only `load_program` there runs that, which `RANSAC`
    calls under `if self.compiled:`. Whether `load_program` runs only on request is asked too, and once the finding
    turns `low` (out of the default output) it stays so: the next round does not drop the fact."""
    program = """\
    from .filters import fourier_filter


    def refine(x):
        return fourier_filter(x)


    def load_program(x):
        return refine(x)
    """
    estimator = """\
    import torch

    from ._program import load_program


    class Estimator(torch.nn.Module):
        def __init__(self, compiled: bool = False):
            super().__init__()
            self.compiled = compiled

        def forward(self, x):
            if self.compiled:
                return load_program(x)
            return x * 2
    """
    filters = FILTERS.split("\n\n\ndef apply_freeu")[0] + "\n"
    package = _package(tmp_path, filters=filters, _program=program, estimator=estimator)
    assert ("filters.py", 5) not in _findings(package)
    low = _findings(package, confidence="low")[("filters.py", 5)]
    assert low.startswith("ONX103 low") and "`load_program`" in low, low
    always = estimator.replace("        if self.compiled:\n    ", "       ")
    (tmp_path / "always").mkdir()
    assert _findings(_package(tmp_path / "always", filters=filters, _program=program, estimator=always))[
        ("filters.py", 5)
    ].startswith("ONX103 medium")


def test_a_reexport_and_a_closure_are_followed(tmp_path: Path) -> None:
    """controlnet-XS calls `apply_freeu` from a closure that reads the enclosing `is_freeu_enabled`; another module
    imports it from the blocks module, which only imports it in turn."""
    closure = """\
    import torch

    from .up_blocks import apply_freeu


    class XsBlock(torch.nn.Module):
        def forward(self, hidden_states, skip):
            is_freeu_enabled = getattr(self, "s1", None)

            def maybe_apply(hidden, base):
                if is_freeu_enabled:
                    return apply_freeu(hidden, base)
                return hidden, base

            return maybe_apply(hidden_states, skip)[0]
    """
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET, xs=closure)
    assert ("filters.py", 5) not in _findings(package)


def test_the_cache_answers_the_cross_file_step_and_follows_its_files(tmp_path: Path) -> None:
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET)
    assert ("filters.py", 5) not in _findings(package, cache=True)
    assert ("filters.py", 5) not in _findings(package, cache=True)  # warm: the files' entries and the step's answer
    (package / "up_blocks.py").write_text(textwrap.dedent(UP_BLOCKS).replace("if is_freeu_enabled:", "if True:"))
    assert _findings(package, cache=True)[("filters.py", 5)].startswith("ONX103 medium")


def test_a_fix_sees_what_check_reports(tmp_path: Path) -> None:
    """`--fix` waits for the cross-file facts: the findings left after it are the ones `check` reports."""
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET)
    checked = _findings(package, confidence="low")
    outcomes = run(sorted(package.rglob("*.py")), LintSettings(confidence="low"), RunOptions(fix=True))
    fixed = {
        (outcome.path.name, finding.start.row): f"{finding.code} {finding.confidence.value} {finding.message}"
        for outcome in outcomes
        for finding in outcome.findings
    }
    assert fixed[("filters.py", 5)] == checked[("filters.py", 5)]
    assert checked[("filters.py", 5)].startswith("ONX103 low")


def test_damaged_cross_file_answers_are_worked_out_again(tmp_path: Path) -> None:
    package = _package(tmp_path, filters=FILTERS, up_blocks=UP_BLOCKS, unet=UNET)
    expected = _findings(package, confidence="low", cache=True)
    [cache_file] = (tmp_path / "cache").rglob("*.json")
    data = json.loads(verified_payload(signing_key(), cache_file.read_bytes()))
    calls = [key for key in data["prepass"] if key.startswith("calls:")]
    assert calls and data["prepass_runs"]["cross_file"], "the step remembered a file's calls and its answer"
    for key in calls:
        data["prepass"][key][1] = [["utils", "one", "apply_freeu", "x", 0, "why"]]
    data["prepass_runs"]["cross_file"][1] = [[1, "apply_freeu", None]]
    cache_file.write_bytes(sign(signing_key(), json.dumps(data).encode()))
    assert _findings(package, confidence="low", cache=True) == expected
