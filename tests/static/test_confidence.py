"""Confidence that ranks: what a finding rests on decides its level, and the default hides LOW."""

from __future__ import annotations

import ast
import json
import textwrap

from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings, Selection

from ..conftest import run_onnxlint

MODEL = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def forward(self, x, y: torch.Tensor):
            if x.sum() > 0:
                x = x * 2
            if y.sum() > 0:
                y = y * 2
            return x + y
    """
)
REBOUND = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(3, 3)

        def forward(self, x):
            x = self.proj(x)
            if x.sum() > 0:
                x = x * 2
            return x
    """
)


def _confidences(source: str, level: str = "low") -> dict[int, str]:
    findings = lint_source(source, "m.py", LintSettings(confidence=level)).findings
    return {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}


def test_a_proven_value_in_model_code_is_high_an_assumed_one_medium():
    # Line 7 reads `x`, an unannotated forward parameter (assumed a tensor); line 9 reads `y: torch.Tensor`.
    assert _confidences(MODEL) == {7: "medium", 9: "high"}


def test_a_parameter_rebound_to_a_modules_output_is_proven():
    assert _confidences(REBOUND) == {12: "high"}


def test_the_level_asked_for_hides_what_is_below_it():
    assert _confidences(MODEL, "high") == {9: "high"}
    assert _confidences(MODEL, "medium") == {7: "medium", 9: "high"}


def test_the_cli_and_the_config_choose_the_level_and_json_carries_it(tmp_path):
    (tmp_path / "net.py").write_text(MODEL)
    strict = run_onnxlint(
        "--isolated", "--no-cache", "--confidence", "high", "--format", "json", "net.py", cwd=tmp_path
    )
    assert [(f["location"]["row"], f["confidence"]) for f in json.loads(strict.stdout)] == [(9, "high")]
    default = run_onnxlint("--isolated", "--no-cache", "--format", "json", "net.py", cwd=tmp_path)
    assert sorted(f["confidence"] for f in json.loads(default.stdout)) == ["high", "medium"]
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nconfidence = "high"\n')
    configured = run_onnxlint("--no-cache", "--format", "sarif", "net.py", cwd=tmp_path)
    [result] = json.loads(configured.stdout)["runs"][0]["results"]
    assert result["properties"]["confidence"] == "high"
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nconfidence = "sure"\n')
    assert run_onnxlint("--no-cache", "net.py", cwd=tmp_path).returncode == 2


def test_the_editor_shows_low_findings_as_hints():
    import pytest

    pytest.importorskip("pygls")
    from dataclasses import replace

    from lsprotocol import types

    from onnxlint.core.findings import Confidence
    from onnxlint.frontends.server import PositionMapper, to_diagnostic

    [finding] = [f for f in lint_source(MODEL, "m.py", LintSettings()).findings if f.start.row == 9]
    mapper = PositionMapper(MODEL, "utf-16")
    assert to_diagnostic(finding, mapper, 1).severity is not types.DiagnosticSeverity.Hint
    low = replace(finding, confidence=Confidence.LOW)
    assert to_diagnostic(low, mapper, 1).severity is types.DiagnosticSeverity.Hint


# -- paths an export takes only on request: `low` (FileContext.non_default_reason) -----------------

DISPATCHED = textwrap.dedent(
    """
    import torch
    from mylib import dispatch_impl


    @dispatch_impl("grouped")
    class Experts(torch.nn.Module):
        def forward(self, x: torch.Tensor, hit: torch.Tensor):
            for e in hit:
                if e == 3:
                    x = x + 1
            return x


    class Block(torch.nn.Module):
        def forward(self, x: torch.Tensor):
            if x.sum() > 0:
                x = x * 2
            return x
    """
)
OPTIONAL_PATHS = textwrap.dedent(
    """
    import torch


    class Embeddings(torch.nn.Module):
        def forward(self, x: torch.Tensor, refine: bool = False, past_key_values=None):
            if refine:
                x = self.refine_positions(x)
            if past_key_values is not None and x.any():
                x = x * 2
            if x.dtype == torch.float16 and torch.isinf(x).any():
                x = x.clamp(-1.0, 1.0)
            if x.sum() > 1:
                x = x + 1
            return x

        def refine_positions(self, x: torch.Tensor):
            if x.sum() > 0:
                return x
            return -x


    class Caller(torch.nn.Module):
        def forward(self, x: torch.Tensor):
            return self.run(x, sample=True)

        def run(self, x: torch.Tensor, sample: bool = False):
            if sample:
                if x.any():
                    return x
            return x
    """
)


def test_a_non_default_implementation_is_low_and_the_config_names_the_decorator():
    default = lint_source(DISPATCHED, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in default if f.code == "ONX201"} == {(10, "high"), (17, "high")}
    configured = LintSettings(confidence="low", non_default_decorators=("dispatch_impl",))
    findings = lint_source(DISPATCHED, "m.py", configured).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX201"} == {(10, "low"), (17, "high")}
    assert all(f.start.row == 17 for f in lint_source(DISPATCHED, "m.py", replace_confidence(configured)).findings)


def replace_confidence(settings: LintSettings, level: str = "medium") -> LintSettings:
    from dataclasses import replace

    return replace(settings, confidence=level)


def test_transformers_experts_decorator_is_built_in():
    source = DISPATCHED.replace(
        "from mylib import dispatch_impl", "from transformers.integrations import use_experts_implementation"
    )
    source = source.replace('@dispatch_impl("grouped")', "@use_experts_implementation")
    assert _confidences(source) == {10: "low", 17: "high"}


def test_optional_flags_caches_half_precision_and_what_only_they_call_are_low():
    # 18: only called under `if refine:` (default False); 9: a cache; 11: float16 only;
    # 13: the default path. `run`'s `sample` defaults to False, but its only caller turns it on (29).
    assert _confidences(OPTIONAL_PATHS) == {9: "low", 11: "low", 13: "high", 18: "low", 29: "high"}


def test_the_config_key_is_data_checked_and_reaches_the_settings(tmp_path):
    import pytest

    from onnxlint.frontends.config import ConfigError, build_settings, parse_table

    config = parse_table({"non-default-decorators": ["mylib.dispatch.dispatch_impl"]}, None)
    assert build_settings(config).non_default_decorators == ("dispatch_impl",)
    for bad in (["dispatch impl"], [1], "dispatch_impl", ["a;b"]):
        with pytest.raises(ConfigError):
            parse_table({"non-default-decorators": bad}, None)
    (tmp_path / "m.py").write_text(DISPATCHED)
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nnon-default-decorators = ["dispatch_impl"]\n')
    result = run_onnxlint("--no-cache", "--confidence", "low", "--format", "json", "m.py", cwd=tmp_path)
    assert sorted(
        (f["location"]["row"], f["confidence"]) for f in json.loads(result.stdout) if f["code"] == "ONX201"
    ) == [
        (10, "low"),
        (17, "high"),
    ]


def test_a_flag_that_enables_other_input_sizes_is_the_dynamic_exports_path():
    # `interpolate_pos_encoding=True` is what a ViT needs to take another size: a dynamic-size export takes it.
    source = OPTIONAL_PATHS.replace("refine", "interpolate_pos_encoding")
    assert _confidences(source)[18] == "high"


SIZES = textwrap.dedent(
    """
    import torch
    import torch.nn.functional as F


    class Net(torch.nn.Module):
        def forward(self, x, position_ids, skip):
            b, c, h, w = x.shape
            if position_ids.shape[0] == 4:
                position_ids = position_ids[1:]
            if h < 3 or w < 3:
                return x
            if h % 32 != 0:
                x = F.pad(x, (0, 0, 0, 32 - h % 32))
            small = F.interpolate(x, size=(int(x.size(2)) // 2, int(h * 0.5)))
            return small * float(w - 1) + skip * int(x.size(0))
    """
)


def _size_confidences(source: str) -> dict[tuple[int, str], str]:
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    return {(f.start.row, f.code): f.confidence.value for f in findings if f.code in ("ONX301", "ONX302")}


def test_size_hazards_that_rest_on_an_assumption_are_low_and_say_why():
    found = _size_confidences(SIZES)
    # A layout-axis equality and a degenerate-size threshold: low; a divisibility branch stays.
    assert found[(9, "ONX302")] == "low"
    assert found[(11, "ONX302")] == "low"
    assert found[(13, "ONX302")] == "high"
    # `int()` of an integer size and `float()` of a size: symbolic with `Dim.DYNAMIC` (measured), low;
    # `int()` of a float from a size and of the batch: frozen whatever the dims' declaration, not low.
    conversions = [
        (f.start.row, f.start.column, f.confidence.value)
        for f in lint_source(SIZES, "m.py", LintSettings(confidence="low")).findings
        if f.code == "ONX301"
    ]
    assert conversions == [(15, 40, "low"), (15, 61, "high"), (16, 24, "low"), (16, 46, "high")]
    low = [f.message for f in lint_source(SIZES, "m.py", LintSettings(confidence="low")).findings]
    assert any("low confidence: a threshold of 3 elements" in message for message in low)
    assert any('with `Dim.AUTO` or `Dim("name")` objects' in message for message in low)
    assert all(f.confidence.value != "low" for f in lint_source(SIZES, "m.py", LintSettings()).findings)


CONSTRUCTOR_FLAGS = textwrap.dedent(
    """
    import torch


    def scale(x, crop: bool = False):
        if crop and x.sum() > 0:
            return x[:, :4]
        return x * 2


    class Net(torch.nn.Module):
        def __init__(self, prosac: bool = False, refine: bool = False):
            super().__init__()
            self.prosac = prosac
            self.refine = refine

        def forward(self, x):
            if self.prosac and x.sum() > 0:
                x = x * 3
            if self.refine and x.sum() > 0:
                x = x * 4
            return scale(x, self.prosac)


    def variant():
        return Net(refine=True)
    """
)


def test_a_flag_the_constructor_takes_off_by_default_is_a_path_on_request():
    # 18: `self.prosac` comes from a constructor parameter that defaults to False and nothing turns on;
    # 6: `scale`'s `crop` is passed only that flag. 20: a variant in the file builds the model with `refine=True`, so
    # the flag is not decided and the value test after it runs only where it holds: one level below the `medium` of
    # an unannotated `x`.
    assert _confidences(CONSTRUCTOR_FLAGS) == {6: "low", 18: "low", 20: "low"}


OPTIONS_AND_DEVICES = textwrap.dedent(
    """
    import torch


    def side_size(x: torch.Tensor, side: str = "short"):
        if side == "horz":
            return x.sum(0).tolist()
        if side in ("short", "long"):
            return x.mean(0).tolist()
        return x.amax(0).tolist()


    def resize(x: torch.Tensor, side: str = "short"):
        return side_size(x, side)


    def is_mps_tensor_safe(x):
        return x.device.type == "mps"


    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor):
            if is_mps_tensor_safe(x) and x.sum() > 0:
                x = x.cpu()
            if x.device.type == "mps" and x.sum() > 1:
                x = x * 2
            if x.device.type == "cuda" and x.sum() > 2:
                x = x * 3
            return resize(x), side_size(x, side="vert")
    """
)


FLASH_ATTENTION = textwrap.dedent(
    """
    import torch

    from ...modeling_flash_attention_utils import is_flash_attention_requested
    from ..attention_dispatch import _FLASH_ATTENTION_BACKENDS


    class VisionAttention(torch.nn.Module):
        def forward(self, x: torch.Tensor, cu_seqlens: torch.Tensor, backend: str):
            if is_flash_attention_requested(self.config):
                if cu_seqlens.max() > 4:
                    return x * 2
            lengths = (cu_seqlens[1:] - cu_seqlens[:-1]).tolist()
            if backend in _FLASH_ATTENTION_BACKENDS and x.sum() > 0:
                x = x * 2
            return torch.cat(torch.split(x, lengths, dim=0))
    """
)


def test_a_flash_attention_kernel_is_a_path_an_export_does_not_take():
    # Flash-attention kernels are CUDA extensions no ONNX exporter translates: their branches (11, 14) are low, and
    # what runs otherwise (13) is the default path, not a line under a condition the analysis cannot decide.
    findings = lint_source(FLASH_ATTENTION, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences == {(11, "ONX201"): "low", (13, "ONX202"): "high", (14, "ONX201"): "low"}


def test_a_branch_for_another_value_of_an_option_or_another_device_is_low():
    # 7: `side == "horz"` with `side="short"`, left at its default by `resize` (which passes on its own `side`);
    # but `side_size` is also called with `side="vert"` (29), so its options are not known: 7, 9 and 10 stay, 7
    # (and 9) at `medium`: they run only where the option the analysis cannot decide says so.
    # 23 and 25: devices an export does not run on; 27: CUDA, where exports do run.
    findings = lint_source(OPTIONS_AND_DEVICES, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences[(23, "ONX201")] == confidences[(25, "ONX201")] == "low"
    assert confidences[(27, "ONX201")] == "high"
    assert confidences[(7, "ONX202")] == confidences[(9, "ONX202")] == "medium"
    assert confidences[(10, "ONX202")] == "high"
    assert "it runs only where `side == 'horz'` holds" in next(
        f.message for f in findings if (f.start.row, f.code) == (7, "ONX202")
    )
    only_default = OPTIONS_AND_DEVICES.replace(', side_size(x, side="vert")', "")
    findings = lint_source(only_default, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    # `side` is now "short" on every path: the "horz" branch (7) is an option, the "short" one (9) is not.
    assert (confidences[(7, "ONX202")], confidences[(9, "ONX202")]) == ("low", "high")


def test_a_hooks_folder_is_code_around_the_model():
    source = "import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, x: torch.Tensor):\n        if x.sum() > 0:\n            x = x * 2\n        return x\n"

    def confidence(path: str) -> str:
        findings = lint_source(source, path, LintSettings(confidence="low")).findings
        return next(f.confidence.value for f in findings if f.code == "ONX201")

    assert confidence("pkg/hooks/faster_cache.py") == "low"
    assert confidence("pkg/models/net.py") == "high"


def test_a_pipelines_module_without_a_model_is_code_that_drives_one():
    # diffusers' FreeInit mixin: FFT filtering of the initial noise between sampling runs, no `forward`.
    mixin = textwrap.dedent(
        """
        import torch


        class FreeInitMixin:
            def _apply_freq_filter(self, x: torch.Tensor, low_pass_filter: torch.Tensor):
                x_freq = torch.fft.fftn(x, dim=(-3, -2, -1))
                x_freq = torch.fft.fftshift(x_freq, dim=(-3, -2, -1))
                return x_freq * low_pass_filter
        """
    )
    model = "import torch\n\n\nclass Vocoder(torch.nn.Module):\n    def forward(self, x):\n        return torch.fft.fftshift(x, dim=(-2, -1))\n"

    def confidences(source: str, path: str) -> set[str]:
        findings = lint_source(source, path, LintSettings(confidence="low")).findings
        return {f.confidence.value for f in findings if f.code == "ONX103"}

    assert confidences(mixin, "diffusers/pipelines/free_init_utils.py") == {"low"}
    assert confidences(mixin, "diffusers/utils/free_init_utils.py") == {"medium"}  # not a pipelines folder
    assert confidences(model, "diffusers/pipelines/ltx2/vocoder.py") == {"high"}  # a pipeline's own model


SIZE_FLAG_NEVER_PASSED = textwrap.dedent(
    """
    import torch


    class Embeddings(torch.nn.Module):
        def interpolate_pos_encoding(self, embeddings: torch.Tensor, height: int, width: int):
            if embeddings.shape[1] == self.table.shape[1] and height == width:
                return self.table
            return torch.nn.functional.interpolate(self.table, size=(height, width))

        def forward(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False):
            embeddings = self.patch(pixel_values)
            if interpolate_pos_encoding:
                return embeddings + self.interpolate_pos_encoding(embeddings, pixel_values.shape[2], pixel_values.shape[3])
            return embeddings + self.table


    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = Embeddings()

        def forward(self, pixel_values: torch.Tensor):
            return self.embeddings(pixel_values)
    """
)


def test_a_size_flag_that_no_module_of_the_file_passes_is_off():
    # `interpolate_pos_encoding` would be the dynamic-size export's path, but `Vision` never passes it on.
    def confidence(source: str) -> str:
        findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
        return next(f.confidence.value for f in findings if f.code == "ONX302")

    assert confidence(SIZE_FLAG_NEVER_PASSED) == "low"
    passed_on = SIZE_FLAG_NEVER_PASSED.replace(
        "def forward(self, pixel_values: torch.Tensor):\n        return self.embeddings(pixel_values)",
        "def forward(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False):\n"
        "        return self.embeddings(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding)",
    )
    # Passed on: the default path of a dynamic-size export; an equality on a size is `medium` (see ONX302's docs).
    assert passed_on != SIZE_FLAG_NEVER_PASSED and confidence(passed_on) == "medium"


SESSION_DRIVER = textwrap.dedent(
    """
    import torch


    class Session:
        def __init__(self):
            self.object_ids = []


    class Tracker(torch.nn.Module):
        def associate(self, scores: torch.Tensor):
            return scores[scores > 0].tolist()

        def forward(self, session: Session, scores: torch.Tensor):
            session.object_ids = self.associate(scores)
            return scores
    """
)


def test_a_forward_that_takes_a_python_session_object_is_low():
    # torch.export takes tensors, numbers and registered containers, not a plain object: the module is a
    # stateful driver around a model (transformers' Sam3 video tracker), not what is exported.
    def confidence(source: str) -> str:
        findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
        return next(f.confidence.value for f in findings if f.code == "ONX202")

    assert confidence(SESSION_DRIVER) == "low"
    # A dataclass of tensors is a container an export can be told to flatten: not a driver.
    dataclass = SESSION_DRIVER.replace("class Session:", "@dataclasses.dataclass\nclass Session:").replace(
        "import torch", "import dataclasses\nimport torch"
    )
    assert confidence(dataclass) == "high"


def test_the_forward_of_a_module_with_its_own_export_forward_is_low():
    # diffusers' safety checker: `forward` loops in Python, `forward_onnx` is what its ONNX pipeline exports.
    source = textwrap.dedent(
        """
        import torch


        class SafetyChecker(torch.nn.Module):
            def forward(self, scores: torch.Tensor):
                return [scores[i].sum() for i in range(scores.shape[0])]

            def forward_onnx(self, scores: torch.Tensor):
                return scores.sum(-1)
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert [(f.code, f.confidence.value) for f in findings] == [("ONX203", "low")]
    renamed = source.replace("def forward_onnx", "def forward_fast")
    findings = lint_source(renamed, "m.py", LintSettings(confidence="low")).findings
    assert [(f.code, f.confidence.value) for f in findings] == [("ONX203", "high")]


CONFIGURATION = textwrap.dedent(
    """
    class TinyConfig:
        use_relative_positions: bool = False
        hidden_stride: int = 1

        def __init__(self, position_type="absolute", **kwargs):
            self.position_type = position_type
    """
)
MODELING = textwrap.dedent(
    """
    import torch

    from .configuration_tiny import TinyConfig


    class Attention(torch.nn.Module):
        def __init__(self, config: TinyConfig):
            super().__init__()
            self.config = config
            self.use_relative_positions = config.use_relative_positions

        def forward(self, x: torch.Tensor):
            if self.use_relative_positions and x.sum() > 0:
                x = x * 2
            if self.config.hidden_stride > 1 and x.sum() > 1:
                x = x * 3
            if self.config.position_type == "rotary" and x.sum() > 2:
                x = x * 4
            if self.config.position_type == "absolute" and x.sum() > 3:
                x = x * 5
            return x
    """
)


def test_a_branch_on_a_configuration_option_off_by_default_is_low(tmp_path):
    # The runner reads the configuration module the model's file imports (never imports it): each of the first
    # three branches is taken only with a configuration other than the default; the fourth is the default's.
    package = tmp_path / "tiny"
    package.mkdir()
    (package / "configuration_tiny.py").write_text(CONFIGURATION)
    (package / "modeling_tiny.py").write_text(MODELING)

    def confidences() -> dict[int, str]:
        result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
        return {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}

    assert confidences() == {14: "low", 16: "low", 18: "low", 20: "high"}
    # The configuration's bytes join the cached file's digest: a new default is seen at once.
    (package / "configuration_tiny.py").write_text(CONFIGURATION.replace("= False", "= True"))
    assert confidences()[14] == "high"


def test_a_configuration_imported_by_its_absolute_path_and_a_negative_default_are_read(tmp_path):
    # SuperPoint: `from transformers.models.superpoint.configuration_superpoint import ...` and
    # `max_keypoints: int = -1`; `if self.max_keypoints >= 0:` is then a path only a configuration asks for. An
    # absolute import of another package's configuration module is not read.
    package = tmp_path / "tiny"
    package.mkdir()
    (package / "configuration_tiny.py").write_text("class TinyConfig:\n    max_keypoints: int = -1\n")
    model = textwrap.dedent(
        """
        import torch

        from transformers.models.tiny.configuration_tiny import TinyConfig


        class Detector(torch.nn.Module):
            def __init__(self, config: TinyConfig):
                super().__init__()
                self.max_keypoints = config.max_keypoints

            def forward(self, x: torch.Tensor):
                if self.max_keypoints >= 0 and x.sum() > 0:
                    x = x * 2
                return x
        """
    )
    (package / "modeling_tiny.py").write_text(model)

    def confidences() -> dict[int, str]:
        result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
        return {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}

    assert confidences() == {13: "low"}
    (package / "modeling_tiny.py").write_text(model.replace("models.tiny.", "models.other."))
    assert confidences() == {13: "high"}


def test_an_attribute_set_from_a_configuration_option_and_from_something_else_is_no_option():
    # PatchTSMixer: one class keeps `config.distribution_output` (a string), another sets the same attribute to
    # an object: `self.distribution_output == ...` is no longer a test of the configuration's default.
    source = textwrap.dedent(
        """
        import torch


        class Head(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.distribution_output = config.distribution_output

            def forward(self, x: torch.Tensor):
                if self.distribution_output == "negative_binomial" and x.sum() > 0:
                    x = x * 2
                return x
        """
    )
    settings = LintSettings(confidence="low", config_defaults=(("distribution_output", "student_t"),))

    def confidence(text: str) -> str:
        findings = lint_source(text, "m.py", settings).findings
        return next(f.confidence.value for f in findings if f.code == "ONX201")

    assert confidence(source) == "low"
    other = source + textwrap.dedent(
        """

        class Model(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.distribution_output = StudentTOutput(dim=1)
        """
    )
    assert confidence(other) == "high"


def test_a_value_a_configuration_option_chooses_in_the_constructor_is_known_by_default():
    # Swin: `self.position_embeddings = nn.Parameter(...) if config.use_absolute_embeddings else None`, BEiT the
    # same as an `if` statement; with the option off by default, `if self.position_embeddings is not None:` is
    # a path on request. Set again in another method (`enable_...()`), the attribute says nothing.
    source = textwrap.dedent(
        """
        import torch


        class Embeddings(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.position_embeddings = torch.nn.Parameter(torch.zeros(1, 4)) if config.use_absolute else None
                if config.use_mask_token:
                    self.mask_token = torch.nn.Parameter(torch.zeros(1, 4))
                else:
                    self.mask_token = None

            def forward(self, x: torch.Tensor):
                if self.position_embeddings is not None and x.sum() > 0:
                    x = x * 2
                if self.mask_token is not None and x.sum() > 1:
                    x = x * 3
                return x
        """
    )
    defaults = (("use_absolute", False), ("use_mask_token", False))

    def confidences(text: str, options: tuple = defaults) -> list[str]:
        findings = lint_source(text, "m.py", LintSettings(confidence="low", config_defaults=options)).findings
        return [f.confidence.value for f in findings if f.code == "ONX201"]

    assert confidences(source) == ["low", "low"]
    assert confidences(source, (("use_absolute", True), ("use_mask_token", True))) == ["high", "high"]
    enabled_later = source + "\n    def enable_positions(self):\n        self.position_embeddings = None\n"
    assert confidences(enabled_later) == ["high", "low"]


def test_a_configuration_module_that_is_a_link_or_a_fifo_is_not_read(tmp_path):
    # Files found in the repository are untrusted: a link may lead out of the linted tree, a FIFO would block
    # a read. Neither is read; the options stay unknown (no branch is a path on request: none is `low`; the one behind
    # the flag `self.use_relative_positions`, undecided, is `medium`) and the run ends.
    import os

    import pytest

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "configuration_tiny.py").write_text(CONFIGURATION)
    package = tmp_path / "tiny"
    package.mkdir()
    (package / "modeling_tiny.py").write_text(MODELING)
    (package / "configuration_tiny.py").symlink_to(outside / "configuration_tiny.py")

    def confidences() -> set[str]:
        result = run_onnxlint("--confidence", "low", "--format", "json", "--no-cache", "tiny", cwd=tmp_path)
        return {f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}

    assert confidences() == {"high", "medium"}
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    (package / "configuration_tiny.py").unlink()
    os.mkfifo(package / "configuration_tiny.py")
    assert confidences() == {"high", "medium"}  # run_onnxlint times out (and fails) if the read blocks


OPTIONAL_INPUTS = textwrap.dedent(
    """
    import torch


    class Head(torch.nn.Module):
        def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, weights=None):
            if mask is not None:
                if mask.any():
                    x = x * 2
            if weights is None:
                return x
            if weights.sum() > 0:
                x = x + 1
            return x


    class Body(torch.nn.Module):
        def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None):
            if bias is not None and bias.any():
                x = x + bias
            return x


    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = Body()

        def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None):
            if attention_mask is not None and attention_mask.all():
                x = x * 3
            return self.body(x, bias=x)
    """
)


def test_a_branch_taken_only_when_an_optional_input_is_passed_is_low():
    # 8 and 12: `mask` and `weights` default to None and nothing passes them, so the code that needs them is (12: after
    # an exit when `weights` is None) taken on request. 19: `Body` is built and run by `Net`, which passes `bias`: not
    # optional. 30: an attention
    # mask is data a model runs on (a tokenizer always returns one), not an option.
    findings = lint_source(OPTIONAL_INPUTS, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}
    assert confidences == {8: "low", 12: "low", 19: "high", 30: "high"}
    # A default filled in (`if mask is None: mask = ...`) is no path: the branch on it is the default one.
    filled = OPTIONAL_INPUTS.replace(
        "        if mask is not None:\n", "        if mask is None:\n            mask = x > 0\n        if True:\n"
    )
    findings = lint_source(filled, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}[10] == "high"
    # A module-level factory that returns the model (monai's `vista3d132()`) builds the model a user exports, not a
    # submodule whose inputs a module passes: `Head`'s optional inputs stay optional. Built by a module's method
    # (`Net.__init__` building `Body`), they are the builder's to pass.
    factory = OPTIONAL_INPUTS + "\n\ndef head_small():\n    return Head()\n"
    findings = lint_source(factory, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}
    assert confidences == {8: "low", 12: "low", 19: "high", 30: "high"}
    built = OPTIONAL_INPUTS.replace("self.body = Body()", "self.body = Body()\n        self.head = Head()")
    run = built.replace("return self.body(x, bias=x)", "return self.head(self.body(x, bias=x), mask=x > 0)")
    findings = lint_source(run, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}[8] == "high"
    # Built but never run by the builder's `forward` (esmfold2's confidence head): not on the export's path at all.
    findings = lint_source(built, "m.py", LintSettings(confidence="low")).findings
    [head] = [f for f in findings if f.code == "ONX201" and f.start.row == 8]
    assert head.confidence.value == "low" and "build as `self.head` but never run" in head.message


LOOP_NOT_RUN_BY_DEFAULT = textwrap.dedent(
    """
    import torch


    class Merger(torch.nn.Module):
        def __init__(self, merger_times: int = 1, repeats: int = 3):
            super().__init__()
            self.merger_times = merger_times
            self.repeats = repeats

        def forward(self, x: torch.Tensor, sizes: torch.Tensor):
            for _ in range(1, self.merger_times):
                if sizes.sum() > 0:
                    x = x * 2
            for _ in range(self.repeats - 1):
                if sizes.sum() > 1:
                    x = x * 3
            return x
    """
)


def _tiny_configuration(package, **defaults: object) -> None:
    """Write `package/configuration_tiny.py`: a configuration class whose options have these defaults."""
    package.mkdir(exist_ok=True)
    parameters = "".join(f"{name}={value!r}, " for name, value in defaults.items())
    fields = "".join(f"        self.{name} = {name}\n" for name in defaults)
    (package / "configuration_tiny.py").write_text(
        "from transformers import PretrainedConfig\n\n\nclass TinyConfig(PretrainedConfig):\n"
        f"    def __init__(self, {parameters}**kwargs):\n{fields}"
    )


def test_a_loop_the_default_configuration_runs_no_time_is_low(tmp_path):
    # `range(1, merger_times)` runs no time with the configuration's default of 1; `range(repeats - 1)` runs twice.
    package = tmp_path / "tiny"
    _tiny_configuration(package, merger_times=1, repeats=3)
    source = (
        LOOP_NOT_RUN_BY_DEFAULT.replace("merger_times: int = 1, repeats: int = 3", "config")
        .replace("= merger_times", "= config.merger_times")
        .replace("= repeats", "= config.repeats")
    )
    (package / "modeling_tiny.py").write_text("from .configuration_tiny import TinyConfig\n" + source)
    result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
    confidences = {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}
    assert confidences == {14: "low", 17: "high"}


CHUNKED_DECODE = textwrap.dedent(
    """
    from .configuration_tiny import TinyConfig
    import torch


    class Codec(torch.nn.Module):
        def forward(self, codes: torch.Tensor):
            chunk_length = self.config.chunk_length
            if chunk_length is None:
                return codes * 2
            frames = []
            for frame in codes:
                if frame.any():
                    frames.append(frame)
            return torch.cat(frames)
    """
)


def test_a_local_read_from_a_configuration_property_decides_its_branch(tmp_path):
    # EnCodec: `chunk_length` is a property that opens with `if self.chunk_length_s is None: return None`, and
    # `chunk_length_s` is None by default, so the chunked decode after the early return is a path on request.
    package = tmp_path / "tiny"
    _tiny_configuration(package, chunk_length_s=None, sampling_rate=24000)
    configuration = package / "configuration_tiny.py"
    configuration.write_text(
        configuration.read_text()
        + "\n    @property\n    def chunk_length(self):\n        if self.chunk_length_s is None:\n"
        + "            return None\n        return int(self.chunk_length_s * self.sampling_rate)\n"
    )
    (package / "modeling_tiny.py").write_text(CHUNKED_DECODE)

    def confidences() -> dict[int, str]:
        result = run_onnxlint("--confidence", "low", "--format", "json", "--no-cache", "tiny", cwd=tmp_path)
        return {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}

    assert confidences() == {13: "low"}
    # A chunk length set by default: the chunked decode is the default path.
    _tiny_configuration(package, chunk_length_s=1.0, sampling_rate=24000)
    assert confidences() == {13: "high"}


def test_a_forward_parameter_keyed_by_strings_is_a_mapping_not_a_tensor():
    source = textwrap.dedent(
        """
        import torch


        class Rope(torch.nn.Module):
            def forward(self, layout, x):
                frames = layout["total_frames"]
                if min(frames, 4) <= 0:
                    return x
                if x.sum() > 0:
                    x = x * 2
                return x
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    # `layout` is subscripted with a string: a mapping, so `frames` is no tensor value (8); `x` still is (10).
    assert {f.start.row for f in findings if f.code == "ONX201"} == {10}


LOCAL_SET_BY_THE_CACHE = textwrap.dedent(
    """
    import torch


    def recurrent_rule(query: torch.Tensor) -> torch.Tensor:
        for i in range(query.shape[1]):
            query = query + i
        return query


    class Layer(torch.nn.Module):
        def forward(self, x: torch.Tensor, cache=None):
            if cache is not None:
                state = cache.state()
            else:
                state = None
            kept = cache.kept() if cache is not None else 0
            kept = min(kept, x.shape[1])
            if state is not None and x.shape[1] == 1:
                x = recurrent_rule(x)
            for i in range(kept):
                x = recurrent_rule(x[:, i : i + 1])
            return x
    """
)


def test_a_local_the_default_path_sets_to_a_literal_decides_branches_and_loops():
    # Without a cache `state` is None and `kept` is 0: both calls of `recurrent_rule` are on request, so is its loop.
    findings = lint_source(LOCAL_SET_BY_THE_CACHE, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX203"} == {(6, "low")}
    # A local the default path binds to something else is not known: `kept = x.shape[1]` runs the loop.
    unknown = LOCAL_SET_BY_THE_CACHE.replace("if cache is not None else 0", "if cache is not None else x.shape[1]")
    findings = lint_source(unknown, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX203"} == {(6, "high")}


def test_code_after_the_authors_own_export_path_for_some_inputs_is_low():
    source = textwrap.dedent(
        """
        import torch


        def _is_tracing_or_exporting() -> bool:
            if torch.jit.is_scripting():
                return False
            return torch.jit.is_tracing() or torch.compiler.is_exporting()


        def inverse(matrix: torch.Tensor) -> torch.Tensor:
            if _is_tracing_or_exporting() and matrix.shape[-1] <= 4:
                return closed_form_inverse(matrix)
            return torch.linalg.inv(matrix)


        def closed_form_inverse(matrix: torch.Tensor) -> torch.Tensor:
            return matrix


        class Net(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                return inverse(x)
        """
    )
    # The export takes the closed form for the matrices it was written for; `linalg.inv` (14) only for the others.
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    inverse = [f for f in findings if f.start.row == 14]
    assert inverse and all(f.confidence.value == "low" for f in inverse)
    assert "its own export path does not take" in inverse[0].message
    without_guard = source.replace("_is_tracing_or_exporting() and ", "")
    findings = lint_source(without_guard, "m.py", LintSettings(confidence="low")).findings
    assert {f.confidence.value for f in findings if f.start.row == 14} == {"high"}


def test_an_optional_constructor_parameter_passed_on_to_a_helper_is_left_at_its_default():
    source = textwrap.dedent(
        """
        import torch


        def refine(x: torch.Tensor, max_candidates: int | None = None) -> torch.Tensor:
            if max_candidates is not None and max_candidates < 0:
                raise ValueError("max_candidates must be non-negative")
            if max_candidates is not None and x.shape[0] > max_candidates:
                x = x[:max_candidates]
            return x


        class Refiner(torch.nn.Module):
            def __init__(self, max_candidates: int | None = None):
                super().__init__()
                self.max_candidates = max_candidates

            def forward(self, x: torch.Tensor):
                return refine(x, max_candidates=self.max_candidates)
        """
    )
    # A `raise` that checks a given value does not make the parameter required; the module passes on its own
    # optional parameter, which nothing in the file sets: the branch (8) is taken on request.
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX302"} == {(8, "low")}
    built = source + "\n\nmodel = Refiner(max_candidates=64)\n"
    findings = lint_source(built, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX302"} == {(8, "medium")}  # a bound


def test_a_conversion_in_the_message_of_a_raised_error_is_low():
    source = textwrap.dedent(
        """
        import torch


        class Embed(torch.nn.Module):
            def forward(self, ids: torch.Tensor):
                if torch.any(ids < 0):
                    raise ValueError(f"ids must be non-negative, got {ids.tolist()}")
                return ids * 2
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    raised = [f for f in findings if f.code == "ONX202"]
    assert [(f.start.row, f.confidence.value) for f in raised] == [(8, "low")]
    assert "an error the model raises" in raised[0].message


CONSTRUCTOR_OPTIONS = textwrap.dedent(
    """
    import torch


    class Upsample(torch.nn.Module):
        def __init__(self, channels: int, is_causal: bool = True, mode: str = "nearest"):
            super().__init__()
            self.is_causal = is_causal
            self.mode = mode

        def forward(self, x: torch.Tensor):
            if not self.is_causal and x.shape[2] % 2 == 1:
                x = x[:, :, 1:]
            if self.mode == "bicubic" and x.shape[3] > 64:
                x = x * 2
            return x


    class Decoder(torch.nn.Module):
        def __init__(self, is_causal: bool = True):
            super().__init__()
            self.up = Upsample(4, is_causal=is_causal)

        def forward(self, x: torch.Tensor):
            return self.up(x)
    """
)


def test_a_constructor_option_left_at_its_default_decides_branches():
    # `is_causal` defaults to True and the only call passes the caller's own `is_causal` (default True) on; `mode`
    # is never passed: both branches (12, 14) are taken only on request.
    findings = lint_source(CONSTRUCTOR_OPTIONS, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX302"} == {(12, "low"), (14, "low")}
    # Built with another value in the file: no longer an option.
    built = CONSTRUCTOR_OPTIONS.replace(
        "Upsample(4, is_causal=is_causal)", 'Upsample(4, is_causal=False, mode="bicubic")'
    )
    findings = lint_source(built, "m.py", LintSettings(confidence="low")).findings
    # On the default path now: the remainder of a size (12) is `medium`, one level below `high`, because it runs only
    # where the flag before it, which the file sets both ways, holds (`not self.is_causal and ...`); the bound (14)
    # `medium` (a comparison before it, `self.mode == "bicubic"`, is not read as a flag).
    assert {(f.start.row, f.confidence.value) for f in findings if f.code == "ONX302"} == {
        (12, "medium"),
        (14, "medium"),
    }


def test_a_module_the_file_builds_only_on_request_is_low(tmp_path):
    package = tmp_path / "tiny"
    _tiny_configuration(package, position_embeddings_type="relative_key")
    source = textwrap.dedent(
        """
        import torch
        from .configuration_tiny import TinyConfig


        class RotaryEmbedding(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                if x.sum() > 0:
                    x = x * 2
                return x


        class Layer(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.embed = None
                if config.position_embeddings_type == "rotary":
                    self.embed = RotaryEmbedding()

            def forward(self, x: torch.Tensor):
                return self.embed(x) if self.embed is not None else x
        """
    )
    (package / "modeling_tiny.py").write_text(source)
    result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
    found = [f for f in json.loads(result.stdout) if f["code"] == "ONX201"]
    assert [(f["location"]["row"], f["confidence"]) for f in found] == [(8, "low")]
    assert "builds only on a path taken on request" in found[0]["message"]
    (package / "configuration_tiny.py").write_text(
        (package / "configuration_tiny.py").read_text().replace("'relative_key'", "'rotary'")
    )
    result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
    assert [f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"] == ["high"]


def test_an_optional_input_passed_on_to_a_helper_without_a_default_keeps_its_path_on_request():
    source = textwrap.dedent(
        """
        from typing import Optional

        import torch


        def _pool(m: torch.Tensor, out_size: int) -> torch.Tensor:
            n = m.shape[-1]
            if n == out_size:
                return m
            return torch.stack([m[..., (i * n) // out_size] for i in range(out_size)], -1)


        class Detector(torch.nn.Module):
            def _octave(self, octave: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
                resampled = None if mask is None else _pool(mask, octave.shape[-2])
                return octave if resampled is None else octave * resampled

            def _detect(self, img: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                return self._octave(img, mask)

            def forward(self, img: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                return self._detect(img, mask)
        """
    )
    # `_octave`'s `mask` has no default, but every call passes `_detect`'s optional `mask`, which nothing sets: the
    # helper that only the masked path calls (lines 9, 11) is low.
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.code, f.confidence.value) for f in findings} == {
        (9, "ONX302", "low"),
        (11, "ONX203", "low"),
    }
    # A call that passes a mask makes the path a default one.
    passed = source.replace("return self._octave(img, mask)", "return self._octave(img, img.mean(1, keepdim=True))")
    findings = lint_source(passed, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.confidence.value) for f in findings} == {(9, "medium"), (11, "high")}  # 9: an equality


def test_a_parameter_zipped_with_the_modules_layers_is_a_list_not_a_tensor():
    source = textwrap.dedent(
        """
        import torch


        class Neck(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = torch.nn.ModuleList([torch.nn.Identity() for _ in range(4)])

            def forward(self, hidden_states, size=None):
                hidden_states = hidden_states[::-1]
                for idx, (hidden_state, layer) in enumerate(zip(hidden_states, self.layers)):
                    size = hidden_states[idx + 1].shape[2:] if idx != (len(hidden_states) - 1) else None
                    hidden_state = layer(hidden_state)
                return hidden_state
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert [f.code for f in findings if f.start.row == 13] == []
    tensor = source.replace("zip(hidden_states, self.layers)", "zip(hidden_states.unbind(0), range(4))")
    findings = lint_source(tensor, "m.py", LintSettings(confidence="low")).findings
    assert "ONX302" in [f.code for f in findings if f.start.row == 13]


def test_an_attribute_set_only_when_a_flag_is_on_is_none_by_default():
    source = textwrap.dedent(
        """
        import torch
        from torch import nn


        class ResnetBlock(nn.Module):
            def __init__(self, channels: int, inject_noise: bool = False):
                super().__init__()
                self.conv = nn.Conv2d(channels, channels, 3, padding=1)
                self.per_channel_scale = None
                if inject_noise:
                    self.per_channel_scale = nn.Parameter(torch.zeros(channels, 1, 1))

            def forward(self, x, generator=None):
                x = self.conv(x)
                if self.per_channel_scale is not None:
                    noise = torch.randn(x.shape[-2:], generator=generator, device=x.device, dtype=x.dtype)
                    x = x + noise * self.per_channel_scale
                return x


        class Decoder(nn.Module):
            def __init__(self, channels: int = 8, inject_noise: tuple = (False, False, False)):
                super().__init__()
                inject_noise = tuple(reversed(inject_noise))
                self.blocks = nn.ModuleList(
                    [ResnetBlock(channels, inject_noise=inject_noise[i]) for i in range(3)]
                )

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return x
        """
    )
    # The noise (line 17) needs `inject_noise=True`, which no block of the file gets: a path on request.
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.code, f.confidence.value) for f in findings} == {(17, "ONX405", "low")}
    turned_on = source.replace("(False, False, False)", "(False, True, False)")
    findings = lint_source(turned_on, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.code, f.confidence.value) for f in findings} == {(17, "ONX405", "high")}


def test_a_local_that_the_default_path_decides_holds_that_bool():
    # Reformer's `exists_cache = past_buckets_states is not None and len(past_buckets_states) > self.layer_idx`:
    # False without a cache, so the branch it guards is taken on request.
    source = textwrap.dedent(
        """
        import torch


        class Attention(torch.nn.Module):
            def forward(self, hidden_states: torch.Tensor, past_buckets_states=None):
                exists_cache = past_buckets_states is not None and len(past_buckets_states) > 0
                if exists_cache and hidden_states.shape[1] >= 64:
                    return hidden_states * 2
                return hidden_states
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    found = [(f.start.row, f.confidence.value) for f in findings if f.code == "ONX302"]
    assert found == [(8, "low")]
    assert "flags, options, the cache, the precision or the device decide the condition" in next(
        f.message for f in findings if f.code == "ONX302"
    )


SUBMODULE_OPTIONAL_INPUT = textwrap.dedent(
    """
    import torch


    class Embeddings(torch.nn.Module):
        def forward(self, x, alignment=None):
            if alignment is not None:
                alignment = alignment.clamp(min=0)
                if alignment.sum() > 0:
                    x = x + 1
            return x


    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = Embeddings()

        def forward(self, x, alignment=None):
            return self.embeddings(x, alignment=alignment)
    """
)


def test_an_optional_input_a_module_passes_on_to_a_submodule_keeps_its_path_on_request():
    # Line 9 runs only when the caller passes `alignment`, which the top-level `forward` itself takes only on request
    # (VisualBERT's `image_text_alignment`); binding `alignment` again inside its own `is not None` branch uses the
    # input it was given, it fills in no default.
    findings = lint_source(SUBMODULE_OPTIONAL_INPUT, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"} == {9: "low"}
    # Passed a tensor the caller computes, the input is no longer optional: the branch is the default path's.
    passed = SUBMODULE_OPTIONAL_INPUT.replace("alignment=alignment)", "alignment=x > 0)")
    findings = lint_source(passed, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"} == {9: "high"}
    # Filled in when missing (rebound outside its own branch), it is a default, not a path.
    filled = SUBMODULE_OPTIONAL_INPUT.replace(
        "        if alignment is not None:\n",
        "        alignment = alignment if alignment is not None else x\n        if True:\n",
    )
    assert filled != SUBMODULE_OPTIONAL_INPUT
    findings = lint_source(filled, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"} == {10: "high"}


def test_a_binding_made_only_where_an_optional_input_was_given_fills_in_no_default():
    from onnxlint.analysis.reachability import optional_parameters

    function = ast.parse(
        textwrap.dedent(
            """
            def forward(self, x, labels=None, points=None, mask=None, boxes=None):
                if labels is not None:
                    points = labels.nonzero()  # only with labels: `points` stays optional
                if mask is None:
                    mask = x > 0  # filled in on the default path
                if mask is not None:
                    boxes = mask.nonzero()  # the default path takes this branch: a default for `boxes`
                return x
            """
        )
    ).body[0]
    assert optional_parameters(function) == {"labels": None, "points": None}


def test_a_binding_that_falls_back_to_the_input_itself_fills_in_no_default():
    """timm's NaFlex models read `patch_coord` out of a dict input, falling back to the parameter: without a dict
    input and without the parameter it stays None, so `if patch_coord is not None:` is still a path on request."""
    from onnxlint.analysis.reachability import optional_parameters

    function = ast.parse(
        textwrap.dedent(
            """
            def forward(self, x, patch_coord=None, patch_valid=None):
                if isinstance(x, dict):
                    patch_coord = x.get("patch_coord", patch_coord)
                    patch_valid = x.get("patch_valid")  # not itself: a value another input may give
                    x = x["patches"]
                return x
            """
        )
    ).body[0]
    assert optional_parameters(function) == {"patch_coord": None}


UNDECIDED_BRANCHES = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None, sizes=None):
            if self.use_fast_path:
                x = x * x.sum().item()
            if x.shape[2] > self.max_size:
                if x.sum() > 0:
                    x = x / 2
            if attention_mask is not None:
                if attention_mask.sum() > 0:
                    x = x + 1
            if not isinstance(sizes, list):
                sizes = torch.as_tensor(sizes)
                if sizes.any():
                    x = x * 3
            if x.sum() > 4:
                x = x - 1
            return x
    """
)


def test_code_that_runs_only_where_an_undecided_condition_holds_is_one_level_lower():
    # 10: under a bound on a size (a configured maximum, which ONX302 reports only at low; under a bound it reports
    # higher, the line is that finding's consequence: `test_code_under_a_reported_size_branch_is_its_consequence`).
    # 13: under a data input's presence and 17: under the type of a value, the forms of the inputs, not a choice of
    # path; 19: on every path.
    findings = lint_source(UNDECIDED_BRANCHES, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}
    assert confidences == {10: "medium", 13: "high", 17: "high", 19: "high"}
    messages = {f.start.row: f.message for f in findings if f.code == "ONX201"}
    assert "it runs only where `x.shape[2] > self.max_size` holds, which the analysis cannot decide" in messages[10]
    # 8: under a flag of unknown value (`self.use_fast_path`: no constructor in the file sets it); `.item()` is
    # reported under the TorchScript exporter (under dynamo only where it counts a loop).
    legacy = lint_source(UNDECIDED_BRANCHES, "m.py", LintSettings(confidence="low", exporter="legacy")).findings
    item = next(f for f in legacy if f.code == "ONX202" and f.start.row == 8)
    assert item.confidence.value == "medium" and "`self.use_fast_path` holds" in item.message


def test_the_else_of_an_undecided_condition_says_it_does_not_hold_and_a_guard_compared_with_a_bool_is_a_guard():
    # The `else` of `if self.use_fast_path:` runs where the condition does not hold;
    # Reformer's `if self.training is True:` is the training guard, so its `else` is the export's path, decided.
    source = textwrap.dedent(
        """
        import torch


        class Net(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                if self.use_fast_path:
                    x = x * 2
                else:
                    if x.sum() > 0:
                        x = x + 1
                if self.training is True:
                    if x.sum() > 1:
                        x = x - 1
                else:
                    if x.sum() > 2:
                        x = x * 3
                return x
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    found = {f.start.row: f for f in findings if f.code == "ONX201"}
    assert sorted(found) == [10, 16]  # 13 is training code
    assert found[10].confidence.value == "medium"
    assert "`self.use_fast_path` does not hold" in found[10].message
    assert found[16].confidence.value == "high"


AUXILIARY_HEAD = textwrap.dedent(
    """
    import torch


    class AuxiliaryHead(torch.nn.Module):
        def forward(self, x: torch.Tensor):
            for i in range(x.shape[0]):
                x[i] = x[i] * 2
            return x


    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.aux = AuxiliaryHead()
            self.conv = torch.nn.Conv2d(3, 3, 1)

        def forward(self, x: torch.Tensor):
            y = self.conv(x)
            if self.training:
                return y, self.aux(y)
            return y
    """
)


def test_a_submodule_run_only_in_training_is_not_reported():
    # GoogLeNet's auxiliary heads: the only call of `self.aux` is in a training branch, so an export never runs
    # `AuxiliaryHead.forward`; called outside that branch, its loop is reported.
    assert lint_source(AUXILIARY_HEAD, "m.py", LintSettings(confidence="low")).findings == []
    called = AUXILIARY_HEAD.replace("if self.training:", "if y.dim() == 4:")
    findings = lint_source(called, "m.py", LintSettings(confidence="low")).findings
    assert [(f.start.row, f.code) for f in findings] == [(7, "ONX203")]


def test_what_a_constructor_holds_as_built_decides_a_path(tmp_path):
    # TimeSformer: `attention_type = config.attention_type`, then `self.attention_type = attention_type` (a local of
    # the constructor); HunyuanVideo's VAE: `self.use_framewise_encoding = True`. Both decide their tests, so the line
    # under them is `high`; a test the analysis cannot decide (`self.mode`, set from a required argument) keeps it
    # `medium`, and so does a flag an `and` tests before a tensor value (LED's `output_attentions and is_global`).
    package = tmp_path / "tiny"
    _tiny_configuration(package, attention_type="divided")
    (package / "modeling_tiny.py").write_text(
        textwrap.dedent(
            """
            import torch

            from .configuration_tiny import TinyConfig


            class Embeddings(torch.nn.Module):
                def __init__(self, config: TinyConfig, mode):
                    super().__init__()
                    attention_type = config.attention_type
                    self.attention_type = attention_type
                    self.use_framewise = True
                    self.mode = mode

                def forward(self, x: torch.Tensor, output_attentions: bool):
                    if self.attention_type != "space_only":
                        if x.sum() > 0:
                            x = x * 2
                    if self.use_framewise:
                        if x.sum() > 1:
                            x = x * 3
                    if self.mode:
                        if x.sum() > 2:
                            x = x * 4
                    is_global = (x > 0).any().item()
                    extra = () if (output_attentions and is_global) else None
                    return x, extra
            """
        )
    )
    result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
    found = {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}
    assert found == {17: "high", 20: "high", 23: "medium", 26: "medium"}


def test_a_flag_that_defaults_to_true_decides_its_branch():
    # kornia's ALIKED: `sub_pixel: bool = True`, which no call of the file turns off: the `if` branch is the default
    # path (`high`), its `else` a path on request (`low`). A caller that passes False keeps both undecided.
    source = textwrap.dedent(
        """
        import torch


        class Head(torch.nn.Module):
            def forward(self, x: torch.Tensor, sub_pixel: bool = True):
                if sub_pixel:
                    if x.sum() > 0:
                        x = x * 2
                else:
                    if x.sum() > 1:
                        x = x * 3
                return x
        """
    )
    assert _confidences(source) == {8: "high", 11: "low"}
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    message = next(f.message for f in findings if f.start.row == 11)
    assert "(the `else` of `sub_pixel`, true by default)" in message
    passed_off = source + textwrap.dedent(
        """

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.head = Head()

            def forward(self, x: torch.Tensor):
                return self.head(x, sub_pixel=False)
        """
    )
    assert _confidences(passed_off) == {8: "medium", 11: "medium"}


def test_a_threshold_set_by_an_options_default_is_read_as_that_number():
    # `num_frames < self.tubelet_size` with `tubelet_size: int = 2`: a degenerate threshold, `low`; with a default of
    # 32 the kept branch is wrong for the many sizes below it, one level lower than proven (`medium`), as before.
    source = textwrap.dedent(
        """
        import torch


        class Embeddings(torch.nn.Module):
            def __init__(self, tubelet_size: int = 2):
                super().__init__()
                self.tubelet_size = tubelet_size

            def forward(self, x: torch.Tensor):
                num_frames = x.shape[2]
                if num_frames < self.tubelet_size:
                    x = x.repeat(1, 1, self.tubelet_size, 1, 1)
                return x * 2
        """
    )
    assert _size_confidences(source) == {(12, "ONX302"): "low"}
    assert _size_confidences(source.replace("int = 2", "int = 32")) == {(12, "ONX302"): "medium"}


def test_a_module_that_passes_on_its_own_stored_default_keeps_the_submodules_path():
    # VidTok's decoder builds its blocks with `is_causal=self.is_causal`, its own `is_causal: bool = True` as built:
    # the blocks' `if not self.is_causal:` is a path on request (`low`); built with another value it is undecided.
    source = textwrap.dedent(
        """
        import torch


        class Upsample(torch.nn.Module):
            def __init__(self, is_causal: bool = True):
                super().__init__()
                self.is_causal = is_causal

            def forward(self, x: torch.Tensor):
                if not self.is_causal:
                    if x.sum() > 0:
                        x = x * 2
                return x


        class Decoder(torch.nn.Module):
            def __init__(self, is_causal: bool = True):
                super().__init__()
                self.is_causal = is_causal
                self.up = Upsample(is_causal=self.is_causal)

            def forward(self, x: torch.Tensor):
                return self.up(x)
        """
    )
    assert _confidences(source) == {12: "low"}
    assert _confidences(source.replace("Upsample(is_causal=self.is_causal)", "Upsample(is_causal=self.other)")) == {
        12: "medium"
    }


def test_a_configuration_option_passed_at_its_default_keeps_the_helpers_path(tmp_path):
    # BLT: `process_patch_lengths(lengths, self.config.max_patch_length)`, None in the configuration, and the helper
    # returns at once when it is None: what follows is a path on request (`low`). A configuration that sets it makes
    # the helper's path the default one.
    package = tmp_path / "tiny"
    _tiny_configuration(package, max_patch_length=None)
    (package / "modeling_tiny.py").write_text(
        textwrap.dedent(
            """
            import torch

            from .configuration_tiny import TinyConfig


            def process_patch_lengths(lengths: torch.Tensor, max_patch_length: int | None) -> torch.Tensor:
                if max_patch_length is None:
                    return lengths
                longest = int(lengths.max().item())
                if longest > max_patch_length:
                    lengths = lengths.clamp(max=max_patch_length)
                return lengths


            class Patcher(torch.nn.Module):
                def __init__(self, config: TinyConfig):
                    super().__init__()
                    self.config = config

                def forward(self, lengths: torch.Tensor) -> torch.Tensor:
                    return process_patch_lengths(lengths, self.config.max_patch_length)
            """
        )
    )

    def confidences() -> set[tuple[int, str, str]]:
        result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
        return {(f["location"]["row"], f["code"], f["confidence"]) for f in json.loads(result.stdout)}

    assert confidences() == {(11, "ONX201", "low")}
    _tiny_configuration(package, max_patch_length=8)
    assert confidences() == {(11, "ONX201", "high")}


def test_a_size_read_from_whichever_input_is_given_is_one_symbol_with_its_mask():
    # mllama: `seq_len = input_ids.shape[1] if input_ids is not None else inputs_embeds.shape[1]`, then
    # `if cross_attention_mask.shape[1] != seq_len:`: dim 1 of the text and of its mask, one symbol (`low`); a choice
    # between two different dims is not.
    source = textwrap.dedent(
        """
        import torch


        class Text(torch.nn.Module):
            def forward(self, input_ids: torch.Tensor, inputs_embeds: torch.Tensor, mask: torch.Tensor):
                seq_len = input_ids.shape[1] if input_ids is not None else inputs_embeds.shape[1]
                if mask.shape[1] != seq_len:
                    mask = mask[:, :seq_len]
                return inputs_embeds * mask.unsqueeze(-1)
        """
    )
    assert _size_confidences(source) == {(8, "ONX302"): "low"}
    other_dim = source.replace("else inputs_embeds.shape[1]", "else inputs_embeds.shape[2]")
    assert _size_confidences(other_dim) == {(8, "ONX302"): "medium"}


SUBMODULES_ON_REQUEST = textwrap.dedent(
    """
    import torch


    class MsaStack(torch.nn.Module):
        def forward(self, msa: torch.Tensor):
            if msa.any():
                msa = msa * 2
            return msa


    class Experts(torch.nn.Module):
        def forward(self, x: torch.Tensor):
            if x.sum() > 0:
                x = x * 2
            return x


    class FeedForward(torch.nn.Module):
        def __init__(self, is_sparse: bool = False):
            super().__init__()
            self.is_sparse = is_sparse
            self.experts = Experts()

        def forward(self, x: torch.Tensor):
            if self.is_sparse:
                return self.experts(x)
            return x


    class Block(torch.nn.Module):
        def __init__(self, is_sparse: bool = False, moe_enabled: bool = False):
            super().__init__()
            self.is_sparse = is_sparse
            self.ff = FeedForward(is_sparse=self.is_sparse)
            if moe_enabled:
                self.moe = Experts()

        def forward(self, x: torch.Tensor):
            return self.ff(x)


    class Model(torch.nn.Module):
        def __init__(self, sparse_step: int = 2):
            super().__init__()
            self.blocks = torch.nn.ModuleList(
                [Block((i + 1) % sparse_step == 0, moe_enabled=sparse_step > 0 and i > 0) for i in range(4)]
            )
            self.msa_stack = MsaStack()

        def forward(self, x: torch.Tensor, msa: torch.Tensor | None = None):
            if msa is not None:
                msa = self.msa_stack(msa)
            for block in self.blocks:
                x = block(x)
            return x
    """
)


def test_a_submodule_run_only_on_a_path_on_request_is_low_and_built_flags_are_read_by_position():
    # 7: `MsaStack` runs only under `if msa is not None:` with `msa=None` by default (ESMFold2's MSA stack): its
    # `forward` is a path on request. 14: `Experts` runs in `FeedForward` under `if self.is_sparse:`; `FeedForward`
    # gets `is_sparse=self.is_sparse` from `Block`, whose own `is_sparse` the model passes by position, computed
    # (NLLB-MoE, Switch Transformers): not off by default, so the experts are the default path.
    findings = lint_source(SUBMODULES_ON_REQUEST, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}
    assert confidences[7] == "low" and confidences[14] != "low"
    # Passed by position as a literal False, the flag is off again (and so is the path, through both modules).
    literal = SUBMODULES_ON_REQUEST.replace("Block((i + 1) % sparse_step == 0, ", "Block(False, ")
    findings = lint_source(literal, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}[14] == "low"


def test_a_module_built_under_a_constructor_flag_that_its_builders_set_is_the_default_path():
    # `Block` builds `self.moe = Experts()` under `if moe_enabled:`; the model builds every block with a computed
    # `moe_enabled` (NucleusMoE's `moe_enabled=moe_enabled and _is_moe_layer(...)`): not a path on request.
    source = (
        SUBMODULES_ON_REQUEST.replace("        return self.ff(x)\n", "        return self.ff(x) + self.moe(x)\n")
        .replace("        if self.is_sparse:\n            return self.experts(x)\n", "")
        .replace("        self.experts = Experts()\n", "")
    )
    assert "self.moe(x)" in source and "self.experts" not in source
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}[14] != "low"
    never = source.replace("moe_enabled=sparse_step > 0 and i > 0", "moe_enabled=False")
    findings = lint_source(never, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}[14] == "low"


def test_a_special_token_id_left_none_in_the_configuration_is_no_option(tmp_path):
    # MiniCPM-V: `if self.config.image_token_id is not None and pixel_values is not None:` runs the vision tower; the
    # configuration class leaves `image_token_id` None, every checkpoint sets it. An option named otherwise keeps
    # deciding its branch.
    package = tmp_path / "tiny"
    _tiny_configuration(package, image_token_id=None, use_pooler=None)
    (package / "modeling_tiny.py").write_text(
        "from .configuration_tiny import TinyConfig\nimport torch\n\n\nclass Net(torch.nn.Module):\n"
        "    def forward(self, x: torch.Tensor):\n"
        "        if self.config.image_token_id is not None:\n"
        "            if x.any():\n"
        "                x = x * 2\n"
        "        if self.config.use_pooler is not None:\n"
        "            if x.all():\n"
        "                x = x * 3\n"
        "        return x\n"
    )
    result = run_onnxlint("--confidence", "low", "--format", "json", "--no-cache", "tiny", cwd=tmp_path)
    confidences = {f["location"]["row"]: f["confidence"] for f in json.loads(result.stdout) if f["code"] == "ONX201"}
    assert confidences == {8: "high", 11: "low"}


AUXILIARY_FROM_A_LIST = textwrap.dedent(
    """
    import torch
    import torch.nn.functional as F


    class Aux(torch.nn.Module):
        def forward(self, x):
            return F.adaptive_avg_pool2d(x, (4, 4)).flatten(1)


    class Conv(torch.nn.Module):
        def forward(self, x):
            return x * 2


    class Net(torch.nn.Module):
        def __init__(self, blocks=None):
            super().__init__()
            if blocks is None:
                blocks = [Conv, Aux]
            conv_block = blocks[0]
            aux_block = blocks[1]
            self.conv = conv_block()
            self.aux = aux_block()

        def forward(self, x):
            x = self.conv(x)
            aux = None
            if self.training:
                aux = self.aux(x)
            return x, aux
    """
)


def test_a_submodule_built_from_a_list_of_classes_is_judged_by_its_calls():
    # torchvision's GoogLeNet: `self.aux1 = inception_aux_block(...)` with `inception_aux_block = blocks[2]` from
    # `blocks = [BasicConv2d, Inception, InceptionAux]`: the auxiliary head runs only under `if self.training:`.
    findings = lint_source(AUXILIARY_FROM_A_LIST, "m.py", LintSettings(confidence="low")).findings
    assert not [f for f in findings if f.code == "ONX106"]
    # Run on the default path, the same head's pooling is reported.
    always = AUXILIARY_FROM_A_LIST.replace("        if self.training:\n            aux", "        aux")
    assert always != AUXILIARY_FROM_A_LIST
    findings = lint_source(always, "m.py", LintSettings(confidence="low")).findings
    assert [f.start.row for f in findings if f.code == "ONX106"] == [8]


FREEU_BLOCK = """\
import torch


class UpBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        is_freeu_enabled = getattr(self, "s1", None) and getattr(self, "b1", None)
        if is_freeu_enabled:
            if x.sum() > 0:
                x = x * 2
        if getattr(self, "scale", 1.0) and x.sum() > 0:
            x = x * 2
        return self.conv(x)
"""


def _on_request_rows(source: str) -> set[int]:
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    return {f.start.row for f in findings if "takes only on request" in f.message}


def test_an_attribute_only_a_switch_sets_reads_its_fallback():
    """diffusers' FreeU blocks read `s1` with `getattr(self, "s1", None)`; nothing in the file sets it (another file's
    `enable_freeu()` does), so `is_freeu_enabled` is None as the model is built and its branch runs on request."""
    found = _confidences(FREEU_BLOCK)
    assert found[12] == "low"
    assert found[14] == "medium", "a truthy fallback decides nothing: the data-dependent `if` stays reported"
    assert _on_request_rows(FREEU_BLOCK) == {12}
    constructed = "        super().__init__()\n        self.s1 = 1.0\n        self.b1 = 1.0\n"
    assert _on_request_rows(FREEU_BLOCK.replace("        super().__init__()\n", constructed)) == set()
    assert _on_request_rows(FREEU_BLOCK.replace("(torch.nn.Module)", "(SomeMixin)")) == set(), "a base may set it"


NEVER_RUN_HEAD = """\
import torch


class ConfidenceHead(torch.nn.Module):
    def forward(self, x: torch.Tensor):
        if x.sum() > 0:
            x = x * 2
        return x


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(4, 4)
        self.confidence_head = ConfidenceHead()

    def forward(self, x: torch.Tensor):
        return self.trunk(x)
"""


def test_a_submodule_the_model_builds_but_never_runs_is_low():
    """esmfold2 builds `self.confidence_head` and only its generation helper (another file) runs it: the model's
    `forward` never does, so an export of the model does not either."""
    findings = lint_source(NEVER_RUN_HEAD, "m.py", LintSettings(confidence="low")).findings
    [finding] = [f for f in findings if f.code == "ONX201"]
    assert finding.confidence.value == "low"
    assert "build as `self.confidence_head` but never run" in finding.message
    run = NEVER_RUN_HEAD.replace("return self.trunk(x)", "return self.confidence_head(self.trunk(x))")
    assert _confidences(run) == {6: "high"}
    named = NEVER_RUN_HEAD.replace("return self.trunk(x)", 'return getattr(self, "confidence_head")(self.trunk(x))')
    assert _confidences(named) == {6: "high"}


def test_a_function_that_takes_a_process_group_is_low():
    """diffusers' Ulysses attention helpers take `group: dist.ProcessGroup`: code of a distributed run, which an export
    (one process, no process group) never reaches."""
    source = textwrap.dedent(
        """
        import torch
        import torch.distributed as dist


        def pad_heads(x: torch.Tensor, heads: int, group: dist.ProcessGroup) -> torch.Tensor:
            world_size = dist.get_world_size(group=group)
            if x.shape[2] % world_size != 0:
                x = torch.nn.functional.pad(x, (0, 0, 0, world_size - x.shape[2] % world_size))
            return x


        def pad_sequence(x: torch.Tensor, multiple: int) -> torch.Tensor:
            if x.shape[1] % multiple != 0:
                x = torch.nn.functional.pad(x, (0, 0, 0, 0, 0, multiple - x.shape[1] % multiple))
            return x


        class Attention(torch.nn.Module):
            def forward(self, x):
                x = pad_heads(x, 8, self.group)
                return pad_sequence(x, 4)
        """
    )
    confidences = _size_confidences(source)
    assert confidences[(8, "ONX302")] == "low", confidences
    assert confidences[(14, "ONX302")] == "high", confidences


NORMALISED_OPTIONS = textwrap.dedent(
    """
    import torch

    _REFINED_MODELS = ("homography", "fundamental")


    def _resolve_recovery(recovery, model_type):
        if recovery is not None and not isinstance(recovery, bool):
            raise ValueError("recovery must be a bool")
        if recovery and model_type != "fundamental":
            raise ValueError("recovery needs a fundamental matrix")
        return False if recovery is None else recovery


    class Estimator(torch.nn.Module):
        def __init__(self, model_type: str = "homography", refinement=None, recovery=False):
            super().__init__()
            if refinement is None:
                refinement = "lm" if model_type in _REFINED_MODELS else "dlt"
            recovery = _resolve_recovery(recovery, model_type)
            self.refinement = refinement
            self.recovery = recovery

        def forward(self, points):
            if self.refinement == "lm":
                with torch.no_grad():
                    return self._refine(points)
            return torch.linalg.inv(points)

        def _refine(self, points):
            if self.recovery:
                points = torch.linalg.pinv(points)
            return points.cumsum(0)
    """
)


def test_options_a_constructor_normalises_take_the_values_its_defaults_give():
    """kornia's RANSAC: `refinement=None` becomes "lm" for the default model type, and `recovery` passes through a
    helper that returns it as it is. So the code after the `lm` branch's `return` (inside a `with` block) and the
    recovery branch run only on request."""
    findings = lint_source(NORMALISED_OPTIONS, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX107"}
    assert confidences == {28: "low", 32: "low"}, [(f.start.row, f.code, f.message) for f in findings]
    assert not lint_source(NORMALISED_OPTIONS, "m.py", LintSettings()).findings


def test_folding_follows_constants_branches_and_helpers_and_stops_where_it_cannot_decide():
    from onnxlint.analysis.folding import ModuleFolder, rebound_parameter_values

    module = ast.parse(NORMALISED_OPTIONS)
    init = next(n for n in ast.walk(module) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    folder = ModuleFolder(module)
    assert folder.constants["_REFINED_MODELS"] == ("homography", "fundamental")
    initial = {"model_type": "homography", "refinement": None, "recovery": False}
    assert rebound_parameter_values(init, initial, folder) == {**initial, "refinement": "lm"}
    # Another model type takes the other side of the constant test; an unknown one decides nothing.
    assert rebound_parameter_values(init, {**initial, "model_type": "affine"}, folder)["refinement"] == "dlt"
    # An unknown model type decides nothing about `refinement`; `recovery` comes back as it went in either way (the
    # helper's checks raise or pass, they return nothing).
    assert rebound_parameter_values(init, {"refinement": None, "recovery": False}, folder) == {"recovery": False}


def test_a_branch_that_needs_a_cache_from_an_earlier_call_is_low():
    """MagViT's causal conv keeps `self.prev_features` for the next call: a freshly built module, the one an export
    traces, holds None there, so the branch for a module called before is a path on request."""
    source = textwrap.dedent(
        """
        import torch


        class CausalConv(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.prev_features = None

            def forward(self, x):
                if self.prev_features is None:
                    self.prev_features = x[:, :, -1:]
                    return torch.cat([x[:, :, i : i + 2] for i in range(x.size(2) - 1)], 2)
                x = torch.cat([self.prev_features, x], 2)
                self.prev_features = x[:, :, -1:]
                return torch.cat([x[:, :, i : i + 2] for i in range(x.size(2) - 1)], 2)
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX203"}
    assert confidences == {13: "high", 16: "low"}, [(f.start.row, f.code, f.message) for f in findings]


MODALITY_INPUTS = textwrap.dedent(
    """
    import torch


    class VisionTower(torch.nn.Module):
        def forward(self, pixel_values, grid_thw):
            return pixel_values.split(grid_thw.prod(-1).tolist())


    class Embeddings(torch.nn.Module):
        def forward(self, visual_embeds, image_text_alignment=None):
            if image_text_alignment is not None:
                mask = (image_text_alignment != -1).float().sum(2)
                if (mask == 0).sum() != 0:
                    mask = mask.clamp(min=1)
                visual_embeds = visual_embeds / mask.unsqueeze(-1)
            return visual_embeds


    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = VisionTower()
            self.embeddings = Embeddings()

        def forward(self, visual_embeds, pixel_values=None, image_grid_thw=None, image_text_alignment=None):
            if image_grid_thw is not None:
                positions = [int(t) for t in image_grid_thw[:, 0].tolist()]
                visual_embeds = visual_embeds + len(positions)
            if pixel_values is not None:
                visual_embeds = visual_embeds + self.visual(pixel_values, grid_thw=image_grid_thw)[0]
            return self.embeddings(visual_embeds, image_text_alignment=image_text_alignment)
    """
)


def test_an_input_named_for_a_modality_is_data_only_where_the_file_gives_it_with_the_data():
    """Qwen's `image_grid_thw` goes, untested, to the vision tower's required `grid_thw`: data given with the
    images, so its branch is the default path of an image request. VisualBERT's `image_text_alignment` only ever
    reaches parameters that default to None and test it: an option, whose branch runs on request."""
    from onnxlint.core.context import FileContext

    context = FileContext("m.py", MODALITY_INPUTS, ast.parse(MODALITY_INPUTS), LintSettings())
    assert context.given_with_the_data() == frozenset({"image_grid_thw"})
    findings = lint_source(MODALITY_INPUTS, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences[(14, "ONX201")] == "low", [(f.start.row, f.code, f.message) for f in findings]
    assert confidences[(28, "ONX202")] == "medium", [(f.start.row, f.code, f.message) for f in findings]
    # Without the call that gives the grid to the vision tower, nothing in the file says it comes with the images.
    alone = MODALITY_INPUTS.replace("self.visual(pixel_values, grid_thw=image_grid_thw)", "self.visual(pixel_values)")
    findings = lint_source(alone, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.code): f.confidence.value for f in findings}[(28, "ONX202")] == "low"


def test_a_threshold_either_arm_of_which_is_degenerate_is_low_through_a_flag_that_narrows_itself():
    """Funnel: `pooling_flag = hidden.size(1) > (2 if separate_cls else 1)`, then `pooling_flag = pooling_flag and
    block_index > 0`: both bindings are conditions, the size's bound is 2 at most, so only inputs of one or two
    tokens take the other branch."""
    source = textwrap.dedent(
        """
        import torch


        class Funnel(torch.nn.Module):
            def __init__(self, separate_cls=True):
                super().__init__()
                self.separate_cls = separate_cls
                self.blocks = torch.nn.ModuleList([torch.nn.Identity(), torch.nn.Identity()])

            def forward(self, hidden):
                for block_index, block in enumerate(self.blocks):
                    pooling_flag = hidden.size(1) > (2 if self.separate_cls else 1)
                    pooling_flag = pooling_flag and block_index > 0
                    if pooling_flag:
                        hidden = hidden[:, ::2]
                    if hidden.size(1) > (64 if self.separate_cls else 1):
                        hidden = hidden * 2
                    hidden = block(hidden)
                return hidden
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX302"}
    # The second bound is 64 on one arm: not a degenerate threshold, so it is reported as any bound is.
    assert confidences == {15: "low", 17: "medium"}, [(f.start.row, f.code, f.message) for f in findings]
    message = next(f.message for f in findings if f.start.row == 15)
    assert "a threshold of 2 elements (at most, `2 if self.separate_cls else 1`)" in message


def test_a_call_with_kwargs_still_says_what_it_passes_by_name():
    """LLaVA's `self.get_image_features(pixel_values, image_sizes=image_sizes, **kwargs)`: `**kwargs` may fill any
    other parameter, but not `image_sizes`, which the call names (Python refuses a name twice). So the helper's
    `image_sizes` holds the caller's default, None, and its branch runs on request; `mask`, which `**kwargs` may
    carry, decides nothing."""
    source = textwrap.dedent(
        """
        import torch


        class Model(torch.nn.Module):
            def get_image_features(
                self, pixel_values: torch.Tensor, image_sizes: torch.Tensor | None = None, mask: torch.Tensor | None = None, **kwargs
            ):
                if image_sizes is not None:
                    return pixel_values.split(image_sizes.prod(-1).tolist())
                if mask is not None:
                    return pixel_values.split(mask.sum(-1).tolist())
                return pixel_values

            def forward(self, pixel_values, image_sizes=None, **kwargs):
                return self.get_image_features(pixel_values, image_sizes=image_sizes, **kwargs)
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    confidences = {f.start.row: f.confidence.value for f in findings if f.code == "ONX202"}
    assert confidences == {10: "low", 12: "high"}, [(f.start.row, f.code, f.message) for f in findings]


def test_an_input_passed_on_only_after_its_own_early_return_is_no_data():
    """`if image_sizes is None: return x` at the top of the function, then a call with `image_sizes`: the call runs
    only where the input was given, so it says nothing of the default path (`after_early_exit`, at function level)."""
    from onnxlint.core.context import FileContext

    source = textwrap.dedent(
        """
        import torch


        def split(features, image_sizes):
            return features.split(image_sizes.prod(-1).tolist())


        class Model(torch.nn.Module):
            def forward(self, features, image_sizes=None, image_grid=None):
                if image_sizes is None:
                    return features
                return split(features, image_sizes), split(features, image_grid)
        """
    )
    context = FileContext("m.py", source, ast.parse(source), LintSettings())
    assert context.given_with_the_data() == frozenset({"image_grid"})


HELPER_RETURNS_NONE_BY_DEFAULT = textwrap.dedent(
    """
    import torch


    class Ransac(torch.nn.Module):
        def __init__(self, degensac: bool = False):
            super().__init__()
            self.degensac = degensac

        def _minimal_models(self, x: torch.Tensor, track_origins: bool = False):
            rows = torch.arange(x.shape[0]) if track_origins else None
            if rows is not None:
                rows = rows[x[:, 0] > 0]
            return x * 2, rows

        def _recover(self, scores: torch.Tensor):
            return [i for i, s in enumerate(scores.tolist()) if s > 0]

        def forward(self, x: torch.Tensor):
            best = -1.0
            total = x.new_zeros(())
            for step in range(4):
                track = self.degensac and step < 8
                models, origin = self._minimal_models(x, track_origins=track)
                scores = models.sum(-1)
                if origin is None or scores.max() <= best:
                    continue
                total = total + len(self._recover(scores))
                del origin
            return total
    """
)


def test_a_helpers_return_value_on_the_default_path_decides_the_callers_branches():
    """kornia's RANSAC: `models, origin = self._minimal_models(x, track_origins=track)` with `track` False by default
    (the constructor's `degensac=False`) returns `origin` None, so `if origin is None or ...: continue` skips the rest
    of the loop body on the default path: the DEGENSAC recovery after it, and the data-dependent second operand of
    the `or`, run only on request. With the option on, both are the default path."""
    from onnxlint.core.context import FileContext

    context = FileContext(
        "m.py", HELPER_RETURNS_NONE_BY_DEFAULT, ast.parse(HELPER_RETURNS_NONE_BY_DEFAULT), LintSettings()
    )
    forward = next(n for n in ast.walk(context.tree) if isinstance(n, ast.FunctionDef) and n.name == "forward")
    # `origin` is None where it is read (the `del` after its last read does not make it unknown).
    assert context._enclosing_options(forward.body[-1]).get("origin", "absent") is None
    findings = lint_source(HELPER_RETURNS_NONE_BY_DEFAULT, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences[(26, "ONX201")] == "low", [(f.start.row, f.code, f.message) for f in findings]
    assert confidences[(17, "ONX202")] == "low", [(f.start.row, f.code, f.message) for f in findings]
    switched_on = HELPER_RETURNS_NONE_BY_DEFAULT.replace("degensac: bool = False", "degensac: bool = True")
    findings = lint_source(switched_on, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences[(26, "ONX201")] != "low", [(f.start.row, f.code, f.message) for f in findings]
    assert confidences[(17, "ONX202")] != "low", [(f.start.row, f.code, f.message) for f in findings]


def test_an_input_passed_with_the_images_to_a_required_parameter_comes_with_them():
    """MiniCPM-V: `get_image_features(pixel_values[:1], target_sizes)` under `if pixel_values is not None:`, with
    `target_sizes` required there. Whenever images come, their sizes come too, so the branches that test
    `target_sizes` elsewhere (its M-RoPE index) are the default path of an image request, not options."""
    from onnxlint.core.context import FileContext

    source = textwrap.dedent(
        """
        import torch


        class Model(torch.nn.Module):
            def get_image_features(self, pixel_values: torch.Tensor, target_sizes: torch.Tensor):
                return pixel_values.split(target_sizes.prod(-1).tolist())

            def rope_index(self, input_ids: torch.Tensor, target_sizes: torch.Tensor | None = None):
                if target_sizes is not None:
                    return [int(t) for t in target_sizes[:, 0].tolist()]
                return None

            def forward(self, input_ids, pixel_values=None, target_sizes=None, mask=None):
                features = None
                if pixel_values is not None:
                    features = self.get_image_features(pixel_values[:1], target_sizes)
                return features, self.rope_index(input_ids, target_sizes=target_sizes)
        """
    )
    context = FileContext("m.py", source, ast.parse(source), LintSettings())
    assert context.given_with_the_data() == frozenset({"target_sizes"})
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    confidences = {(f.start.row, f.code): f.confidence.value for f in findings}
    assert confidences[(11, "ONX202")] != "low", [(f.start.row, f.code, f.message) for f in findings]
    # Passed with the images only to a parameter with a default, it stays an option of them.
    optional = source.replace("target_sizes: torch.Tensor)", "target_sizes: torch.Tensor | None = None)")
    context = FileContext("m.py", optional, ast.parse(optional), LintSettings())
    assert context.given_with_the_data() == frozenset()
    findings = lint_source(optional, "m.py", LintSettings(confidence="low")).findings
    assert {(f.start.row, f.code): f.confidence.value for f in findings}[(11, "ONX202")] == "low"


def test_a_finding_in_a_branch_past_a_memory_budget_is_low():
    """CogVideoX's `SafeConv3d`: `if memory_count > 2:` (GB) splits the convolution in time for memory, the same
    numbers; an example an export uses does not reach it, so what the split computes is reported at `low`, saying
    why. The same `int()` outside such a branch keeps its level."""
    source = textwrap.dedent(
        """
        import torch


        class SafeConv3d(torch.nn.Conv3d):
            def forward(self, input):
                memory_count = (input.shape[0] * input.shape[1] * input.shape[2] * input.shape[3]) * 2 / 1024**3
                if memory_count > 2:
                    part_num = int(memory_count / 2) + 1
                    chunks = torch.chunk(input, part_num, dim=2)
                    return torch.cat([super().forward(chunk) for chunk in chunks], dim=2)
                scale = int(input.shape[2] / 2)
                return super().forward(input)[:, :, :scale]
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    found = {(f.start.row, f.code): f for f in findings}
    assert found[(9, "ONX301")].confidence.value == "low", [(f.start.row, f.code, f.message) for f in findings]
    assert "past a memory budget (`memory_count > 2`)" in found[(9, "ONX301")].message
    assert found[(12, "ONX301")].confidence.value != "low", [(f.start.row, f.code, f.message) for f in findings]


def test_a_mixins_attribute_takes_the_default_every_subclass_constructor_gives_it():
    """MONAI's `_DepthwiseFFTForward`: a mixin without a constructor whose `forward` reads `getattr(self,
    "fft_chunk_size", 0)`, with every class of the file built on it setting the attribute from a constructor
    parameter that defaults to 0. The chunked loop under `chunk > 0` runs only on request; where one subclass
    defaults to another value, nothing decides it."""
    source = textwrap.dedent(
        """
        import torch


        class _ChunkedForward:
            fft_chunk_size: int = 0

            def forward(self, input: torch.Tensor) -> torch.Tensor:
                chunk = getattr(self, "fft_chunk_size", 0)
                if chunk > 0 and input.shape[1] > chunk:
                    parts = []
                    for c0 in range(0, input.shape[1], chunk):
                        parts.append(input[:, c0 : c0 + chunk] * 2)
                    return torch.cat(parts, 1)
                return input * 2


        class Chunked2d(_ChunkedForward, torch.nn.Conv2d):
            def __init__(self, channels: int, fft_chunk_size: int = 0) -> None:
                torch.nn.Conv2d.__init__(self, channels, channels, 3)
                self.fft_chunk_size = fft_chunk_size


        class Chunked3d(_ChunkedForward, torch.nn.Conv3d):
            def __init__(self, channels: int, fft_chunk_size: int = 0) -> None:
                torch.nn.Conv3d.__init__(self, channels, channels, 3)
                self.fft_chunk_size = fft_chunk_size
        """
    )

    def loop_confidence(text: str) -> tuple[str, str]:
        findings = lint_source(text, "m.py", LintSettings(confidence="low")).findings
        loop = next(f for f in findings if f.code == "ONX203" and f.start.row == 12)
        return loop.confidence.value, loop.message

    level, message = loop_confidence(source)
    assert level == "low" and "only on request (`chunk > 0 and input.shape[1] > chunk`)" in message, message
    disagreeing = source.replace(
        "def __init__(self, channels: int, fft_chunk_size: int = 0) -> None:\n        torch.nn.Conv3d",
        "def __init__(self, channels: int, fft_chunk_size: int = 8) -> None:\n        torch.nn.Conv3d",
    )
    assert disagreeing != source
    assert loop_confidence(disagreeing)[0] != "low"


def test_a_crop_under_the_same_flag_as_a_pad_through_a_helper_is_the_pads_hazard():
    """Reformer: `if must_pad: ... = self._pad_to_mult_of_chunk_length(...)`, and later `if must_pad: x = x[:,
    :orig_length]`. The export keeps both or neither, one hazard: the pad's `if` keeps its level, the crop's is `low`
    and says where the hazard is reported. A crop under a flag that no earlier `if` pads under keeps its level."""
    source = textwrap.dedent(
        """
        import torch


        class Model(torch.nn.Module):
            def _pad_to_mult_of_chunk_length(self, input_ids, padding_length):
                return torch.nn.functional.pad(input_ids, (0, padding_length))

            def forward(self, input_ids: torch.Tensor):
                orig_length = input_ids.shape[-1]
                must_pad = input_ids.shape[-1] % 64 != 0
                if must_pad:
                    input_ids = self._pad_to_mult_of_chunk_length(input_ids, 64 - input_ids.shape[-1] % 64)
                output = input_ids * 2
                if must_pad:
                    output = output[:, :orig_length]
                return output
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    found = {f.start.row: f for f in findings if f.code == "ONX302"}
    assert found[12].confidence.value != "low", found[12].message
    assert found[15].confidence.value == "low", found[15].message
    assert "the `if` on the same condition at line 12 pads" in found[15].message
    unpadded = source.replace(
        "input_ids = self._pad_to_mult_of_chunk_length(input_ids, 64 - input_ids.shape[-1] % 64)",
        "input_ids = self.scale(input_ids)",
    )
    findings = lint_source(unpadded, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row: f.confidence.value for f in findings if f.code == "ONX302"}[15] != "low"


def test_a_table_built_at_a_pretraining_size_other_than_the_native_one_is_resized_by_a_native_example():
    """LW-DETR: `if torch.jit.is_tracing() or (size != height or size != width):` resizes the positional table, whose
    size comes from `config.pretrain_image_size` (224), while the model's native `image_size` is 256. An example at
    the native size exports the resizing branch, right at every size: `low`, saying why. With both sizes 224
    (ViTDet) the native example keeps the table as it is, wrong at every other size: the finding keeps its level."""
    source = textwrap.dedent(
        """
        import math
        import torch


        class Embeddings(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                num_positions = (config.pretrain_image_size // config.patch_size) ** 2
                self.position_embeddings = torch.nn.Parameter(torch.zeros(1, num_positions, config.hidden_size))

            def get_absolute_positions(self, abs_pos_embeddings, height, width):
                num_position = abs_pos_embeddings.shape[1]
                size = int(math.sqrt(num_position))
                if torch.jit.is_tracing() or (size != height or size != width):
                    return torch.nn.functional.interpolate(
                        abs_pos_embeddings.reshape(1, size, size, -1).permute(0, 3, 1, 2), size=(height, width)
                    )
                return abs_pos_embeddings.reshape(1, height, width, -1)

            def forward(self, pixel_values: torch.Tensor):
                height, width = pixel_values.shape[-2] // 16, pixel_values.shape[-1] // 16
                return self.get_absolute_positions(self.position_embeddings, height, width)
        """
    )

    def branch(options: tuple[tuple[str, int], ...]):
        settings = LintSettings(confidence="low", config_defaults=options)
        findings = lint_source(source, "m.py", settings).findings
        return next(f for f in findings if f.code == "ONX302" and f.start.row == 15)

    pretrained_smaller = branch((("image_size", 256), ("pretrain_image_size", 224), ("patch_size", 16)))
    assert pretrained_smaller.confidence.value == "low", pretrained_smaller.message
    assert "(`pretrain_image_size` 224) and not at its native one (`image_size` 256)" in pretrained_smaller.message
    same_size = branch((("image_size", 224), ("pretrain_image_size", 224), ("patch_size", 16)))
    assert same_size.confidence.value != "low", same_size.message
    assert branch(()).confidence.value != "low"


def test_a_module_built_only_with_an_option_a_pretraining_head_turns_on_runs_on_request():
    """PatchTSMixer: `PatchTSMixerModel.__init__(config, mask_input=False)` builds its masking under `if mask_input is
    True:`, and only `PatchTSMixerForPretraining` builds the model with `mask_input=True`. The pretraining objective is
    not the model an export takes: the masking's `int()` is `low`, saying why. Built with the option by another
    class, the masking is on the model's path."""
    source = textwrap.dedent(
        """
        import torch


        def random_masking(inputs: torch.Tensor, ratio: float):
            sequence_length = inputs.shape[2]
            keep = int(sequence_length * (1 - ratio))
            return inputs[:, :, :keep]


        class Masking(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                return random_masking(x, 0.4)


        class Model(torch.nn.Module):
            def __init__(self, config, mask_input: bool = False):
                super().__init__()
                if mask_input is True:
                    self.masking = Masking()
                else:
                    self.masking = None

            def forward(self, x: torch.Tensor):
                if self.masking is not None:
                    x = self.masking(x)
                return x


        class ModelForPretraining(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.model = Model(config, mask_input=True)

            def forward(self, x: torch.Tensor):
                return self.model(x)
        """
    )

    def masking_int(text: str):
        findings = lint_source(text, "m.py", LintSettings(confidence="low")).findings
        return next(f for f in findings if f.code == "ONX301" and f.start.row == 7)

    on_request = masking_int(source)
    assert on_request.confidence.value == "low", on_request.message
    assert "(`mask_input is True`)" in on_request.message
    built_by_a_model = source.replace("class ModelForPretraining(", "class ModelForForecasting(")
    assert masking_int(built_by_a_model).confidence.value != "low"


def test_a_loop_over_what_the_function_returns_as_its_annotated_list_counts_list_items():
    """diffusers' MultiAdapter: `forward(...) -> list[torch.Tensor]` returns `accume_state`, bound to `features =
    adapter(x)`, the per-scale feature maps of a submodule. `range(len(features))` counts the scales, a list's
    length, not a dim: no finding. Annotated to return a tensor, the same loop is ONX203's."""
    source = textwrap.dedent(
        """
        import torch


        class MultiAdapter(torch.nn.Module):
            def __init__(self, adapters):
                super().__init__()
                self.adapters = torch.nn.ModuleList(adapters)

            def forward(self, xs: torch.Tensor) -> list[torch.Tensor]:
                accume_state = None
                for x, adapter in zip(xs, self.adapters):
                    features = adapter(x)
                    if accume_state is None:
                        accume_state = features
                    else:
                        for i in range(len(features)):
                            accume_state[i] += features[i]
                return accume_state
        """
    )

    def loop_findings(text: str) -> list[int]:
        findings = lint_source(text, "m.py", LintSettings(confidence="low")).findings
        return [f.start.row for f in findings if f.code == "ONX203"]

    assert 17 not in loop_findings(source)
    assert 17 in loop_findings(source.replace("-> list[torch.Tensor]:", "-> torch.Tensor:"))


def _loop_finding(source: str):
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    loops = [f for f in findings if f.code == "ONX203"]
    assert len(loops) == 1, [f.message for f in findings]
    return loops[0]


def test_an_or_of_an_optional_input_and_a_flag_false_while_exporting_is_a_path_on_request():
    """kornia's SIFT blur: `if destination is not None or tiled:` with `tiled = ... and not
    torch.compiler.is_compiling()`: while exporting the flag is False, so the branch runs only where the optional
    `destination` is given (`low`). With a flag the export does not decide, the branch is not decided either."""
    source = textwrap.dedent(
        """
        import torch


        class Blur(torch.nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.blur(x)

            def blur(self, value: torch.Tensor, destination: torch.Tensor | None = None) -> torch.Tensor:
                height = value.shape[-2]
                tiled = height >= 1024 and not torch.compiler.is_compiling()
                if destination is not None or tiled:
                    for row in range(0, height, 256):
                        value[..., row : row + 256, :] += 1
                    return value
                return value * 2
        """
    )
    on_request = _loop_finding(source)
    assert on_request.confidence.value == "low", on_request.message
    assert "(`destination is not None or tiled`)" in on_request.message
    # Without the guard, `tiled` is a bound on the size: no path on request, but a branch ONX302 reports, whose
    # consequence the loop is.
    undecided = _loop_finding(source.replace(" and not torch.compiler.is_compiling()", ""))
    assert "a branch the export takes only on request" not in undecided.message, undecided.message
    assert "which ONX302 reports at line 12" in undecided.message, undecided.message


def test_a_call_the_export_never_makes_passes_no_option():
    """kornia's SIFT pyramid calls `self._blur_cpu(..., out=...)` only under `not torch.compiler.is_compiling()`: the
    calls an export makes leave `out` None, so `if out is not None:` is a path on request (`low`). The same call
    outside the guard passes `out` on the export's path."""
    source = textwrap.dedent(
        """
        import torch


        class Pyramid(torch.nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if not torch.compiler.is_compiling():
                    out = torch.empty_like(x)
                    self.blur(x, out=out)
                    return out
                return self.blur(x)

            def blur(self, x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
                height = x.shape[-2]
                if out is not None:
                    for row in range(0, height, 256):
                        out[..., row : row + 256, :] = x[..., row : row + 256, :]
                    return out
                return x * 2
        """
    )
    on_request = _loop_finding(source)
    assert on_request.confidence.value == "low", on_request.message
    assert "(`out is not None`)" in on_request.message
    passed = _loop_finding(source.replace("if not torch.compiler.is_compiling():", "if x.dim() == 4:"))
    assert passed.confidence.value != "low", passed.message


def _levels(source: str) -> dict[tuple[int, str], str]:
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    return {(f.start.row, f.code): f.confidence.value for f in findings}


def test_code_under_a_reported_size_branch_is_its_consequence():
    """Phi-4's audio encoder tests `if seq_len % max_seq_len > 0:` inside `if seq_len > max_seq_len:`, which ONX302
    reports: which side the export traces, the example's length decides, and that finding comes first, so the inner
    one is `low` and names it. Where the outer bound is not reported at medium or high (a configured maximum, low) or
    is silenced by `# noqa`, the inner finding keeps its level; so does one on the side of an equality that every other
    size takes."""
    source = textwrap.dedent(
        """
        import torch


        class Encoder(torch.nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                seq_len = x.shape[1]
                if seq_len > 500:
                    if seq_len % 500 > 0:
                        x = x * 2
                if x.shape[2] == 7 and x.shape[3] == 7:
                    return x
                else:
                    if x.shape[2] % 7 > 0:
                        x = x * 3
                return x
        """
    )
    levels = _levels(source)
    assert levels[(8, "ONX302")] == "medium"
    assert levels[(9, "ONX302")] == "low"
    assert levels[(11, "ONX302")] == "medium"
    assert levels[(14, "ONX302")] != "low"  # the `else` of an equality: every other size takes it
    finding = next(f for f in lint_source(source, "m.py", LintSettings(confidence="low")).findings if f.start.row == 9)
    assert "one side of `seq_len > 500`, which ONX302 reports at line 8" in finding.message
    configured = source.replace("if seq_len > 500:", "if seq_len > self.max_len:")
    assert _levels(configured)[(8, "ONX302")] == "low"
    assert _levels(configured)[(9, "ONX302")] != "low"
    # A root the user silenced with a noqa comment leaves the code under it at its own level.
    suppression = "# " + "noqa: ONX302"  # spelled in two parts so that ruff does not read it as its own
    silenced = source.replace("if seq_len > 500:", f"if seq_len > 500:  {suppression}")
    assert (8, "ONX302") not in _levels(silenced)
    assert _levels(silenced)[(9, "ONX302")] == "medium"
    # Another rule's finding under the branch: `low` while ONX302 runs, its own level where ONX302 is ignored.
    looped = textwrap.dedent(
        """
        import torch


        class Encoder(torch.nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                seq_len = x.shape[1]
                if seq_len > 500:
                    for start in range(0, seq_len, 500):
                        x = x + start
                return x
        """
    )
    assert _levels(looped)[(9, "ONX203")] == "low"
    without = lint_source(looped, "m.py", LintSettings(confidence="low", selection=Selection(ignore=("ONX302",))))
    assert {(f.start.row, f.code): f.confidence.value for f in without.findings}[(9, "ONX203")] == "medium"


def test_a_flag_filled_in_from_the_configuration_takes_the_configurations_default(tmp_path):
    """LED: `output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions`
    with `output_attentions=None`: on the default path the flag is the configuration's, which transformers'
    `PreTrainedConfig` sets False where the model's configuration does not declare it, so what runs only under it is a
    path on request. A configuration class that does not derive from `PreTrainedConfig` gives no such default, and a
    parameter the default path does not fill in that way stays undecided."""
    package = tmp_path / "tiny"
    package.mkdir()
    configuration = textwrap.dedent(
        """
        from ...configuration_utils import PreTrainedConfig


        class TinyConfig(PreTrainedConfig):
            def __init__(self, hidden_size=4, **kwargs):
                super().__init__(**kwargs)
        """
    )
    model = textwrap.dedent(
        """
        import torch

        from .configuration_tiny import TinyConfig


        class Encoder(torch.nn.Module):
            def __init__(self, config: TinyConfig):
                super().__init__()
                self.config = config

            def forward(self, x: torch.Tensor, output_attentions=None):
                output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
                is_global = x.sum() > 0
                attentions = () if (output_attentions and is_global) else None
                return x, attentions
        """
    )
    (package / "configuration_tiny.py").write_text(configuration)
    (package / "modeling_tiny.py").write_text(model)

    def confidence() -> str:
        result = run_onnxlint("--confidence", "low", "--format", "json", "tiny", cwd=tmp_path)
        (finding,) = [f for f in json.loads(result.stdout) if f["code"] == "ONX201"]
        return finding["confidence"]

    assert confidence() == "low"
    (package / "configuration_tiny.py").write_text(
        configuration.replace("(PreTrainedConfig)", "(object)").replace(
            "from ...configuration_utils import PreTrainedConfig", ""
        )
    )
    assert confidence() == "medium"
    (package / "configuration_tiny.py").write_text(configuration)
    (package / "modeling_tiny.py").write_text(model.replace("if output_attentions is not None else", "or"))
    assert confidence() == "medium"
