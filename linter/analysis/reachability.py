"""Paths that an export takes only on request: syntax-only tests, no state.

A finding on such a path is real only when the user exports that path (an eager implementation
a dispatch decorator replaces by default, a flag whose default is off, an optional cache, a
half-precision model, a data pipeline), so the engine reports it at `low` confidence
(`FileContext.non_default_reason`). Nothing here decides that code does *not* run at export:
that is `FileContext.skipped_during_export`'s.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

from onnxlint.analysis.bindings import parameter_defaults
from onnxlint.analysis.traversal import walk

# Decorators that make a class's `forward` (or a decorated function) one implementation among several,
# chosen at run time, not the default one: transformers' `@use_experts_implementation` replaces an
# experts module's eager `forward` (a Python loop over the experts that were hit) by `grouped_mm` unless
# the config asks for `experts_implementation="eager"`. By last name, as written at the decoration;
# a project adds its own with `non-default-decorators` in `[tool.onnxlint]`.
BUILTIN_NON_DEFAULT_DECORATORS = frozenset({"use_experts_implementation"})

# Names of optional decoding caches: a branch taken only when one is passed (incremental decoding)
# is not the model's default forward.
# Only the names of generation caches: a VAE's `feat_cache` or a streaming `padding_cache` is passed on
# the default path of the models that have one (diffusers' Wan VAE decodes frame by frame through it).
_CACHE_NAME = re.compile(
    r"^(?:past_key_values?|past_key_value_states|past_buckets_states|layer_past|cache|cache_params"
    r"|inference_params|kv_cache|conv_state|ssm_state|recurrent_state)$"
)
# Data types a model is exported in only when the user asks (half precision): a branch taken only for
# them (transformers' `if hidden_states.dtype == torch.float16 and torch.isinf(...).any():` clamp).
_REDUCED_PRECISION = frozenset({"torch.float16", "torch.half", "torch.bfloat16", "float16", "half", "bfloat16"})
# Folders of a package that hold code an exported model does not run: data pipelines (augmentations,
# data transforms, data sets: torchvision's `transforms/`, kornia's `augmentation/`, monai's
# `transforms/`, timm's `data/`), losses and metrics, and the sampling side of a diffusion library
# (diffusers' `schedulers/`, `guiders/`, `modular_pipelines/`), and hooks that a user attaches to a built model
# on request (diffusers' `hooks/`: caches, offloading, guidance; training frameworks' hooks). The innermost three
# folders only.
NON_MODEL_FOLDERS = frozenset(
    {
        "transforms",
        "augmentation",
        "augmentations",
        "augment",
        "data",
        "datasets",
        "dataset",
        "dataloaders",
        "losses",
        "metrics",
        "schedulers",
        "guiders",
        "modular_pipelines",
        "hooks",
    }
)
# Modules named for what runs around a model, not in it: transformers' processors, feature extractors and
# tokenizers (`processing_*.py`, `image_processing_*.py`, ...), generation utilities, checkpoint conversion
# scripts (`convert_*.py`) and training code.
NON_MODEL_MODULE_PREFIXES = (
    "processing_",
    "image_processing",
    "video_processing",
    "feature_extraction",
    "tokenization",
    "generation_",
    "convert_",
    "training",
    "train_",
)


# Functions that run only when the user asks for them, by name as the libraries spell them: an opt-in switch
# (diffusers' `enable_freeu`, `_enable_free_noise_in_block`), and training code: supervision (LoFTR's
# `compute_supervision_coarse`, `spvs_fine`), a loss or a metric (`compute_loss`, `dice_loss`, `evaluate`; the
# semantic model's non-inference functions are these too).
_OPT_IN_SWITCH = re.compile(r"^_?enable_")
TRAINING_FUNCTION = re.compile(
    r"(?:^|_)(?:supervision|spvs|loss|losses|criterion|metric|metrics|accuracy|average_precision|evaluate)(?:_|$)",
    re.IGNORECASE,
)


def on_request_function(name: str) -> str | None:
    """What a function named `name` is when it runs only on request: "opt-in switches" or "training code"
    (the plural: the runner's pre-pass names the kinds of all the places that use a definition); else None."""
    if _OPT_IN_SWITCH.search(name):
        return "opt-in switches"
    if TRAINING_FUNCTION.search(name):
        return "training code"
    return None


def decorator_name(decorator: ast.expr) -> str | None:
    """The last name of a decorator: `use_experts_implementation` for `@use_experts_implementation`,
    `@moe.use_experts_implementation(has_gate=False)` and the like."""
    if type(decorator) is ast.Call:
        decorator = decorator.func
    if type(decorator) is ast.Attribute:
        return decorator.attr
    if type(decorator) is ast.Name:
        return decorator.id
    return None


def has_decorator(node: ast.AST, names: Iterable[str] | frozenset[str]) -> bool:
    decorators = getattr(node, "decorator_list", None) or ()
    return any(decorator_name(d) in names for d in decorators)


def non_model_file(filename: str) -> str | None:
    """What the file is when its place says it holds no model code (see `NON_MODEL_FOLDERS` and
    `NON_MODEL_MODULE_PREFIXES`), else None. A model's own `transforms.py` module is not one."""
    path = PurePath(filename.replace("\\", "/"))
    # The innermost three folders only: an absolute path's upper folders (`/home/me/data/...`) say
    # nothing of the code (`kornia/augmentation/random_generator/_2d/`, `torchvision/transforms/v2/functional/`).
    for part in path.parts[:-1][-3:]:
        if part in NON_MODEL_FOLDERS:
            return f"code in a `{part}/` folder"
    if path.name.startswith(NON_MODEL_MODULE_PREFIXES):
        return f"a `{path.name}` module (pre- or post-processing, generation, conversion or training)"
    return None


def pipeline_driver_file(filename: str) -> str | None:
    """What the file is when it sits in a `pipelines/` folder (innermost three) and, as the caller has checked,
    defines no module `forward`: the code that drives a model through its sampling loop (diffusers' FreeInit and
    FreeNoise mixins, pipeline utilities), not the model an export traces. A pipeline folder's own models
    (`pipelines/ltx2/vocoder.py`, a safety checker) define a `forward` and stay model code."""
    parts = PurePath(filename.replace("\\", "/")).parts[:-1][-3:]
    return "a `pipelines/` module that defines no model (code that drives one)" if "pipelines" in parts else None


def is_cache_name(name: str) -> bool:
    return _CACHE_NAME.match(name) is not None


def getattr_with_default(expr: ast.AST) -> ast.Attribute | None:
    """`self.s1` for `getattr(self, "s1", None)`: an attribute read with a literal fallback (diffusers' FreeU blocks
    read the `s1` that only `enable_freeu()` sets); None for anything else."""
    if (
        type(expr) is ast.Call
        and type(expr.func) is ast.Name
        and expr.func.id == "getattr"
        and len(expr.args) == 3
        and not expr.keywords
        and type(expr.args[1]) is ast.Constant
        and type(expr.args[1].value) is str
        and expr.args[1].value.isidentifier()
        and type(expr.args[2]) is ast.Constant
    ):
        return ast.Attribute(value=expr.args[0], attr=expr.args[1].value, ctx=ast.Load())
    return None


def _dotted(expr: ast.AST) -> str | None:
    parts: list[str] = []
    while type(expr) is ast.Attribute:
        parts.append(expr.attr)
        expr = expr.value
    if type(expr) is not ast.Name:
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _is_dtype(expr: ast.AST) -> bool:
    return type(expr) is ast.Attribute and expr.attr == "dtype"


# Devices an export does not run on (it runs on the CPU or a CUDA GPU): a branch only for them is the path of a
# user who asks for that device (kornia's MPS work-arounds).
_OTHER_DEVICES = frozenset({"mps", "xla", "npu", "hpu", "xpu", "mlu", "meta"})
_OTHER_DEVICE_PREDICATE = re.compile(r"^is_(?:mps|xla|npu|hpu|xpu|mlu)(?:_|$)")
# Whether a flash-attention kernel was asked for (transformers' `is_flash_attention_requested(self.config)`, diffusers'
# `_is_flash_attention_backend(processor)`, `backend in _FLASH_ATTENTION_BACKENDS`): those kernels are CUDA extensions
# that no ONNX exporter translates, so an export runs the eager or SDPA path, which is also the default. Not
# `is_flash_attn_available()`: an installed package is not a request.
_FLASH_ATTENTION_PREDICATE = re.compile(r"^_?is_flash_attention_(?:requested|backend)$")
_FLASH_ATTENTION_BACKENDS = re.compile(r"FLASH\w*BACKENDS$", re.IGNORECASE)


def _names_other_device(call: ast.Call) -> bool:
    name = _called_name(call)
    return _OTHER_DEVICE_PREDICATE.match(name) is not None or _FLASH_ATTENTION_PREDICATE.match(name) is not None


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""


def is_device_type(expr: ast.AST) -> bool:
    """`x.device.type`, `device.type`."""
    return type(expr) is ast.Attribute and expr.attr == "type" and (_dotted(expr) or "").endswith("device.type")


def _other_devices(expr: ast.AST) -> bool:
    if type(expr) in (ast.Tuple, ast.List, ast.Set):
        elements = expr.elts  # type: ignore[attr-defined]
        return bool(elements) and all(_other_devices(e) for e in elements)
    return isinstance(expr, ast.Constant) and expr.value in _OTHER_DEVICES


def _reduced_precision(expr: ast.AST) -> bool:
    if type(expr) in (ast.Tuple, ast.List, ast.Set):
        elements = expr.elts  # type: ignore[attr-defined]
        return bool(elements) and all(_reduced_precision(e) for e in elements)
    return _dotted(expr) in _REDUCED_PRECISION


def non_default_test(
    test: ast.expr,
    defaults_off: frozenset[str],
    options: Mapping[str, object] = MappingProxyType({}),
    while_exporting: Callable[[ast.expr], bool | None] | None = None,
) -> bool | None:
    """What `test` is on the default path, when it decides a path the export takes only on request:
    False when its true branch is that path (`dtype == torch.float16`, `cache is not None`, a flag
    whose default is off), True when its false branch is (`cache is None`, `not flag`); None when it
    says nothing. `defaults_off`: the enclosing function's parameters that default to False, and `self.<name>`
    for the module's attributes set from a constructor parameter that defaults to False; `options`: what names
    and attributes hold by default (`side` for `side="short"`; `config.hidden_stride` and `self.hidden_stride`
    for a configuration's `hidden_stride: int = 1`), keyed by their dotted text (`config.x` for
    `self.config.x`): `side == "horz"` and `self.config.hidden_stride > 1` are False by default. `while_exporting`:
    what an operand of `and`/`or` that says nothing here is while exporting (`FileContext.guard_polarity`: kornia's
    `destination is not None or tiled`, with `tiled = ... and not torch.compiler.is_compiling()`), else None."""
    option = option_key(test)
    if option is not None and option in options:
        default = options[option]
        return None if default is NOT_NONE else bool(default)  # `if self.config.use_relative_position_embeddings:`
    test_type = type(test)
    if test_type is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]
        inner = non_default_test(test.operand, defaults_off, options, while_exporting)  # type: ignore[attr-defined]
        return None if inner is None else not inner
    if test_type is ast.Name:
        name = test.id  # type: ignore[attr-defined]
        if name in defaults_off or is_cache_name(name):
            return False
        return None
    if test_type is ast.Attribute:
        # `cache.is_initialized`, `past_key_values.is_compileable`: only with a cache
        value = test.value  # type: ignore[attr-defined]
        if type(value) is ast.Name and is_cache_name(value.id) and test.attr.startswith(("is_", "has_")):  # type: ignore[attr-defined]
            return False
        if type(value) is ast.Name and value.id == "self" and f"self.{test.attr}" in defaults_off:  # type: ignore[attr-defined]
            return False  # a constructor flag that defaults to False
        return None
    if isinstance(test, ast.Call) and _names_other_device(test):
        return False  # `is_mps_tensor_safe(x)`, `is_flash_attention_requested(config)`: a path an export does not take
    if test_type is ast.Compare and len(test.ops) == 1:  # type: ignore[attr-defined]
        left, op, right = test.left, test.ops[0], test.comparators[0]  # type: ignore[attr-defined]
        op_type = type(op)
        if is_device_type(left) and _other_devices(right):
            return op_type in (ast.NotEq, ast.NotIn, ast.IsNot)  # `x.device.type == "mps"`
        if op_type in (ast.In, ast.NotIn) and _FLASH_ATTENTION_BACKENDS.search(_dotted(right) or ""):
            return op_type is ast.NotIn  # `backend in _FLASH_ATTENTION_BACKENDS`
        key = option_key(left)
        if key is not None and key in options:
            # `side == "horz"` with `side="short"`, `self.config.hidden_stride > 1` with `hidden_stride: int = 1`
            return _compare_literal(options[key], op_type, right)
        if (
            op_type in (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)
            and type(right) is ast.Constant
            and type(right.value) is bool
            and type(left) in (ast.Name, ast.Attribute)
        ):
            # `if mask_input is True:` (PatchTSMixer), `if flag == False:`: the flag itself, or its negation
            inner = non_default_test(left, defaults_off, options)
            if inner is None:
                return None
            return (inner == right.value) == (op_type in (ast.Is, ast.Eq))
        if op_type in (ast.Is, ast.IsNot) and type(right) is ast.Constant and right.value is None:
            if type(left) is ast.Name and is_cache_name(left.id):
                return op_type is ast.Is  # `cache is not None`: false by default
            return None
        if op_type in (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot):
            if (_is_dtype(left) and _reduced_precision(right)) or (_is_dtype(right) and _reduced_precision(left)):
                return op_type in (ast.NotEq, ast.NotIn, ast.IsNot)
        return None
    if test_type is ast.BoolOp:
        values = [non_default_test(v, defaults_off, options, while_exporting) for v in test.values]  # type: ignore[attr-defined]
        if while_exporting is not None and None in values:
            values = [while_exporting(v) if value is None else value for v, value in zip(test.values, values)]  # type: ignore[attr-defined]
        if type(test.op) is ast.And and False in values:  # type: ignore[attr-defined]
            return False
        if type(test.op) is ast.Or and True in values:  # type: ignore[attr-defined]
            return True
        if None not in values:  # every operand decided, none short-circuits: `a or b` both False, `a and b` both True
            return values[0]
    return None


UNKNOWN_VALUE: Any = object()  # a value the default path does not fix to one literal
_UNKNOWN = UNKNOWN_VALUE


def is_plain_literal(value: object) -> bool:
    """Whether `value` is a literal the default path tracks: None, a bool, an int or a str."""
    return value is None or type(value) in (bool, int, str)


# What a call returns on the callee's default path, given the call (`FileContext._default_return`): one literal, a
# tuple of literals and `UNKNOWN_VALUE`s (`return models, rows` with `rows` None), or `UNKNOWN_VALUE`.
CallValue = Callable[[ast.Call, Mapping[str, object]], object]


def default_local_values(
    function: ast.AST,
    defaults_off: frozenset[str],
    options: Mapping[str, object],
    call_value: CallValue | None = None,
) -> dict[str, object]:
    """The locals of `function` that hold one literal on its default path: every binding the default path makes
    gives the same literal (`recurrent_state = None` in the `else` of `if cache is not None:`, `n = cache.count() if
    cache is not None else 0`, `exists_cache = cache is not None and len(cache) > i`: False). Bindings in branches the default path does not take (`non_default_test` with
    `defaults_off`, `options` and the locals the walk knows at that point) are left out, and so is the rest of a block
    after an `if` whose default branch returns, continues or breaks; an augmented assignment, a binding in an
    exception handler or any value that is no literal makes the name unknown (a binding in a loop counts like any
    other, but the walk forgets what the loop binds at its head). A call's value, or an item of it unpacked (`models,
    origin = self._minimal_models(x, track_origins=False)`), is what `call_value` says the callee returns on its
    default path with the arguments of the call. Parameters are not locals here (see `parameter_options`), but for
    one that defaults to None and that the default path fills in from a configuration flag (`_DefaultPath._filled_in`)."""
    return _DefaultPath(function, defaults_off, options, call_value).local_values()


def default_returned_value(
    function: ast.AST,
    defaults_off: frozenset[str],
    options: Mapping[str, object],
    call_value: CallValue | None = None,
) -> object:
    """What `function` returns on its default path (see `default_local_values`): the literal every `return` that path
    reaches gives, or a tuple whose items are the literal every such `return` gives there (`UNKNOWN_VALUE` where they
    differ or are no literal); `UNKNOWN_VALUE` when no `return` is reached or the returns differ in form."""
    return _DefaultPath(function, defaults_off, options, call_value).returned_value()


class _DefaultPath:
    """One walk of a function's statements along its default path: the literal each local holds at each point (for
    the tests that decide later branches), the literal each local holds over all its bindings, and what the `return`s
    reached give."""

    def __init__(
        self,
        function: ast.AST,
        defaults_off: frozenset[str],
        options: Mapping[str, object],
        call_value: CallValue | None,
    ) -> None:
        self.function = function
        self.defaults_off = defaults_off
        self.options = options
        self.call_value = call_value
        arguments = getattr(function, "args", None)
        self.parameters = (
            {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)} if arguments else set()
        )
        # Parameters that default to None, and those of them the default path fills in from an option with a
        # literal default (`output_attentions = output_attentions if output_attentions is not None else
        # self.config.output_attentions`): locals from there on (see `_filled_in`).
        self.none_by_default = (
            {a.arg for a, d in parameter_defaults(function) if type(d) is ast.Constant and d.value is None}
            if arguments and type(function) is not ast.Lambda
            else set()
        )
        self.filled_in: set[str] = set()
        self.values: dict[str, object] = {}  # over every binding on the default path
        self.unknown: set[str] = set()
        self.returns: list[object] = []
        self.walked = False

    def local_values(self) -> dict[str, object]:
        self._walk()
        return {
            name: value
            for name, value in self.values.items()
            if name not in self.unknown and (name not in self.parameters or name in self.filled_in)
        }

    def returned_value(self) -> object:
        self._walk()
        if not self.returns:
            return _UNKNOWN
        first = self.returns[0]
        if type(first) is tuple:
            if any(type(other) is not tuple or len(other) != len(first) for other in self.returns):
                return _UNKNOWN
            return tuple(_joined([other[i] for other in self.returns]) for i in range(len(first)))  # type: ignore[index]
        return _joined(self.returns)

    # -- the walk ------------------------------------------------------------------------------

    def _walk(self) -> None:
        if not self.walked:
            self.walked = True
            if getattr(self.function, "args", None) is not None and type(self.function) is not ast.Lambda:
                self._visit(self.function.body, {}, taken=True, uncertain=False)  # type: ignore[attr-defined]

    def _known(self, here: dict[str, object]) -> Mapping[str, object]:
        """The options, with the locals known at this point (a local shadows an option of its name)."""
        if not here:
            return self.options
        known = dict(self.options)
        for name, value in here.items():
            if value is _UNKNOWN:
                known.pop(name, None)
            else:
                known[name] = value
        return known

    def _decided(self, test: ast.expr, here: dict[str, object]) -> bool | None:
        return non_default_test(test, self.defaults_off, self._known(here))

    def _value_of(self, expr: ast.expr | None, here: dict[str, object]) -> object:
        if type(expr) is ast.Constant and is_plain_literal(expr.value):
            return expr.value
        if type(expr) is ast.IfExp:
            taken = self._decided(expr.test, here)
            return _UNKNOWN if taken is None else self._value_of(expr.body if taken else expr.orelse, here)
        if expr is not None and type(expr) in (ast.BoolOp, ast.Compare, ast.UnaryOp):
            # `exists_cache = past_buckets_states is not None and len(past_buckets_states) > i`: a test the default
            # path decides (no cache passed) holds one bool there.
            decided = self._decided(expr, here)
            return _UNKNOWN if decided is None else decided
        if type(expr) is ast.Name and expr.id not in self.parameters:
            return here.get(expr.id, _UNKNOWN)
        if expr is not None and (type(expr) is ast.Attribute or getattr_with_default(expr) is not None):
            # `chunk_length = self.config.chunk_length`: an option of the configuration, None by default (also
            # `getattr(self, "s1", None)` for an attribute only an opt-in switch sets)
            key = option_key(expr)
            value = self.options.get(key, _UNKNOWN) if key is not None else _UNKNOWN
            return value if is_plain_literal(value) else _UNKNOWN
        if type(expr) is ast.Call:
            if (
                type(expr.func) is ast.Name
                and expr.func.id == "min"
                and not expr.keywords
                and any(self._value_of(a, here) == 0 and self._value_of(a, here) is not False for a in expr.args)
                and all(type(a) is not ast.Constant for a in expr.args if self._value_of(a, here) != 0)
            ):
                return 0  # `min(0, seq_len)`: counts and sizes are never negative
            if self.call_value is not None:
                return self.call_value(expr, self._known(here))
        return _UNKNOWN

    def _filled_in(self, targets: list[ast.expr], value: ast.expr) -> tuple[str, object] | None:
        """`(name, literal)` for `p = p if p is not None else <option>` (or `<option> if p is None else p`), where the
        parameter `p` defaults to None and the option's default is a literal (a flag of the configuration,
        `self.config.output_attentions`): on the default path `p` is not passed, so it holds the option's default.
        Once per parameter: a second binding makes it unknown as any other would."""
        if len(targets) != 1 or type(targets[0]) is not ast.Name or type(value) is not ast.IfExp:
            return None
        name = targets[0].id
        if name not in self.none_by_default or name in self.filled_in or name in self.values:
            return None
        single = type(value.test) is ast.Compare  # `p is not None`, not `p is not None and ...`
        if single and _is_name(value.body, name) and tested_not_none(value.test) == {name}:
            fallback = value.orelse
        elif single and _is_name(value.orelse, name) and list(tested_for_none(value.test)) == [name]:
            fallback = value.body
        else:
            return None
        key = option_key(fallback)
        default = self.options.get(key, _UNKNOWN) if key is not None else _UNKNOWN
        return (name, default) if type(default) is bool else None

    def _bind(self, target: ast.AST, value: object, here: dict[str, object], taken: bool, uncertain: bool) -> None:
        """Bind `target` to `value` (a literal, a tuple of them for an unpacking, or `_UNKNOWN`)."""
        if type(target) is ast.Name:
            if uncertain:
                self.unknown.add(target.id)
                here[target.id] = _UNKNOWN
            elif taken:
                name = target.id
                if value is _UNKNOWN or type(value) is tuple or (name in self.values and self.values[name] != value):
                    self.unknown.add(name)
                else:
                    self.values[name] = value
                if name not in self.parameters:  # a parameter keeps its option's default (`parameter_options`)
                    here[name] = _UNKNOWN if type(value) is tuple else value
            return
        if type(target) in (ast.Tuple, ast.List) and type(value) is tuple:
            elements = target.elts  # type: ignore[attr-defined]
            if len(elements) == len(value) and not any(type(e) is ast.Starred for e in elements):
                for element, item in zip(elements, value, strict=True):
                    self._bind(element, item, here, taken, uncertain)
                return
        self._forget(target, here)

    def _forget(self, target: ast.AST, here: dict[str, object]) -> None:
        for node in ast.walk(target):
            if type(node) is ast.Name:
                self.unknown.add(node.id)
                here[node.id] = _UNKNOWN

    def _visit(self, statements: list[ast.stmt], here: dict[str, object], taken: bool, uncertain: bool) -> None:
        for statement in statements:
            kind = type(statement)
            for node in ast.walk(statement.test if kind is ast.If or kind is ast.While else statement):  # type: ignore[attr-defined]
                if type(node) is ast.NamedExpr:
                    self._forget(node.target, here)
            if kind is ast.If:
                decided = self._decided(statement.test, here)  # type: ignore[attr-defined]
                body, orelse = dict(here), dict(here)
                self._visit(statement.body, body, taken and decided is not False, uncertain)  # type: ignore[attr-defined]
                self._visit(statement.orelse, orelse, taken and decided is not True, uncertain)  # type: ignore[attr-defined]
                # What holds after the `if`: the branch the default path takes, else both; not one that exits.
                possible = [
                    (branch, block)
                    for branch, block, can in (
                        (body, statement.body, decided is not False),  # type: ignore[attr-defined]
                        (orelse, statement.orelse, decided is not True),  # type: ignore[attr-defined]
                    )
                    if can
                ]
                branches = [branch for branch, block in possible if not (block and type(block[-1]) in _EXITS)]
                if not branches and all(type(block[-1]) is not ast.Raise for _, block in possible):
                    # After `if <true by default>: return` (or `continue`, `break`) the rest of the block is off the
                    # default path; not after a `raise`, which a default does not take (`optional_parameters`).
                    taken = False
                if len(branches) == 1:
                    here.update(branches[0])
                elif branches:
                    for name in body.keys() | orelse.keys():
                        here[name] = _joined([body.get(name, _UNKNOWN), orelse.get(name, _UNKNOWN)])
            elif kind is ast.Assign:
                targets = statement.targets  # type: ignore[attr-defined]
                filled = self._filled_in(targets, statement.value) if taken else None  # type: ignore[attr-defined]
                if filled is not None:
                    name, value = filled
                    self.filled_in.add(name)
                    self._bind(targets[0], value, here, taken, uncertain)
                    here[name] = value
                    continue
                value = self._value_of(statement.value, here) if taken else _UNKNOWN  # type: ignore[attr-defined]
                for target in targets:
                    self._bind(target, value, here, taken, uncertain)
            elif kind is ast.AnnAssign and type(statement.target) is ast.Name:  # type: ignore[attr-defined]
                if statement.value is not None:  # type: ignore[attr-defined]
                    value = self._value_of(statement.value, here) if taken else _UNKNOWN  # type: ignore[attr-defined]
                    self._bind(statement.target, value, here, taken, uncertain)  # type: ignore[attr-defined]
            elif kind in (ast.For, ast.AsyncFor, ast.While):
                # A loop may run any number of times: what it binds is unknown before, inside and after it.
                for node in ast.walk(statement):
                    if type(node) is ast.Name and type(node.ctx) is ast.Store:
                        here[node.id] = _UNKNOWN
                if kind is not ast.While:
                    self._forget(statement.target, here)  # type: ignore[attr-defined]
                self._visit(statement.body, here, taken, uncertain)  # type: ignore[attr-defined]
                self._visit(statement.orelse, here, taken, True)  # type: ignore[attr-defined]
            elif kind in (ast.With, ast.AsyncWith, ast.Try):
                for item in getattr(statement, "items", ()):
                    if item.optional_vars is not None:
                        self._forget(item.optional_vars, here)
                self._visit(statement.body, here, taken, uncertain)  # type: ignore[attr-defined]
                for handler in getattr(statement, "handlers", ()):
                    if handler.name:
                        self.unknown.add(handler.name)
                    self._visit(handler.body, here, taken, True)  # an exception may or may not happen
                self._visit(getattr(statement, "orelse", []), here, taken, True)
                self._visit(getattr(statement, "finalbody", []), here, taken, uncertain)
            elif kind is ast.AugAssign or kind is ast.AnnAssign:
                self._forget(statement.target, here)  # type: ignore[attr-defined]
            elif kind is ast.Return:
                if taken:
                    self.returns.append(self._returned(statement.value, here))  # type: ignore[attr-defined]
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                self.unknown.add(statement.name)  # type: ignore[attr-defined]
                here[statement.name] = _UNKNOWN  # type: ignore[attr-defined]
            elif kind is ast.Delete:
                # Unbound from here on: a read after it fails, so the bindings before it still tell its value.
                for node in ast.walk(statement):
                    if type(node) is ast.Name:
                        here[node.id] = _UNKNOWN
            elif kind in (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal):
                for node in ast.walk(statement):
                    if type(node) is ast.alias:
                        name = (node.asname or node.name).split(".")[0]
                        self.unknown.add(name)
                        here[name] = _UNKNOWN
                    elif type(node) is ast.Name:
                        self.unknown.add(node.id)
                        here[node.id] = _UNKNOWN
                if kind in (ast.Global, ast.Nonlocal):
                    self.unknown.update(statement.names)  # type: ignore[attr-defined]
                    here.update(dict.fromkeys(statement.names, _UNKNOWN))  # type: ignore[attr-defined]

    def _returned(self, value: ast.expr | None, here: dict[str, object]) -> object:
        if value is None:
            return None
        if type(value) is ast.Tuple and not any(type(e) is ast.Starred for e in value.elts):
            return tuple(self._value_of(element, here) for element in value.elts)
        return self._value_of(value, here)


_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _is_name(expr: ast.expr, name: str) -> bool:
    return type(expr) is ast.Name and expr.id == name


def _joined(values: list[object]) -> object:
    """The one literal all of `values` are, else `_UNKNOWN`."""
    first = values[0]
    if first is _UNKNOWN or type(first) is tuple:
        return _UNKNOWN
    for other in values[1:]:
        if other is _UNKNOWN or type(other) is not type(first) or other != first:
            return _UNKNOWN
    return first


def runs_no_iteration(iterable: ast.expr, options: Mapping[str, object]) -> bool:
    """Whether `for ... in <iterable>` runs zero times on the default path: a `range(...)` whose bounds are literals
    and options with a known integer default (`range(1, self.merger_times)` with `merger_times: int = 1`)."""
    if not (
        type(iterable) is ast.Call
        and type(iterable.func) is ast.Name
        and iterable.func.id == "range"
        and 1 <= len(iterable.args) <= 3
        and not iterable.keywords
    ):
        return False
    bounds = [_default_int(argument, options) for argument in iterable.args]
    if any(bound is None for bound in bounds) or (len(bounds) == 3 and bounds[2] == 0):
        return False
    return len(range(*bounds)) == 0  # type: ignore[arg-type]


def _default_int(expr: ast.expr, options: Mapping[str, object]) -> int | None:
    """An integer literal, an option with an integer default, or either plus or minus a literal."""
    if type(expr) is ast.Constant:
        return expr.value if type(expr.value) is int else None
    if type(expr) is ast.BinOp and type(expr.op) in (ast.Add, ast.Sub):
        left, right = _default_int(expr.left, options), _default_int(expr.right, options)
        if left is None or right is None:
            return None
        return left + right if type(expr.op) is ast.Add else left - right
    key = option_key(expr)
    value = options.get(key) if key is not None else None
    return value if type(value) is int else None


# Flags that let a model take inputs of other sizes (`interpolate_pos_encoding`, `dynamic_img_size`): the
# path an export with dynamic sizes has to take, whatever their default (a ViT at its pretrained size
# cannot take another one without them), so not a path taken only on request.
_SIZE_FLAG = re.compile(r"interpolat|dynamic|resiz|any_?res", re.IGNORECASE)


class _NotNone:
    """An option's default known only to be some object, not None (`nn.Parameter(...) if config.flag else None`
    with the flag on): `is None` is decided, its truth is not."""

    def __repr__(self) -> str:
        return "NOT_NONE"


NOT_NONE = _NotNone()


def option_key(expr: ast.AST) -> str | None:
    """The dotted text an option is known by: `side`, `config.x` (for `config.x` and `self.config.x`), `self.x` (also
    for `getattr(self, "x", default)`, an attribute read with a fallback)."""
    dotted = _dotted(getattr_with_default(expr) or expr)
    if dotted is None:
        return None
    return dotted[len("self.") :] if dotted.startswith("self.config.") else dotted


# What each comparison operator computes (`folding` adds `in` and `not in`).
COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def _compare_literal(default: object, op_type: type[ast.cmpop], right: ast.AST) -> bool | None:
    """`default <op> right` when `right` is a literal (or, for `in`, a tuple of literals); None when unknown."""
    if op_type in (ast.In, ast.NotIn):
        elements = right.elts if type(right) in (ast.Tuple, ast.List, ast.Set) else None  # type: ignore[attr-defined]
        if elements is None or not all(type(e) is ast.Constant for e in elements):
            return None
        found = any(default == e.value for e in elements)
        return found if op_type is ast.In else not found
    if type(right) is not ast.Constant or op_type not in COMPARISONS:
        return None
    value = right.value
    if default is NOT_NONE:  # only a comparison with None is decided
        if value is not None or op_type not in (ast.Is, ast.IsNot, ast.Eq, ast.NotEq):
            return None
        return op_type in (ast.IsNot, ast.NotEq)
    if op_type in (ast.Is, ast.IsNot) and not (value is None or type(value) is bool):
        return None
    try:
        return bool(COMPARISONS[op_type](default, value))
    except TypeError:  # `None > 1`
        return None


# A size named for the memory a computation takes (`memory_count`, `mem_gb`, `num_bytes`): CogVideoX's and KVAE's
# `SafeConv3d` split a convolution in time past 2 or 3 GB, which computes the same numbers.
_MEMORY_NAME = re.compile(r"^(?:\w+_)?(?:memory|mem|bytes)(?:_(?:count|size|gb|mb|usage|needed))?$", re.IGNORECASE)


def is_memory_name(expr: ast.AST) -> bool:
    """Whether a name or an attribute's last name says it measures memory (`memory_count`, `self.mem_gb`)."""
    name = expr.id if isinstance(expr, ast.Name) else expr.attr if isinstance(expr, ast.Attribute) else None
    return name is not None and _MEMORY_NAME.match(name) is not None


def past_a_memory_budget(test: ast.expr) -> bool:
    """`memory_count > 2`, `2 < mem_gb`: a size named for memory ordered above a literal budget, the test of a branch
    that splits a computation for memory."""
    if type(test) is not ast.Compare or len(test.ops) != 1:
        return False
    left, op, right = test.left, type(test.ops[0]), test.comparators[0]
    if op in (ast.Lt, ast.LtE):
        left, right, op = right, left, ast.Gt
    return op in (ast.Gt, ast.GtE) and is_memory_name(left) and type(right) is ast.Constant


def is_size_flag(name: str) -> bool:
    """A flag that lets a model take inputs of other sizes (`interpolate_pos_encoding`, `dynamic_img_size`)."""
    return _SIZE_FLAG.search(name) is not None


def parameters_with_string_defaults(function: ast.AST) -> dict[str, str]:
    """The parameters of `function` whose default is a string (`side="short"`, `mode="bilinear"`): options a caller
    sets when it wants another path."""
    return {
        argument.arg: default.value
        for argument, default in parameter_defaults(function)
        if type(default) is ast.Constant and type(default.value) is str
    }


# Parameters that carry the data a model runs on, even where they default to None (transformers' `input_ids=None`
# beside `inputs_embeds=None`, a VLM's `pixel_values=None`, an attention mask a tokenizer always returns): passing
# them is how a model is used, not a path taken on request. By name, as the convention of the libraries spells them.
_DATA_INPUT = re.compile(
    r"^(?:inputs?|x|(?:encoder_)?hidden_states\w*|pixel_values\w*|\w*_(?:values|features|embeds|embeddings|ids)"
    r"|inputs_embeds|\w*attention_mask)$"
)
# Inputs named for a modality (`image_grid_thw`, `image_sizes`, `image_text_alignment`): data given with the images
# (Qwen's grid sizes, which its vision tower requires), or an option of them (VisualBERT's alignments, RADIO's packed
# sizes). Which one, the file's calls say (`FileContext.given_with_the_data`).
MODALITY_INPUT = re.compile(r"^(?:image|video|audio|speech|text)\w*$")
# Images, video and audio, by their names: an input named for one of them but text (`MODALITY_INPUT`), or the usual
# names of the tensors they come in (`pixel_values_videos`, `input_features`, `input_values`).
MEDIA_INPUT = re.compile(r"^(?:(?:image|video|audio|speech)\w*|\w*pixel_values\w*|input_features|input_values)$")


def optional_parameters(
    function: ast.AST, main_input: bool = True, given_with_the_data: Collection[str] | None = None
) -> dict[str, None]:
    """The parameters of `function` that default to None and that the function does not bind again on its default
    path (a binding under `if <such an input> is not None:` is not on it), but the first (the main input) and the
    data inputs (`_DATA_INPUT`): optional inputs a caller passes when it wants that path (`mask=None`,
    `max_candidates=None`, `sampled_negative_indices=None`). One rebound on the default path (`if mask is None:
    mask = torch.ones(...)`) is a default filled in, not a path; one tested by an `if` that raises is required.
    `main_input`: the first parameter is the main input (a `forward`'s), not a constructor's. An input named for
    a modality (`MODALITY_INPUT`) is data when it is one of `given_with_the_data`, or when that is None (not
    known); so is any other input among `given_with_the_data` (one that comes with images, `FileContext.
    given_with_the_data`)."""
    arguments = getattr(function, "args", None)
    if arguments is None or type(function) is ast.Lambda:
        return {}
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    main = next((name for name in positional if name not in ("self", "cls")), None) if main_input else None
    found = {
        argument.arg: None
        for argument, default in parameter_defaults(function)
        if type(default) is ast.Constant
        and default.value is None
        and argument.arg != main
        and not _DATA_INPUT.match(argument.arg)
        and not (
            argument.arg in given_with_the_data
            if given_with_the_data is not None
            else MODALITY_INPUT.match(argument.arg)
        )
    }
    if found:
        # A binding made only where an optional input was given (VisualBERT's `image_text_alignment = mask *
        # image_text_alignment` under its own `is not None`, VISTA3D's `point_coords = ...` under `if labels is not
        # None:`) fills in no default; any other binding does. Fixpoint: a filled-in input's branch is the default's.
        bindings: list[ast.Name] = []
        given_branches: list[tuple[set[str], ast.If]] = []
        keeping = _bindings_keeping_the_input(function, found)
        for node in walk(function):
            if isinstance(node, ast.Name) and type(node.ctx) is not ast.Load and node.id in found:
                if id(node) not in keeping:
                    bindings.append(node)
            elif isinstance(node, ast.If):
                if node.body and type(node.body[-1]) is ast.Raise:
                    for name in tested_for_none(node.test):  # `if x is None: raise ...`: required after all
                        found.pop(name, None)
                tested = tested_not_none(node.test) & found.keys()
                if tested:
                    given_branches.append((tested, node))
        if bindings:
            given_for: dict[int, set[str]] = {id(node): set() for node in bindings}  # inputs whose branch holds it
            for tested, branch in given_branches:
                for statement in branch.body:
                    for inner in walk(statement):
                        if type(inner) is ast.Name and id(inner) in given_for:
                            given_for[id(inner)] |= tested
            while True:
                filled = {node.id for node in bindings if node.id in found and not given_for[id(node)] & found.keys()}
                if not filled:
                    break
                for name in filled:
                    del found[name]
    return found


def _bindings_keeping_the_input(function: ast.AST, names: Collection[str]) -> set[int]:
    """The targets of `name = source.get("key", name)` (timm's NaFlex `patch_coord = x.get("patch_coord",
    patch_coord)` for a dict input): the input itself unless another input carries it, no default filled in."""
    keeping: set[int] = set()
    for node in walk(function):
        if type(node) is not ast.Assign or len(node.targets) != 1 or type(node.targets[0]) is not ast.Name:
            continue
        target, value = node.targets[0], node.value
        if (
            target.id in names
            and type(value) is ast.Call
            and type(value.func) is ast.Attribute
            and value.func.attr == "get"
            and len(value.args) == 2
            and not value.keywords
            and type(value.args[1]) is ast.Name
            and value.args[1].id == target.id
        ):
            keeping.add(id(target))
    return keeping


def tested_not_none(test: ast.expr) -> set[str]:
    """The names `test` holds only when they are not None: `x is not None`, either side of an `and`."""
    tests = test.values if type(test) is ast.BoolOp and type(test.op) is ast.And else [test]
    return {
        value.left.id
        for value in tests
        if type(value) is ast.Compare
        and len(value.ops) == 1
        and type(value.ops[0]) is ast.IsNot
        and type(value.left) is ast.Name
        and type(value.comparators[0]) is ast.Constant
        and value.comparators[0].value is None
    }


def tested_for_none(test: ast.expr) -> Iterator[str]:
    """The names `test` is true for when they are None: `x is None`, `not x`, either side of an `or`."""
    if type(test) is ast.BoolOp and type(test.op) is ast.Or:
        for value in test.values:
            yield from tested_for_none(value)
    elif type(test) is ast.UnaryOp and type(test.op) is ast.Not and type(test.operand) is ast.Name:
        yield test.operand.id
    elif (
        type(test) is ast.Compare
        and len(test.ops) == 1
        and type(test.ops[0]) in (ast.Is, ast.Eq)
        and type(test.left) is ast.Name
        and type(test.comparators[0]) is ast.Constant
        and test.comparators[0].value is None
    ):
        yield test.left.id


def parameter_options(function: ast.AST, given_with_the_data: Collection[str] | None = None) -> dict[str, object]:
    """What the parameters of `function` that choose a path hold by default: the string options
    (`parameters_with_string_defaults`), the optional inputs (`optional_parameters`, None, given
    `given_with_the_data`) and the flags that default to True (`parameters_on_by_default`; those that default to
    False are `parameters_off_by_default`)."""
    options: dict[str, object] = dict(parameters_with_string_defaults(function))
    options.update(optional_parameters(function, given_with_the_data=given_with_the_data))
    options.update(dict.fromkeys(parameters_on_by_default(function), True))
    return options


def parameters_on_by_default(function: ast.AST) -> frozenset[str]:
    """The parameters of `function` whose default is `True` (`sub_pixel=True`, `normalize=True`): a caller turns
    them off when it wants the other path, so `if not sub_pixel:` and the `else` of `if sub_pixel:` are paths on
    request. Not the flags that enable other input sizes, nor a cache's (`use_cache=True`: whether a cache is
    passed decides that path)."""
    return frozenset(
        argument.arg
        for argument, default in parameter_defaults(function)
        if type(default) is ast.Constant
        and default.value is True
        and not _SIZE_FLAG.search(argument.arg)
        and "cache" not in argument.arg
    )


def parameters_off_by_default(function: ast.AST, size_flags: bool = False) -> frozenset[str]:
    """The parameters of `function` whose default is `False` (`do_sample=False`, `output_attentions=False`):
    what a caller turns on when it wants that path. Not the flags that enable other input sizes, unless
    `size_flags`."""
    found = {
        argument.arg
        for argument, default in parameter_defaults(function)
        if type(default) is ast.Constant and default.value is False
    }
    return frozenset(name for name in found if size_flags or not _SIZE_FLAG.search(name))
