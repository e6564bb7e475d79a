"""Model specs: which model to build, with which example inputs and dynamic dims, from which weights.

Shared by the graph layer (tracing) and the verify pipeline (export + onnxruntime). Parsing a
spec needs nothing but the standard library; building the model and its inputs imports torch
and runs the user's code, so it happens only when the user asked for it (a `--model` option or
a `[[tool.onnxlint.models]]` table).

Command-line syntax:
    --model 'NestedUNet(num_classes=2, input_channels=3)'     constructor call, literal arguments only
    --input 1x3x256x256            one example input (float32); repeat for several inputs
    --input mask=1x256x256:bool    named, with a dtype
    --dynamic batch,height,width   dims that must stay dynamic (names or indices, for every input)
    --dynamic mask:0               ... or for one input
    --dynamic src:1=src_len,tgt:1=tgt_len   ... under a label: dims with one label are one size
                                   (an unqualified name whose dims differ in size across inputs
                                   gets a label per input: sequence_src, sequence_tgt)
    --weights best_model.pth       a state dict, loaded with weights_only=True

pyproject.toml:
    [[tool.onnxlint.models]]
    name = "nested_unet"
    entry = "fixtures/nested_unet/model.py:NestedUNet"    # or "package.module:factory"
    kwargs = { num_classes = 1, input_channels = 3 }
    inputs = [{ name = "input", shape = [1, 3, 256, 256], dtype = "float32" }]
    dynamic = ["batch", "height", "width"]
    weights = "best_model.pth"
    train = false                  # true: trace the model as built, without .eval() (reports modules left in training mode)
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32", "int8", "uint8", "bool")
# Dim names users type, by the rank of the input they apply to. None: the name does not fit that rank.
_NAMED_DIMS: dict[str, dict[int, int | None]] = {
    "batch": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0},
    "channels": {2: None, 3: 1, 4: 1, 5: 1},
    "sequence": {2: 1, 3: 1, 4: None, 5: None},
    "time": {2: 1, 3: 2, 4: None, 5: 2},
    "depth": {5: 2},
    "height": {3: 1, 4: 2, 5: 3},
    "width": {3: 2, 4: 3, 5: 4},
}
_DIM_ALIASES = {
    "n": "batch",
    "b": "batch",
    "c": "channels",
    "h": "height",
    "w": "width",
    "d": "depth",
    "seq": "sequence",
    "t": "time",
}


class SpecError(ValueError):
    """A model spec that cannot be understood; the message says what and how to write it."""


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    dynamic: Mapping[int, str] = field(default_factory=dict)  # dim index -> dim name

    def describe(self) -> str:
        dims = "x".join(str(s) for s in self.shape)
        dyn = ", ".join(f"{i}:{n}" for i, n in sorted(self.dynamic.items()))
        return f"{self.name}={dims}:{self.dtype}" + (f" (dynamic {dyn})" if dyn else "")


@dataclass(frozen=True)
class ModelSpec:
    entry_file: Path | None  # the file that defines the model (None: `module` is importable)
    module: str | None  # dotted module name when not given as a file
    factory: str  # callable name inside the module (a class or a function)
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[InputSpec, ...] = ()
    weights: Path | None = None
    name: str = ""
    train: bool = False  # build the model as-is (no .eval()), to see which modules are left in training mode

    @property
    def label(self) -> str:
        return self.name or self.factory

    def constructor_text(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.factory}({', '.join(parts)})"

    def dynamic_dims(self) -> list[dict[int, str]]:
        return [dict(spec.dynamic) for spec in self.inputs]


# -- parsing ------------------------------------------------------------------------------------


def parse_constructor(text: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """`NestedUNet(num_classes=2)` -> ("NestedUNet", (), {"num_classes": 2}); literal arguments only."""
    try:
        expression = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise SpecError(f"--model {text!r} is not a Python expression: {error.msg}") from error
    if type(expression) in (ast.Name, ast.Attribute):
        return ast.unparse(expression), (), {}
    if type(expression) is not ast.Call or type(expression.func) not in (ast.Name, ast.Attribute):
        raise SpecError(f"--model {text!r}: write a class or function call such as 'NestedUNet(num_classes=2)'")
    try:
        args = tuple(ast.literal_eval(a) for a in expression.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in expression.keywords if k.arg is not None}
    except ValueError as error:
        raise SpecError(
            f"--model {text!r}: arguments must be literals (numbers, strings, lists, dicts, True/False/None)"
        ) from error
    if any(k.arg is None for k in expression.keywords) or any(type(a) is ast.Starred for a in expression.args):
        raise SpecError(f"--model {text!r}: *args and **kwargs are not supported; spell the arguments out")
    return ast.unparse(expression.func), args, kwargs


_INPUT = re.compile(r"^(?:(?P<name>[A-Za-z_]\w*)=)?(?P<shape>\d+(?:[x,]\d+)*)(?::(?P<dtype>\w+))?$")


def parse_input(text: str, index: int) -> InputSpec:
    match = _INPUT.match(text.strip())
    if match is None:
        raise SpecError(f"--input {text!r}: write a shape like 1x3x256x256, optionally 'name=1x3x256x256:float16'")
    dtype = match.group("dtype") or "float32"
    if dtype not in DTYPES:
        raise SpecError(f"--input {text!r}: unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
    shape = tuple(int(s) for s in re.split(r"[x,]", match.group("shape")))
    return InputSpec(
        name=match.group("name") or ("input" if index == 0 else f"input_{index}"), shape=shape, dtype=dtype
    )


def resolve_dim(token: str, rank: int, input_name: str) -> tuple[int, str]:
    """A dim token ('batch', 'h', '2', '-1') as (index, name) for an input of `rank`."""
    token = token.strip()
    if re.fullmatch(r"-?\d+", token):
        index = int(token)
        if not -rank <= index < rank:
            raise SpecError(f"--dynamic {token}: input {input_name!r} has only {rank} dims")
        index %= rank
        return index, _default_dim_name(index, rank)
    name = _DIM_ALIASES.get(token.lower(), token.lower())
    if name not in _NAMED_DIMS:
        raise SpecError(f"--dynamic {token!r}: use a dim index or one of {', '.join(_NAMED_DIMS)}")
    named_index = _NAMED_DIMS[name].get(rank)
    if named_index is None:
        raise SpecError(
            f"--dynamic {token!r} does not fit input {input_name!r} of rank {rank}; give the dim index instead"
        )
    return named_index, name


def _default_dim_name(index: int, rank: int) -> str:
    for name, by_rank in _NAMED_DIMS.items():
        if by_rank.get(rank) == index:
            return name
    return f"dim{index}"


_DIM_LABEL = re.compile(r"[A-Za-z_]\w*")


def apply_dynamic(inputs: Sequence[InputSpec], tokens: Sequence[str]) -> tuple[InputSpec, ...]:
    """Attach `--dynamic` tokens to the inputs they name (all inputs when unqualified).

    A token is `[input:]dim[=label]`: `batch` (every input's batch dim), `mask:0` (one input's
    dim 0), `decoder_input_ids:sequence=target_len` (that dim, under the label `target_len`).
    Dims with the same label are one symbol in both exporters (onnxruntime assumes them equal):
    an unqualified name ties the inputs' dims of that name, unless their example sizes differ
    (an encoder's `sequence` 16 and a decoder's 8 cannot be one size), in which case each input's
    dim gets a label of its own, `sequence_<input>`. Labels say which dims are the same.
    """
    result = [dict(i.dynamic) for i in inputs]
    labelled: set[tuple[int, int]] = set()  # (input, dim) given a label by `=label`: never renamed
    by_name = {spec.name: position for position, spec in enumerate(inputs)}
    for raw in tokens:
        for token in (t.strip() for t in raw.split(",") if t.strip()):
            token, _, label = token.partition("=")
            label = label.strip()
            if label and not _DIM_LABEL.fullmatch(label):
                raise SpecError(f"--dynamic {token}={label}: a dim label is a name (letters, digits, _)")
            if ":" in token:
                target, dim = token.split(":", 1)
                if target not in by_name:
                    raise SpecError(f"--dynamic {token!r}: no input named {target!r} (inputs: {', '.join(by_name)})")
                positions = [by_name[target]]
            else:
                dim, positions = token, list(range(len(inputs)))
            for position in positions:
                spec = inputs[position]
                try:
                    index, name = resolve_dim(dim, len(spec.shape), spec.name)
                except SpecError:
                    if ":" in token or len(inputs) == 1:
                        raise
                    continue  # an unqualified name that does not fit this input's rank
                result[position][index] = label or name
                if label:
                    labelled.add((position, index))
    # A name whose dims differ in size across inputs is not one dim: one label per input.
    sizes: dict[str, set[int]] = {}
    for position, dims in enumerate(result):
        for index, name in dims.items():
            if (position, index) not in labelled:
                sizes.setdefault(name, set()).add(inputs[position].shape[index])
    for position, dims in enumerate(result):
        for index, name in list(dims.items()):
            if (position, index) not in labelled and len(sizes.get(name, ())) > 1:
                dims[index] = f"{name}_{inputs[position].name}"
    return tuple(InputSpec(i.name, i.shape, i.dtype, d) for i, d in zip(inputs, result))


def dim_role(label: str) -> str:
    """The kind of dim a label names: `batch` for `batch` and `batch_<input>`, else the label."""
    for name in _NAMED_DIMS:
        if label == name or label.startswith(name + "_"):
            return name
    return label


def spec_from_cli(
    file: Path | None,
    model: str,
    inputs: Sequence[str],
    dynamic: Sequence[str],
    weights: Path | None,
    *,
    train: bool = False,
) -> ModelSpec:
    factory, args, kwargs = parse_constructor(model)
    if not inputs:
        raise SpecError("--model needs at least one --input shape, e.g. --input 1x3x224x224")
    parsed = tuple(parse_input(text, index) for index, text in enumerate(inputs))
    module = None
    if file is None:
        if "." not in factory:
            raise SpecError(f"--model {model!r}: name the file that defines it, or write 'package.module.{factory}'")
        module, factory = factory.rsplit(".", 1)
    return ModelSpec(file, module, factory, args, kwargs, apply_dynamic(parsed, dynamic), weights, factory, train)


def specs_from_config(entries: Any, root: Path) -> list[ModelSpec]:
    """`[[tool.onnxlint.models]]` tables -> specs (paths relative to the pyproject's folder)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SpecError("[[tool.onnxlint.models]] must be an array of tables")
    known = {"name", "entry", "args", "kwargs", "inputs", "dynamic", "weights", "train"}
    specs = []
    for position, entry in enumerate(entries):
        where = f"[[tool.onnxlint.models]] #{position + 1}"
        unknown = sorted(set(entry) - known)
        if unknown:
            raise SpecError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
        target = entry.get("entry")
        if (
            not isinstance(target, str)
            or ":" not in target
            or not all(part.isidentifier() for part in target.rsplit(":", 1)[1].split("."))
        ):
            raise SpecError(f"{where}: 'entry' must be 'path/to/file.py:Factory' or 'package.module:Factory'")
        location, factory = target.rsplit(":", 1)
        file = (root / location) if location.endswith(".py") else None
        module = None if file is not None else location
        raw_inputs = entry.get("inputs")
        if not isinstance(raw_inputs, list) or not raw_inputs:
            raise SpecError(f"{where}: 'inputs' must list at least one {{ shape = [...] }}")
        inputs = []
        for index, raw in enumerate(raw_inputs):
            if not isinstance(raw, dict) or not isinstance(raw.get("shape"), list):
                raise SpecError(f"{where}: inputs[{index}] needs a 'shape' list")
            unknown = sorted(set(raw) - {"name", "shape", "dtype", "dynamic"})
            if unknown:
                raise SpecError(f"{where}: inputs[{index}]: unknown key {', '.join(map(repr, unknown))}")
            shape = raw["shape"]
            # bool is an int to Python; a size of True is a typo, not 1.
            if not shape or not all(type(size) is int and 0 < size < 2**31 for size in shape):
                raise SpecError(f"{where}: inputs[{index}].shape must list positive integers, not {shape!r}")
            dtype = raw.get("dtype", "float32")
            if not isinstance(dtype, str) or dtype not in DTYPES:
                raise SpecError(f"{where}: inputs[{index}]: unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
            name = raw.get("name", "input" if index == 0 else f"input_{index}")
            if not isinstance(name, str) or not name.isidentifier():
                raise SpecError(f"{where}: inputs[{index}].name must be a Python identifier, not {name!r}")
            spec = InputSpec(name, tuple(shape), dtype)
            dims = raw.get("dynamic", [])
            if not isinstance(dims, list) or not all(type(d) in (str, int) for d in dims):
                raise SpecError(f"{where}: inputs[{index}].dynamic must be a list of dim names or indices")
            if dims:
                spec = _in_table(where, f"inputs[{index}].dynamic", apply_dynamic, [spec], [_dims(dims)])[0]
            inputs.append(spec)
        dynamic = entry.get("dynamic", [])
        if not isinstance(dynamic, list) or not all(type(d) in (str, int) for d in dynamic):
            raise SpecError(f"{where}: 'dynamic' must be a list of dim names or indices")
        resolved = _in_table(where, "dynamic", apply_dynamic, inputs, [_dims(dynamic)]) if dynamic else tuple(inputs)
        weights = entry.get("weights")
        if weights is not None and not isinstance(weights, str):
            raise SpecError(f"{where}: 'weights' must be a path (a string)")
        name = entry.get("name", factory)
        if not isinstance(name, str):
            raise SpecError(f"{where}: 'name' must be a string")
        args = entry.get("args", [])
        kwargs = entry.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise SpecError(f"{where}: 'args' must be a list and 'kwargs' a table")
        train = entry.get("train", False)
        if not isinstance(train, bool):
            raise SpecError(f"{where}: 'train' must be true or false")
        specs.append(
            ModelSpec(
                file,
                module,
                factory,
                tuple(args),
                kwargs,
                resolved,
                (root / weights) if isinstance(weights, str) else None,
                name,
                train,
            )
        )
    return specs


def _dims(tokens: list[Any]) -> str:
    return ",".join(str(token) for token in tokens)


def _in_table(where: str, key: str, parse: Any, *arguments: Any) -> Any:
    """Run a parser shared with the command line, naming the table and key in its error (the
    parser's own words speak of `--dynamic`, which the config's reader never typed)."""
    try:
        return parse(*arguments)
    except SpecError as error:
        detail = str(error).replace("--dynamic ", "", 1)
        raise SpecError(f"{where}: {key}: {detail}") from error


def locate_factory(files: Sequence[Path], factory: str) -> list[Path]:
    """The files among `files` that define `factory` (a top-level class or function), without importing them."""
    name = factory.split(".", 1)[0]
    found = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if any(
            type(node) in (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef) and node.name == name  # type: ignore[attr-defined]
            for node in tree.body
        ):
            found.append(path)
    return found


# -- building (imports torch, runs user code) ---------------------------------------------------


class WeightsError(Exception):
    """The weights file cannot be loaded safely or does not fit the model."""


def load_factory(spec: ModelSpec) -> Any:
    """Import the module that defines the model and return the factory (runs the module's code)."""
    if spec.entry_file is not None:
        path = spec.entry_file.resolve()
        if not path.is_file():
            raise SpecError(f"model file {spec.entry_file} does not exist")
        folder = str(path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # so the file's sibling imports (`from model import X`) work
        module_name = f"onnxlint_user_{abs(hash(str(path))):x}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise SpecError(f"cannot import {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        loader_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(spec.module or "")
    target: Any = module
    parts = spec.factory.split(".")
    if len(parts) > 1 and not hasattr(module, parts[0]):
        # `--model 'timm.create_model(...)'` beside a file that does not import timm: a dotted
        # factory names an importable module, as it does without a file.
        target, parts = _import_prefix(parts, spec)
    for part in parts:
        if not hasattr(target, part):
            where = spec.entry_file or spec.module
            raise SpecError(f"{where} defines no {spec.factory!r}")
        target = getattr(target, part)
    return target


def _import_prefix(parts: list[str], spec: ModelSpec) -> tuple[Any, list[str]]:
    """The longest importable module prefix of a dotted factory name, and the attribute path after it."""
    for length in range(len(parts) - 1, 0, -1):
        try:
            return importlib.import_module(".".join(parts[:length])), parts[length:]
        except ImportError:
            continue
    raise SpecError(f"{spec.entry_file or spec.module} defines no {spec.factory!r}, and no module {parts[0]!r} imports")


def build_model(spec: ModelSpec, *, eval_mode: bool | None = None) -> Any:
    """Construct the model (and load its weights) as the export script would.

    `eval_mode` None: call `.eval()` unless the spec asks for the model as built (`train`).
    """
    if eval_mode is None:
        eval_mode = not spec.train
    factory = load_factory(spec)
    model = factory(*spec.args, **dict(spec.kwargs))
    if spec.weights is not None:
        load_weights(model, spec.weights)
    if eval_mode:
        model.eval()
    return model


@dataclass
class WeightsReport:
    missing: list[str]
    unexpected: list[str]
    source_key: str | None  # "state_dict" / "model" when the file wraps the state dict


def read_state_dict(path: Path) -> tuple[dict[str, Any], str | None]:
    """The state dict in a checkpoint file, read with `weights_only=True` (nothing in the file runs).

    Returns the mapping and the key it was found under ("state_dict", "model"... or None).
    WeightsError, with one line saying what the file is, for anything else: a pickle that names
    code (a whole pickled model, custom objects), a truncated or corrupted file, a file that is
    not a checkpoint at all (text, a zip of something else, an ONNX model), a folder.
    """
    import pickle
    import warnings

    import torch

    if not path.exists():
        raise WeightsError(f"weights file {path} does not exist")
    if not path.is_file():
        raise WeightsError(f"weights file {path} is not a file")
    try:
        with warnings.catch_warnings():  # torch's protocol warning about a file it is about to refuse anyway
            warnings.simplefilter("ignore", UserWarning)
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
        named = re.search(r"Unsupported global: GLOBAL (\S+)|unsupported GLOBAL (\S+)", text)
        if named:
            raise WeightsError(
                f"{path} is not a plain state dict: loading it with weights_only=True was refused (it names "
                f"`{named.group(1) or named.group(2)}`, which unpickling would call); nothing from it was run. It probably holds a "
                "whole pickled model (torch.save(model)) or custom objects, and unpickling those runs code from the "
                "file. If you trust it, re-save it once as a state dict: "
                "torch.save(torch.load(path, weights_only=False).state_dict(), 'model_state.pth')"
            ) from error
        detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n\n|$)", text, re.S)
        reason = " ".join(detail.group(1).split()) if detail else _first_sentence(text)
        raise WeightsError(_not_a_checkpoint(path, reason)) from error
    except Exception as error:  # torch raises RuntimeError, EOFError, KeyError... for what is not a checkpoint
        raise WeightsError(_not_a_checkpoint(path, _first_sentence(str(error)) or type(error).__name__)) from error
    source_key = None
    state = loaded
    if isinstance(loaded, Mapping) and not _is_state_dict(loaded):
        for key in ("state_dict", "model_state_dict", "model", "net", "ema"):
            if key in loaded and isinstance(loaded[key], Mapping) and _is_state_dict(loaded[key]):
                state, source_key = loaded[key], key
                break
    if not isinstance(state, Mapping) or not _is_state_dict(state):
        raise WeightsError(f"{path} does not hold a state dict (a mapping of parameter names to tensors)")
    return dict(state), source_key


def _first_sentence(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip()
    first = text.splitlines()[0] if text else ""
    return first.split(". ")[0].rstrip(" .")


def _not_a_checkpoint(path: Path, reason: str) -> str:
    """One line for a file torch cannot read as a checkpoint, saying what it looks like."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
    except OSError:
        head = b""
    if not head:
        what = "it is empty"
    elif path.suffix.lower() == ".onnx" or (head[:1] == b"\x08" and path.suffix.lower() not in (".pt", ".pth")):
        what = "it looks like an ONNX model; --weights takes the PyTorch state dict the model was trained with"
    elif head.startswith(b"PK") and ("central directory" in reason or "zip" in reason.lower()):
        what = "it is truncated or corrupted (an incomplete copy or download?)"
    elif head.startswith(b"PK"):
        what = "it is a zip archive but not one written by torch.save"
    elif "EOF" in reason or "Ran out of input" in reason or not reason:
        what = "it is truncated or corrupted"
    else:
        what = "it is not a file written by torch.save"
    return f"{path} could not be read as a torch checkpoint: {what} ({reason or 'no detail'})"


def load_weights(model: Any, path: Path) -> WeightsReport:
    """Load a state dict with `weights_only=True`: never unpickle code, explain every refusal."""
    state, source_key = read_state_dict(path)
    state = {k[7:] if k.startswith("module.") else k: v for k, v in state.items()}  # DataParallel prefixes
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shape mismatches raise even with strict=False
        details = "\n".join("  " + line.strip() for line in str(error).splitlines()[1:] if line.strip())
        raise WeightsError(f"{path} does not fit {type(model).__name__}:\n{details}") from error
    report = WeightsReport(sorted(result.missing_keys), sorted(result.unexpected_keys), source_key)
    if report.missing or report.unexpected:
        lines = [f"{path} does not fit {type(model).__name__}:"]
        if report.missing:
            lines.append(
                f"  missing keys ({len(report.missing)}): {', '.join(report.missing[:10])}"
                + (" ..." if len(report.missing) > 10 else "")
            )
        if report.unexpected:
            lines.append(
                f"  unexpected keys ({len(report.unexpected)}): {', '.join(report.unexpected[:10])}"
                + (" ..." if len(report.unexpected) > 10 else "")
            )
        raise WeightsError("\n".join(lines))
    return report


def _is_state_dict(mapping: Mapping[Any, Any]) -> bool:
    import torch

    return (
        bool(mapping)
        and all(isinstance(k, str) for k in mapping)
        and all(isinstance(v, torch.Tensor) for v in mapping.values())
    )


def make_inputs(
    inputs: Sequence[InputSpec], *, seed: int = 0, shapes: Sequence[tuple[int, ...]] | None = None
) -> tuple[Any, ...]:
    """Seeded example tensors for the given input specs (or for other `shapes` of the same inputs)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for position, spec in enumerate(inputs):
        shape = tuple(shapes[position]) if shapes is not None else spec.shape
        dtype = getattr(torch, spec.dtype)
        if spec.dtype == "bool":
            tensors.append(torch.rand(shape, generator=generator) > 0.5)
        elif dtype.is_floating_point:
            tensors.append(torch.randn(shape, generator=generator).to(dtype))
        else:
            tensors.append(torch.randint(0, 10, shape, generator=generator).to(dtype))
    return tuple(tensors)


def alternative_shapes(inputs: Sequence[InputSpec]) -> list[list[tuple[int, ...]]]:
    """One more set of input shapes per dynamic dim name, each changing that dim only.

    A batch dim grows by one (1 -> 2, 4 -> 5); a spatial or sequence dim grows by its largest
    power-of-two divisor (256 -> 512, 224 -> 256), which keeps the divisibility that
    down-sampling models need. Dims with the same name change together across inputs.
    """
    names = sorted({name for spec in inputs for name in spec.dynamic.values()})
    variants = []
    for name in names:
        shapes = []
        for spec in inputs:
            shape = list(spec.shape)
            for index, dim_name in spec.dynamic.items():
                if dim_name == name:
                    size = shape[index]
                    grow = 1 if dim_role(name) == "batch" else (size & -size if size > 0 else 1)
                    shape[index] = size + grow
            shapes.append(tuple(shape))
        variants.append(shapes)
    return variants
