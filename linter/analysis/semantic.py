"""A small semantic model of one Python module, built on Python's `ast`.

What rules need to know, computed lazily and cheaply (no libcst metadata providers):

* qualified names: `F.grid_sample`, `torch.nn.functional.grid_sample` and
  `from torch.nn.functional import grid_sample as gs; gs(...)` all resolve to
  `torch.nn.functional.grid_sample`, from a per-module import table;
* model code: the `forward` methods of the module's classes and every function or method of
  the same file they call, transitively (what `torch.export` and the TorchScript tracer run);
* tensor-ness: the `Kind` of an expression (tensor, shape, dimension, a Python value pulled out
  of tensor data, a submodule, ...), inferred from `forward`'s parameters, `torch.*` / `F.*`
  results, tensor methods, `self.<submodule>(...)` calls and assignments. Unknown stays
  UNKNOWN, and rules stay silent on UNKNOWN.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import cast

from onnxlint.analysis.reachability import TRAINING_FUNCTION
from onnxlint.analysis.traversal import iter_children, walk
from onnxlint.knowledge import torch_api
from onnxlint.knowledge.tensor_methods import TENSOR_MEMBERS


class Kind(enum.Enum):
    TENSOR = "tensor"
    OPTIONAL_TENSOR = "optional-tensor"  # a tensor or None (`mask=None` parameters)
    TENSOR_SEQUENCE = "tensor-sequence"  # a fixed-length tuple/list of tensors (split, chunk, topk...)
    SHAPE = "shape"  # torch.Size or a tuple of dims from a shape
    DIM = "dim"  # a size taken from a shape: a Python int in eager mode, symbolic under export
    DATA = "data"  # a Python value read out of tensor data (.item(), .tolist(), int(t), bool(t))
    PYTHON = "python"  # a plain Python value that does not depend on tensors
    NONE = "none"
    MODULE = "module"  # an nn.Module (or another callable that returns tensors)
    UNKNOWN = "unknown"

    @property
    def is_tensor(self) -> bool:
        return self is Kind.TENSOR


def join(a: Kind | None, b: Kind | None) -> Kind | None:
    """The kind of a name bound to values of kinds `a` and `b` (None: not bound yet)."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    pair = {a, b}
    if pair <= {Kind.TENSOR, Kind.OPTIONAL_TENSOR, Kind.NONE}:
        return Kind.OPTIONAL_TENSOR
    if pair == {Kind.PYTHON, Kind.NONE}:
        return Kind.PYTHON
    return Kind.UNKNOWN


def _join_envs(a: dict[str, Kind | None] | None, b: dict[str, Kind | None] | None) -> dict[str, Kind | None] | None:
    """The kinds of names where two paths meet (None: a path that does not get there)."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    result = dict(a)
    for name, kind in b.items():
        before = result.get(name)
        if before is not kind:
            result[name] = join(before, kind)
    return result


_TENSORISH = frozenset({Kind.TENSOR, Kind.OPTIONAL_TENSOR})
# How often a table computed from partial reads (a call cycle) is computed again once nothing is being computed: a
# refresh can itself read a callee that is stale in turn (Reformer's forward, its bucket helper and `_stable_argsort`).
_MAX_REFRESHES = 3
# Kinds a helper's parameter may take from an assumed `forward` parameter its callers pass on.
_ASSUMABLE = frozenset({Kind.TENSOR, Kind.OPTIONAL_TENSOR, Kind.TENSOR_SEQUENCE, Kind.DATA})
# What rebinding an assumed-tensor parameter to leaves the assumption standing (`x = x.view(...)`, `x = None`,
# `sizes = sizes.tolist()`: a value read out of it says it was a tensor).
_ASSUMED_COMPATIBLE = frozenset({Kind.TENSOR, Kind.OPTIONAL_TENSOR, Kind.NONE, Kind.DATA, Kind.UNKNOWN})
# Classes whose code an exported model does not run: losses, metrics, schedulers, samplers, data sets and
# transforms, optimisers, training-time target matchers. By the class's name or a base class's name
# (`class DiceLoss(_Loss)`, `class DDIMScheduler(SchedulerMixin, ConfigMixin)`).
_NON_INFERENCE_CLASS = re.compile(
    r"(?:Loss|Losses|Criterion|Metric|Metrics|Scheduler|SchedulerMixin|Sampler|Dataset|DataLoader|Optimizer"
    r"|Trainer|Callback|Evaluator|Matcher|Assigner|DiffusionPipeline|PipelineMixin)$"
    r"|Augment"  # AutoAugment, RandAugment, TrivialAugmentWide, AugmentationBase2D
)
# Base classes of data transforms (monai's `Transform`, `MapTransform`, `RandomizableTransform`). By base
# only: a model's own `DistanceTransform(nn.Module)` or `SpatialTransform` layer is model code.
_NON_INFERENCE_BASE = re.compile(r"(?:Transform|Transformd)$")
# Functions that compute a loss, a metric or training supervision (`compute_loss`, `dice_loss`, `sigmoid_focal_loss`,
# `metric_fn`, `compute_supervision_coarse`): one pattern with the runner's on-request pre-pass.
_NON_INFERENCE_FUNCTION = TRAINING_FUNCTION
# transformers' heads that train a model's pretraining objective (`PatchTSMixerForPretraining`, `BertForPreTraining`).
_PRETRAINING_HEAD = re.compile(r"For[Pp]re[Tt]raining$")


def is_pretraining_head(class_name: str) -> bool:
    """A class that trains a model's pretraining objective (`PatchTSMixerForPretraining`): what it builds with another
    option than the default (masking on) is that objective's model, not the one an export of the model takes."""
    return _PRETRAINING_HEAD.search(class_name) is not None


_NN_CONTAINERS = frozenset({"torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict"})
_ASSIGNMENTS_AND_CALLS = frozenset({ast.Assign, ast.AnnAssign, ast.Call})


# -- imports ------------------------------------------------------------------------------------


def _is_record(node: ast.ClassDef) -> bool:
    """A data record: a `@dataclass` (diffusers' `DDIMSchedulerOutput`) or a `...Output` class."""
    if node.name.endswith("Output"):
        return True
    for decorator in node.decorator_list:
        target = decorator.func if type(decorator) is ast.Call else decorator
        name = target.attr if type(target) is ast.Attribute else target.id if type(target) is ast.Name else ""
        if name == "dataclass":
            return True
    return False


def _self_attribute_name(expr: ast.expr) -> bool:
    """`self.layers`: an attribute of the module itself."""
    return type(expr) is ast.Attribute and type(expr.value) is ast.Name and expr.value.id == "self"


def import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(local name, qualified name) pairs that an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                head = alias.name.split(".", 1)[0]
                yield head, head
        return
    module = ("." * node.level) + (node.module or "")
    for alias in node.names:
        if alias.name == "*":
            continue
        yield alias.asname or alias.name, f"{module}.{alias.name}" if module else alias.name


# -- module index -------------------------------------------------------------------------------


@dataclass(eq=False)
class ClassInfo:
    node: ast.ClassDef
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    _attribute_kinds: dict[str, Kind] | None = None


@dataclass(eq=False)
class FunctionInfo:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    owner: ClassInfo | None  # the class whose body defines it (a method), else None
    parent: FunctionInfo | None  # the enclosing function, for nested functions
    _scope: FunctionScope | None = None
    _return_kind: Kind | None = None
    _return_in_progress: bool = False
    _returned_tuple: tuple[Kind, ...] | None = None  # see FunctionScope.returned_tuple_kinds; () when not a tuple

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<lambda>")

    @property
    def is_method(self) -> bool:
        return self.owner is not None


class ModuleModel:
    """The semantic model of one module. Build it once per file; everything is lazy."""

    def __init__(self, tree: ast.Module, model_code_in: Collection[ast.stmt] | None = None) -> None:
        """`model_code_in`: when given, model code is searched from the `forward` methods of these
        top-level statements only (the engine's incremental re-lint walks only some statements, and
        reachability never leaves the statements that call, or inherit from, one another)."""
        self.tree = tree
        self.imports: dict[str, str] = {}
        self.classes: dict[str, ClassInfo] = {}  # by name (last definition wins)
        self.functions: dict[str, FunctionInfo] = {}  # module-level functions by name
        self._function_infos: dict[int, FunctionInfo] = {}
        self._class_infos: dict[int, ClassInfo] = {}
        self._model_functions: set[int] | None = None
        # callee node id -> [(caller, call)], for calls made by model code (filled with reachability)
        self._call_sites: dict[int, list[tuple[FunctionInfo, ast.Call]]] = {}
        self._module_calls: dict[str, list[ast.Call]] | None = None  # class name -> see module_call_sites
        self._submodules: dict[str, dict[str, str]] | None = None  # see _submodule_classes
        self._calls_by_name: dict[str, list[ast.Call]] | None = None  # see calls_by_name
        self._literal_keywords: dict[str, list[object]] = {}  # see literal_keywords, filled by the same walk
        self._in_pretraining_heads: frozenset[int] | None = None  # see in_pretraining_heads
        self._assignments_and_calls: dict[int, list[ast.AST]] = {}
        self._qualified: dict[int, tuple[ast.AST, FunctionScope | None, str | None]] = {}
        # Bumped whenever a lazily computed kind result (names of a scope, a return kind, attribute
        # kinds) is stored: a computation that saw no bump saw no state change (_compute_names).
        self.generation = 0
        # A function's return kind read while its own names were being computed (a call cycle through
        # call-site parameter kinds): scopes computed meanwhile are recomputed once all are done.
        self.partial_reads = 0
        self.computing_depth = 0
        self._tables_computed = False  # see _compute_tables
        self._non_inference_module: bool | None = None
        self._module_forward: bool | None = None  # see defines_module_forward
        self._referenced: set[int] | None = None  # see referenced_from_model_code
        self._roots_in: set[int] | None = None  # ids of the top-level statements model code is searched from
        self._top_level_of: dict[int, int] = {}  # function node id -> id of its top-level statement
        if model_code_in is not None:
            self._roots_in = {id(statement) for statement in model_code_in}
            for statement in tree.body:
                self._index([statement], owner=None, parent=None, top_level=True, top=id(statement))
        else:
            self._index(tree.body, owner=None, parent=None, top_level=True)

    # statement-level pre-pass: classes, functions, module and class-level imports
    def _index(
        self,
        body: list[ast.stmt],
        owner: ClassInfo | None,
        parent: FunctionInfo | None,
        top_level: bool,
        top: int | None = None,
    ) -> None:
        for statement in body:
            kind = type(statement)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                function = cast("ast.FunctionDef | ast.AsyncFunctionDef", statement)
                info = FunctionInfo(function, owner, parent)
                self._function_infos[id(statement)] = info
                if top is not None:
                    self._top_level_of[id(statement)] = top
                if owner is not None:
                    owner.methods[function.name] = function
                elif top_level:
                    self.functions[function.name] = info
                self._index(function.body, owner=None, parent=info, top_level=False, top=top)
            elif kind is ast.ClassDef:
                class_def = cast(ast.ClassDef, statement)
                class_info = ClassInfo(class_def)
                self._class_infos[id(statement)] = class_info
                self.classes[class_def.name] = class_info
                self._index(class_def.body, owner=class_info, parent=parent, top_level=False, top=top)
            elif kind is ast.Import or kind is ast.ImportFrom:
                if parent is None:
                    for local, qualified in import_bindings(cast("ast.Import | ast.ImportFrom", statement)):
                        self.imports[local] = qualified
            elif kind in (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor):
                for block in ("body", "orelse", "finalbody"):
                    self._index(getattr(statement, block, None) or [], owner, parent, top_level, top)
                for handler in getattr(statement, "handlers", None) or []:
                    self._index(handler.body, owner, parent, top_level, top)
            elif sys_version_has_try_star and kind is ast.TryStar:  # type: ignore[attr-defined]  # pragma: no cover - 3.11+
                for block in ("body", "orelse", "finalbody"):
                    self._index(getattr(statement, block), owner, parent, top_level, top)
                for handler in statement.handlers:  # type: ignore[attr-defined]
                    self._index(handler.body, owner, parent, top_level, top)

    def function_info(self, node: ast.AST) -> FunctionInfo | None:
        return self._function_infos.get(id(node))

    def definitions(self) -> Iterable[FunctionInfo]:
        """Every function and method of the file (nested ones too; lambdas once something asked for them)."""
        return self._function_infos.values()

    def lambda_info(self, node: ast.Lambda, parent: FunctionInfo | None) -> FunctionInfo:
        info = self._function_infos.get(id(node))
        if info is None:
            info = FunctionInfo(node, None, parent)
            self._function_infos[id(node)] = info
        return info

    def class_info(self, node: ast.AST) -> ClassInfo | None:
        return self._class_infos.get(id(node))

    # -- qualified names -----------------------------------------------------------------------

    def qualified_name(self, expr: ast.AST, scope: FunctionScope | None = None) -> str | None:
        """The dotted qualified name an expression refers to, or None (not an import-based name)."""
        # Every rule with a `visit_Call` asks for the name of every call: resolve each (expression,
        # scope) once. The entry holds the expression itself, so a temporary node's id reused by
        # another node can never hit (and imports, local names and scope chains do not change).
        hit = self._qualified.get(id(expr))
        if hit is not None and hit[0] is expr and hit[1] is scope:
            return hit[2]
        name = self._resolve_qualified_name(expr, scope)
        self._qualified[id(expr)] = (expr, scope, name)
        return name

    def _resolve_qualified_name(self, expr: ast.AST, scope: FunctionScope | None) -> str | None:
        parts: list[str] = []
        while type(expr) is ast.Attribute:
            parts.append(expr.attr)
            expr = expr.value
        if type(expr) is not ast.Name:
            return None
        head = expr.id
        base = scope.imported(head) if scope is not None else None
        if base is None:
            if scope is not None and scope.binds_locally(head):
                return None
            base = self.imports.get(head)
        if base is None:
            if head in torch_api.BUILTIN_NAMES and not parts and head not in self.functions:
                return f"builtins.{head}"
            return None
        if parts:
            parts.reverse()
            base = base + "." + ".".join(parts)
        return torch_api.QUALIFIED_NAME_ALIASES.get(base, base)

    def imports_module(self, module: str) -> bool:
        prefix = module + "."
        return any(q == module or q.startswith(prefix) for q in self.imports.values())

    def local_alias_for(self, qualified: str) -> str | None:
        """How this module spells `qualified` (e.g. 'torch' → 'torch' or 'th'), if imported."""
        for local, bound in self.imports.items():
            if bound == qualified:
                return local
        for local, bound in self.imports.items():
            if qualified.startswith(bound + "."):
                return local + qualified[len(bound) :]
        return None

    # -- model code ----------------------------------------------------------------------------

    def is_model_function(self, info: FunctionInfo | None) -> bool:
        """True inside `forward` or any function of this file that a `forward` calls (transitively)."""
        while info is not None:
            if id(info.node) in self.model_functions():
                return True
            info = info.parent  # nested functions and lambdas of model code are model code
        return False

    def is_non_inference_class(self, info: ClassInfo) -> bool:
        """Whether the class is a loss, metric, scheduler, sampler, data set, transform, ... (by its name
        or a base class's): code an exported model does not run."""
        if _NON_INFERENCE_CLASS.search(info.node.name):
            return True
        for base in info.node.bases:
            name = base.attr if type(base) is ast.Attribute else base.id if type(base) is ast.Name else None
            if name and (_NON_INFERENCE_CLASS.search(name) or _NON_INFERENCE_BASE.search(name)):
                return True
        return False

    def is_non_inference(self, info: FunctionInfo | None) -> bool:
        """Whether code in `info` runs only outside an exported model: a method of a non-inference class,
        or a loss or metric function that no `forward` of the file calls."""
        outermost = None
        while info is not None:
            if info.owner is not None and self.is_non_inference_class(info.owner):
                return True
            outermost = info
            info = info.parent
        if outermost is None or id(outermost.node) in self.model_functions():
            return False
        return _NON_INFERENCE_FUNCTION.search(outermost.name) is not None or self._only_non_inference_classes()

    def _only_non_inference_classes(self) -> bool:
        """A module whose classes are all losses, schedulers, transforms, ... (a scheduler's or a data
        transform's module): its module-level functions are their helpers, not model code."""
        if self._non_inference_module is None:
            # Records do not count either way: a scheduler's module also defines its `...Output` dataclass.
            classes = [c for c in self._class_infos.values() if not _is_record(c.node)]
            self._non_inference_module = bool(classes) and all(self.is_non_inference_class(c) for c in classes)
        return self._non_inference_module

    def model_functions(self) -> set[int]:
        # Not a kind result: which functions are model code follows from the syntax alone, whenever it
        # is asked, so computing it bumps no `generation` (kind results computed before and after agree).
        if self._model_functions is None:
            self._model_functions = self._reachable_from_forward()
        return self._model_functions

    def defines_module_forward(self) -> bool:
        """Whether the file defines a `forward` of a class that is not a `torch.autograd.Function`."""
        if self._module_forward is None:
            self._module_forward = False
            for class_info in self.classes.values():
                if "forward" not in class_info.methods:
                    continue
                bases = [self.qualified_name(base) or ast.unparse(base) for base in class_info.node.bases]
                if not any(base.rsplit(".", 1)[-1] == "Function" for base in bases):
                    self._module_forward = True
                    break
        return self._module_forward

    def referenced_from_model_code(self) -> set[int]:
        """The node ids of the module-level functions that model code refers to by name without calling
        them directly (`blur = _grayscale if c == 1 else _color; blur(x)`, dispatch dicts), transitively.
        Computed once, from the functions (and the lambdas met so far) that are model code."""
        if self._referenced is None:
            functions = self.functions
            model_functions = self.model_functions()
            seen: set[int] = set()
            stack = [info.node for info in self._function_infos.values() if id(info.node) in model_functions]
            while stack:
                for node in ast.walk(stack.pop()):
                    if type(node) is ast.Name and type(node.ctx) is ast.Load and node.id in functions:
                        target = functions[node.id].node
                        if id(target) not in seen:
                            seen.add(id(target))
                            stack.append(target)
            self._referenced = seen
        return self._referenced

    def _reachable_from_forward(self) -> set[int]:
        roots = [
            info
            for info in self._function_infos.values()
            if info.owner is not None
            and (info.name == "forward" or (is_attention_processor_call(info) and self._default_processor(info.owner)))
            and not self.is_non_inference_class(info.owner)
            and (self._roots_in is None or self._top_level_of.get(id(info.node)) in self._roots_in)
        ]
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            info = stack.pop()
            if id(info.node) in seen:
                continue
            seen.add(id(info.node))
            for node in self.assignments_and_calls(info.node):
                if type(node) is not ast.Call:
                    continue
                callee = self.resolve_local_call(node, info)
                if callee is None:
                    continue
                self._call_sites.setdefault(id(callee.node), []).append((info, node))
                if id(callee.node) not in seen:
                    stack.append(callee)
        return seen

    def _default_processor(self, owner: ClassInfo) -> bool:
        """Whether an attention processor class may be what its attention module runs by default: not a
        training one, and not one this file builds only outside `__init__` (`set_attention_slice`,
        `set_use_xla_flash_attention`: switched on by request)."""
        name = owner.node.name
        if "Training" in name:
            return False
        built_in_init = built_elsewhere = False
        for info in self._function_infos.values():
            if info.owner is None or type(info.node) is ast.Lambda:
                continue
            for node in self.assignments_and_calls(info.node):
                if type(node) is ast.Call and type(node.func) is ast.Name and node.func.id == name:
                    if info.name == "__init__":
                        built_in_init = True
                    else:
                        built_elsewhere = True
        return built_in_init or not built_elsewhere

    def assignments_and_calls(self, node: ast.AST) -> list[ast.AST]:
        """The Assign, AnnAssign and Call nodes under `node`, in `ast.walk` order (computed once per node:
        reachability and attribute kinds both scan functions, and a base class's methods are scanned
        for every subclass)."""
        found = self._assignments_and_calls.get(id(node))
        if found is None:
            found = [n for n in walk(node) if type(n) in _ASSIGNMENTS_AND_CALLS]
            self._assignments_and_calls[id(node)] = found
        return found

    def call_sites(self, callee: FunctionInfo) -> list[tuple[FunctionInfo, ast.Call]]:
        """The calls that model code makes to `callee` (nested functions included in their parent)."""
        self.model_functions()
        return self._call_sites.get(id(callee.node), [])

    def call_site_arguments(self, callee: FunctionInfo) -> Iterator[tuple[FunctionInfo, str, ast.expr]]:
        """(caller, parameter name, argument) for each argument that model code passes to `callee` by position (up to
        a `*args`) or keyword; calls from `callee` itself (recursion) are left out."""
        if type(callee.node) is ast.Lambda or not self.is_model_function(callee):
            return
        arguments = callee.node.args
        names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        if callee.owner is not None and names and names[0] in ("self", "cls"):
            names = names[1:]
        for caller, call in self.call_sites(callee):
            if caller is callee:
                continue
            for position, argument in enumerate(call.args):
                if type(argument) is ast.Starred:
                    break
                if position < len(names):
                    yield caller, names[position], argument
            for keyword in call.keywords:
                if keyword.arg is not None:
                    yield caller, keyword.arg, keyword.value

    def resolve_local_call(self, call: ast.Call, caller: FunctionInfo | None) -> FunctionInfo | None:
        """The function of this file that `call` invokes: `self.method(...)` or `helper(...)`."""
        func = call.func
        if type(func) is ast.Name:
            target = self.functions.get(func.id)
            return target
        if (
            type(func) is ast.Attribute
            and type(func.value) is ast.Name
            and func.value.id == "self"
            and caller is not None
        ):
            owner = self.owner_class(caller)
            if owner is not None:
                method = self.find_method(owner, func.attr)
                if method is not None:
                    return self._function_infos.get(id(method))
        return None

    def submodule_forward(self, call: ast.Call, caller: FunctionInfo | None) -> FunctionInfo | None:
        """The `forward` of the submodule a call `self.<attribute>(...)` runs, when the caller's class builds that
        attribute from a class of this file (`self.patch_embeddings = PatchEmbeddings(config)`)."""
        func = call.func
        if not (type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self"):
            return None
        owner = self.owner_class(caller)
        if owner is None:
            return None
        built = self._submodule_classes().get(owner.node.name, {}).get(func.attr)
        forward = self.find_method(self.classes[built], "forward") if built is not None else None
        return self._function_infos.get(id(forward)) if forward is not None else None

    def _submodule_classes(self) -> dict[str, dict[str, str]]:
        """Class name -> {attribute: class name} for the attributes its constructor sets to an instance of a class of
        this file (one class per attribute; an attribute set to two classes is left out)."""
        if self._submodules is None:
            self._submodules = {}
            for class_info in self.classes.values():
                init = class_info.methods.get("__init__")
                attributes: dict[str, str | None] = {}
                nodes = self.assignments_and_calls(init) if init is not None else []
                aliases = self._class_aliases(nodes)
                for node in nodes:
                    if type(node) is ast.Assign and type(node.value) is ast.Call and type(node.value.func) is ast.Name:
                        class_name = aliases.get(node.value.func.id, node.value.func.id)
                        if class_name not in self.classes:
                            continue
                        for target in node.targets:
                            if (
                                type(target) is ast.Attribute
                                and type(target.value) is ast.Name
                                and target.value.id == "self"
                            ):
                                previous = attributes.get(target.attr, class_name)
                                attributes[target.attr] = class_name if previous == class_name else None
                built = {name: value for name, value in attributes.items() if value is not None}
                if built:
                    self._submodules[class_info.node.name] = built
        return self._submodules

    def _class_aliases(self, nodes: list[ast.AST]) -> dict[str, str]:
        """Local names a constructor binds once to a class of this file, directly or as an item of a list of
        classes it binds once (torchvision's GoogLeNet: `blocks = [BasicConv2d, Inception, InceptionAux]` where
        `blocks` is None, then `inception_aux_block = blocks[2]`)."""
        bound: dict[str, list[ast.expr]] = {}
        for node in nodes:
            if type(node) is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
                bound.setdefault(node.targets[0].id, []).append(node.value)
        aliases: dict[str, str] = {}
        for name, values in bound.items():
            if len(values) != 1:
                continue
            value = values[0]
            if type(value) is ast.Subscript and type(value.value) is ast.Name and type(value.slice) is ast.Constant:
                items = bound.get(value.value.id, [])
                index = value.slice.value
                if len(items) == 1 and type(items[0]) in (ast.List, ast.Tuple) and type(index) is int:
                    elements = items[0].elts  # type: ignore[attr-defined]
                    value = elements[index] if -len(elements) <= index < len(elements) else value
            if type(value) is ast.Name and value.id in self.classes:
                aliases[name] = value.id
        return aliases

    def module_call_sites(self, owner: ClassInfo) -> list[ast.Call]:
        """Calls `self.<attribute>(...)` in this file's modules whose constructor sets `self.<attribute> =
        <owner's class>(...)`: where the model runs that submodule (its `forward`)."""
        if self._module_calls is None:
            self._module_calls = {}
            built_by = self._submodule_classes()
            for class_info in self.classes.values():
                attributes = built_by.get(class_info.node.name)
                if not attributes:
                    continue
                for method in class_info.methods.values():
                    for node in self.assignments_and_calls(method):
                        if (
                            type(node) is ast.Call
                            and type(node.func) is ast.Attribute
                            and type(node.func.value) is ast.Name
                            and node.func.value.id == "self"
                            and node.func.attr in attributes
                        ):
                            self._module_calls.setdefault(attributes[node.func.attr], []).append(node)
        return self._module_calls.get(owner.node.name, [])

    def calls_by_name(self) -> Mapping[str, list[ast.Call]]:
        """Every call `name(...)` of the file, by the name called (`RotaryEmbedding(config)`, `dict(crop_scale=True)`):
        where its classes are built and what their constructors are passed. One walk, on first use."""
        if self._calls_by_name is None:
            calls: dict[str, list[ast.Call]] = {}
            literals = self._literal_keywords
            # What a pretraining head passes (`PatchTSMixerModel(config, mask_input=True)`) is not an option of the
            # model an export takes: its keywords are not counted (see `is_pretraining_head`).
            in_heads = self.in_pretraining_heads()
            for node in walk(self.tree):
                if isinstance(node, ast.Call) and type(node.func) is ast.Name:
                    calls.setdefault(node.func.id, []).append(node)
                elif (
                    isinstance(node, ast.keyword)
                    and node.arg is not None
                    and type(node.value) is ast.Constant
                    and id(node) not in in_heads
                ):
                    literals.setdefault(node.arg, []).append(node.value.value)
            self._calls_by_name = calls
        return self._calls_by_name

    def in_pretraining_heads(self) -> frozenset[int]:
        """The ids of the nodes inside the file's pretraining heads (`is_pretraining_head`): the builds and keywords
        of a pretraining objective, which do not say what options the exported model is built with. One walk of those
        classes, on first use."""
        if self._in_pretraining_heads is None:
            heads = [node for node in self.tree.body if type(node) is ast.ClassDef and is_pretraining_head(node.name)]
            self._in_pretraining_heads = frozenset(id(node) for head in heads for node in ast.walk(head))
        return self._in_pretraining_heads

    def literal_keywords(self) -> Mapping[str, list[object]]:
        """Every keyword the file passes a literal to (`crop_scale=True`, in any call or a `dict(...)`), with the
        values; collected by `calls_by_name`'s walk (one walk of the file for both)."""
        self.calls_by_name()
        return self._literal_keywords

    def instantiated_classes(self) -> frozenset[str]:
        """The names of this file's classes that its code calls (builds): submodules whose `forward` another
        module runs, with arguments this file passes."""
        return frozenset(name for name in self.calls_by_name() if name in self.classes)

    def owner_class(self, info: FunctionInfo | None) -> ClassInfo | None:
        while info is not None:
            if info.owner is not None:
                return info.owner
            info = info.parent
        return None

    def find_method(
        self, owner: ClassInfo, name: str, _depth: int = 0
    ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        method = owner.methods.get(name)
        if method is not None or _depth > 8:
            return method
        for base in owner.node.bases:
            if type(base) is ast.Name and base.id in self.classes and self.classes[base.id] is not owner:
                found = self.find_method(self.classes[base.id], name, _depth + 1)
                if found is not None:
                    return found
        return None

    # -- scopes --------------------------------------------------------------------------------

    def scope_for(self, info: FunctionInfo) -> FunctionScope:
        if not self._tables_computed and not self.computing_depth:
            self._compute_tables()
        if info._scope is None:
            info._scope = FunctionScope(self, info)
        return info._scope

    def _compute_tables(self) -> None:
        """Compute every function's table, in the file's order, then refresh those computed from a partial read (a
        call cycle), in the same order, before any is read. Computed lazily from whichever function a rule asks
        about first, a table inside a call cycle could depend on that order, and so could findings on which rules
        run (`benchmarks/rule_independence.py`); from here every rule reads the same tables."""
        self._tables_computed = True
        model_functions = self.model_functions()
        # Only functions in a call of model code, as caller or callee, are in a call cycle: the others' tables read no
        # other table's partial state, whenever they are computed.
        in_calls = set(self._call_sites)
        for sites in self._call_sites.values():
            in_calls.update(id(caller.node) for caller, _ in sites)
        scopes = [
            self.scope_for(info)
            for key, info in self._function_infos.items()
            if key in model_functions and key in in_calls
        ]
        for scope in scopes:
            if scope._names is None:
                scope._compute_names()
        for _ in range(_MAX_REFRESHES):
            stale = [scope for scope in scopes if scope._stale]
            if not stale:
                break
            for scope in stale:
                if scope._stale:
                    scope._refresh()

    def attribute_kind(self, owner: ClassInfo, name: str) -> Kind:
        """The kind of `self.<name>` from assignments in the class's methods."""
        if owner._attribute_kinds is None:
            owner._attribute_kinds = {}
            self._collect_attribute_kinds(owner, owner._attribute_kinds, depth=0)
            self.generation += 1
        return owner._attribute_kinds.get(name, Kind.UNKNOWN)

    def _collect_attribute_kinds(self, owner: ClassInfo, kinds: dict[str, Kind], depth: int) -> None:
        name_kinds = kinds
        for method in owner.methods.values():
            info = self._function_infos.get(id(method))
            if info is None:
                continue
            scope = self.scope_for(info)
            for node in self.assignments_and_calls(method):
                node_type = type(node)
                if node_type is ast.Assign or node_type is ast.AnnAssign:
                    targets = node.targets if node_type is ast.Assign else [node.target]  # type: ignore[attr-defined]
                    value = node.value  # type: ignore[attr-defined]
                    if value is None:
                        continue
                    for target in targets:
                        if (
                            type(target) is ast.Attribute
                            and type(target.value) is ast.Name
                            and target.value.id == "self"
                        ):
                            kind = self._attribute_value_kind(value, scope)
                            name_kinds[target.attr] = join(name_kinds.get(target.attr), kind) or Kind.UNKNOWN
                elif node_type is ast.Call:
                    func = node.func  # type: ignore[attr-defined]
                    if (
                        type(func) is ast.Attribute
                        and func.attr in ("register_buffer", "register_parameter")
                        and node.args  # type: ignore[attr-defined]
                        and type(node.args[0]) is ast.Constant  # type: ignore[attr-defined]
                        and isinstance(node.args[0].value, str)  # type: ignore[attr-defined]
                    ):
                        name = node.args[0].value  # type: ignore[attr-defined]
                        value_kind = Kind.TENSOR
                        if len(node.args) > 1 and type(node.args[1]) is ast.Constant and node.args[1].value is None:  # type: ignore[attr-defined]
                            value_kind = Kind.OPTIONAL_TENSOR
                        name_kinds[name] = join(name_kinds.get(name), value_kind) or Kind.UNKNOWN
                    elif type(func) is ast.Name and func.id == "setattr":  # dynamic names: give up on all
                        pass
        if depth < 8:
            for base in owner.node.bases:
                if type(base) is ast.Name and base.id in self.classes and self.classes[base.id] is not owner:
                    inherited: dict[str, Kind] = {}
                    self._collect_attribute_kinds(self.classes[base.id], inherited, depth + 1)
                    for key, value in inherited.items():
                        kinds.setdefault(key, value)

    def _attribute_value_kind(self, value: ast.expr, scope: FunctionScope) -> Kind:
        if type(value) is ast.Call:
            qualified = self.qualified_name(value.func, scope)
            if qualified in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
                return Kind.TENSOR
            kind = scope.kind(value)
            if kind in (
                Kind.TENSOR,
                Kind.OPTIONAL_TENSOR,
                Kind.TENSOR_SEQUENCE,
                Kind.PYTHON,
                Kind.SHAPE,
                Kind.DIM,
                Kind.DATA,
            ):
                return kind
            if (qualified or "").startswith("builtins."):
                return kind  # `tuple(i // 2 for i in sizes)`: a builtin never builds a module
            # A call whose result is stored on self and later called is, in model code, a submodule
            # or a factory's product (`norm_layer(dim)`, `create_conv2d(...)`).
            return Kind.MODULE
        return scope.kind(value)


sys_version_has_try_star = hasattr(ast, "TryStar")


# -- function scopes and kinds ------------------------------------------------------------------

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class FunctionScope:
    """Names bound in one function, and the kinds of expressions evaluated in it.

    Kinds of local names are flow-sensitive: one forward pass over the body (`_flow`) gives each
    use of a name the join of the bindings that can reach it (through if/else branches, loops,
    `try`, early `return` / `raise`, and `x is not None` / `isinstance` narrowing), and records it
    by node (`_at`). `names()` is the flow-insensitive join of every binding of each name, for
    uses the pass did not see (nested functions and lambdas reading an enclosing name).
    """

    # id(Name node) -> its kind at that point of the function; a class-level empty default for
    # scopes that never run the pass (the engine's comprehension scopes).
    _at: Mapping[int, Kind] = MappingProxyType({})
    _stale = False  # computed from a partial return kind: recompute when nothing is being computed
    _refreshes = 0  # times recomputed after a partial read (at most _MAX_REFRESHES)

    def __init__(self, model: ModuleModel, info: FunctionInfo, parent: FunctionScope | None = None) -> None:
        self.model = model
        self.info = info
        self.parent_scope = parent
        self._names: dict[str, Kind] | None = None
        self._local_imports: dict[str, str] = {}
        self._local_names: set[str] = set()
        self._memo: dict[int, Kind] = {}
        self._computing = False
        self._partial: dict[str, Kind | None] = {}
        self._bindings: list[tuple[ast.expr, str, ast.AST]] = []
        self._recording = True  # the pass records kinds (False while probing a loop body)
        self._joined: dict[str, Kind | None] = {}
        self._exits: list[list[dict[str, Kind | None]]] = []  # per enclosing loop: envs at break / continue
        self._declared: dict[str, Kind] = {}  # parameters annotated as tensors (or tensor or None)
        self._assumed: set[str] = set()  # unannotated `forward` parameters taken for tensors
        self._flags: frozenset[str] | None = None  # see is_assumed_flag
        self._rebound_non_tensor: set[str] = set()  # of those, the ones the function binds to something else
        self._collect()

    # -- bindings ------------------------------------------------------------------------------

    def _collect(self) -> None:
        node = self.info.node
        if type(node) is ast.Lambda:
            for argument in self._all_arguments(node.args):
                self._local_names.add(argument.arg)
            return
        for argument in self._all_arguments(node.args):
            self._local_names.add(argument.arg)
        self._collect_block(cast("list[ast.stmt]", node.body))  # a def's body (a lambda returned above)

    @staticmethod
    def _all_arguments(arguments: ast.arguments) -> list[ast.arg]:
        result = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        if arguments.vararg:
            result.append(arguments.vararg)
        if arguments.kwarg:
            result.append(arguments.kwarg)
        return result

    def _collect_block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            kind = type(statement)
            if kind is ast.Assign:
                for target in statement.targets:  # type: ignore[attr-defined]
                    self._add_binding(target, "value", statement.value)  # type: ignore[attr-defined]
            elif kind is ast.AnnAssign:
                if statement.value is not None:  # type: ignore[attr-defined]
                    self._add_binding(statement.target, "value", statement.value)  # type: ignore[attr-defined]
                else:
                    self._add_binding(statement.target, "annotation", statement.annotation)  # type: ignore[attr-defined]
            elif kind is ast.AugAssign:
                self._add_binding(statement.target, "augmented", statement)  # type: ignore[attr-defined]
            elif kind is ast.For or kind is ast.AsyncFor:
                self._add_binding(statement.target, "element", statement.iter)  # type: ignore[attr-defined]
                self._collect_block(statement.body)  # type: ignore[attr-defined]
                self._collect_block(statement.orelse)  # type: ignore[attr-defined]
            elif kind is ast.While or kind is ast.If:
                self._collect_block(statement.body)  # type: ignore[attr-defined]
                self._collect_block(statement.orelse)  # type: ignore[attr-defined]
            elif kind is ast.With or kind is ast.AsyncWith:
                for item in statement.items:  # type: ignore[attr-defined]
                    if item.optional_vars is not None:
                        self._add_binding(item.optional_vars, "unknown", item.context_expr)
                self._collect_block(statement.body)  # type: ignore[attr-defined]
            elif kind is ast.Try or (sys_version_has_try_star and kind is ast.TryStar):  # type: ignore[attr-defined]  # 3.11+
                self._collect_block(statement.body)  # type: ignore[attr-defined]
                for handler in statement.handlers:  # type: ignore[attr-defined]
                    if handler.name:
                        self._local_names.add(handler.name)
                        self._bindings.append((ast.Name(id=handler.name), "python", handler))
                    self._collect_block(handler.body)
                self._collect_block(statement.orelse)  # type: ignore[attr-defined]
                self._collect_block(statement.finalbody)  # type: ignore[attr-defined]
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
                self._local_names.add(statement.name)  # type: ignore[attr-defined]
                self._bindings.append((ast.Name(id=statement.name), "python", statement))  # type: ignore[attr-defined]
            elif kind is ast.Import or kind is ast.ImportFrom:
                for local, qualified in import_bindings(statement):  # type: ignore[arg-type]
                    self._local_imports[local] = qualified
            elif kind is ast.Match:  # pragma: no cover - rare in model code
                for case in statement.cases:  # type: ignore[attr-defined]
                    self._collect_block(case.body)

    def _add_binding(self, target: ast.expr, how: str, source: ast.AST) -> None:
        for name_node in _target_names(target):
            self._local_names.add(name_node.id)
        self._bindings.append((target, how, source))

    def assigned_values(self, name: str) -> list[ast.expr]:
        """The expressions plainly assigned to `name` in this function (`name = <expr>`)."""
        return [
            source  # type: ignore[misc]
            for target, how, source in self._bindings
            if how == "value" and type(target) is ast.Name and target.id == name
        ]

    def imported(self, name: str) -> str | None:
        scope: FunctionScope | None = self
        while scope is not None:
            if name in scope._local_imports:
                return scope._local_imports[name]
            scope = scope.parent_scope
        return None

    def binds_locally(self, name: str) -> bool:
        scope: FunctionScope | None = self
        while scope is not None:
            if name in scope._local_names:
                return True
            scope = scope.parent_scope
        return False

    # -- parameter kinds -----------------------------------------------------------------------

    def _parameter_kinds(self) -> dict[str, Kind]:
        node = self.info.node
        kinds: dict[str, Kind] = {}
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults)) + list(
            arguments.defaults
        )
        for argument in arguments.kwonlyargs:
            positional.append(argument)
        defaults.extend(arguments.kw_defaults)
        is_forward = self.info.owner is not None and (
            self.info.name == "forward" or is_attention_processor_call(self.info)
        )
        call_site_kinds = self._call_site_kinds() if not is_forward else {}
        not_tensors: frozenset[str] | None = None  # see _not_tensors_by_use, computed when first needed
        for index, (argument, default) in enumerate(zip(positional, defaults)):
            name = argument.arg
            if index == 0 and self.info.owner is not None and name in ("self", "cls"):
                kinds[name] = Kind.MODULE if name == "self" else Kind.PYTHON
                continue
            if index == 1 and is_forward and self.info.name == "__call__":
                kinds[name] = Kind.MODULE  # an attention processor's `attn`: the attention module it runs for
                continue
            kind = annotation_kind(argument.annotation, self.model)
            if kind is Kind.PYTHON and call_site_kinds.get(name) in (Kind.DIM, Kind.SHAPE):
                kind = call_site_kinds[name]  # `new_size: Tuple[int, int]` given `(H, W)` of a shape: sizes are ints
            if kind is None and argument.annotation is not None:
                kind = Kind.UNKNOWN  # annotated with something we do not recognise: not assumed a tensor
            if kind is None and argument.annotation is None and name.startswith(_FLAG_PREFIXES):
                kind = Kind.PYTHON  # `output_attentions=None`, `return_dict=None`: a flag, not an optional tensor
            if kind is None and default is not None:
                if type(default) is ast.Constant:
                    kind = Kind.OPTIONAL_TENSOR if default.value is None and is_forward else None
                    if kind is not None:
                        self._assumed.add(name)
                    if type(default) is ast.Constant and default.value is not None:
                        kind = Kind.PYTHON
                elif type(default) in (ast.Tuple, ast.List, ast.Dict):
                    kind = Kind.PYTHON
            if kind is None:
                if is_forward and not_tensors is None:
                    not_tensors = self._not_tensors_by_use()
                if is_forward and name not in not_tensors:  # type: ignore[operator]
                    kind = Kind.TENSOR
                    self._assumed.add(name)
                elif is_forward:
                    # `layout_cfg["total_frames"]`: a mapping; `zip(hidden_states, self.layers)`: one item per layer
                    kind = Kind.UNKNOWN
                else:
                    kind = call_site_kinds.get(name, Kind.UNKNOWN)
            kinds[name] = kind
        if arguments.vararg:
            kinds[arguments.vararg.arg] = Kind.UNKNOWN
        if arguments.kwarg:
            kinds[arguments.kwarg.arg] = Kind.UNKNOWN
        return kinds

    def _not_tensors_by_use(self) -> frozenset[str]:
        """The names the function subscripts with a string literal (`cfg["frames"]`): mappings, which no tensor is;
        and the names it zips with the module's own submodules (`zip(hidden_states, self.layers)`): a list with one
        item per layer, not a tensor."""
        found = set()
        for node in walk(self.info.node):
            if (
                type(node) is ast.Subscript
                and type(node.value) is ast.Name
                and type(node.slice) is ast.Constant
                and type(node.slice.value) is str
            ):
                found.add(node.value.id)
            elif (
                type(node) is ast.Call
                and type(node.func) is ast.Name
                and node.func.id == "zip"
                and any(_self_attribute_name(argument) for argument in node.args)
            ):
                found.update(argument.id for argument in node.args if type(argument) is ast.Name)
        return frozenset(found)

    def _call_site_kinds(self) -> dict[str, Kind]:
        """Join the kinds of the arguments that model code passes to this function."""
        model = self.model
        result: dict[str, Kind | None] = {}
        for caller, name, argument in model.call_site_arguments(self.info):
            caller_scope = model.scope_for(caller)
            if caller_scope._computing:
                # The caller's table is being built (a call cycle): what it passes is read from the bindings so far,
                # a partial read, so this table is computed again once nothing is being computed.
                model.partial_reads += 1
            result[name] = join(result.get(name), caller_scope.kind(argument))
        return {name: kind for name, kind in result.items() if kind is not None}

    # -- name kinds ----------------------------------------------------------------------------

    def names(self) -> dict[str, Kind]:
        if self._names is None:
            self._compute_names()
        while self._stale and not self.model.computing_depth:  # at most _MAX_REFRESHES times
            self._refresh()
        return self._names  # type: ignore[return-value]

    def _refresh(self) -> None:
        """Compute the table again: it was computed from a partial read (a call cycle). Stops being stale after
        `_MAX_REFRESHES` refreshes whatever they read."""
        self._stale = False
        self._refreshes += 1
        self._compute_names()

    def _compute_names(self) -> None:
        self._computing = True
        model = self.model
        reads = model.partial_reads
        model.computing_depth += 1
        try:
            if type(self.info.node) is ast.Lambda:
                self._names = {a.arg: Kind.UNKNOWN for a in self._all_arguments(self.info.node.args)}
                return
            parameters = self._parameter_kinds()
            for argument in self._all_arguments(self.info.node.args):
                declared = annotation_kind(argument.annotation, self.model)
                if declared is Kind.TENSOR or declared is Kind.OPTIONAL_TENSOR:
                    self._declared[argument.arg] = declared
            previous: tuple[dict[str, Kind | None], Mapping[int, Kind]] | None = None
            model = self.model
            for _ in range(4):
                self._memo.clear()
                generation = model.generation
                # Names read while the table is being built see the bindings that reach them so far.
                env: dict[str, Kind | None] = dict(parameters)
                self._partial = env
                self._joined = dict(parameters)
                self._at = {}
                self._recording = True
                self._exits = []
                self._rebound_non_tensor = set()
                self._flow(cast("list[ast.stmt]", self.info.node.body), env)
                # An unannotated `forward` parameter is only assumed a tensor: one the function also binds
                # to a non-tensor (`if n is None: n = self.config.n`) is not assumed one anywhere.
                demoted = [name for name in self._rebound_non_tensor if parameters.get(name) in _TENSORISH]
                if demoted:
                    for name in demoted:
                        parameters[name] = Kind.UNKNOWN
                    previous = None
                    continue
                current = (self._joined, self._at)
                if current == previous:
                    break
                previous = current
                if model.generation == generation:
                    # Each round starts from the parameters again, so it can only differ from the last one
                    # when some other lazy result was stored meanwhile; none was: this table is the fixpoint.
                    break
            if previous is None:
                previous = (self._joined, self._at)
            self._names = {name: (kind or Kind.UNKNOWN) for name, kind in previous[0].items()}
            self._at = previous[1]
            model.generation += 1
            self._memo.clear()
        finally:
            self._computing = False
            model.computing_depth -= 1
            self._stale = model.partial_reads != reads and self._refreshes < _MAX_REFRESHES

    # -- the forward pass ----------------------------------------------------------------------

    def _flow(self, body: list[ast.stmt], env: dict[str, Kind | None]) -> dict[str, Kind | None] | None:
        """Run `body` from `env` (changed in place); the env after it, or None when no path falls through."""
        for statement in body:
            self._partial = env
            kind = type(statement)
            if kind is ast.Assign:
                self._loads(statement.value, env)  # type: ignore[attr-defined]
                for target in statement.targets:  # type: ignore[attr-defined]
                    self._target_loads(target, env)
                for target in statement.targets:  # type: ignore[attr-defined]
                    self._assign(target, statement.value, env)  # type: ignore[attr-defined]
            elif kind is ast.AnnAssign:
                value = statement.value  # type: ignore[attr-defined]
                if value is not None:
                    self._loads(value, env)
                    self._assign(statement.target, value, env)  # type: ignore[attr-defined]
                elif type(statement.target) is ast.Name:  # type: ignore[attr-defined]
                    annotated = annotation_kind(statement.annotation, self.model)  # type: ignore[attr-defined]
                    self._store(statement.target, annotated or Kind.UNKNOWN, env)  # type: ignore[attr-defined]
            elif kind is ast.AugAssign:
                target = statement.target  # type: ignore[attr-defined]
                self._loads(statement.value, env)  # type: ignore[attr-defined]
                self._loads(target, env)
                if type(target) is ast.Name:
                    before = env.get(target.id) or Kind.UNKNOWN
                    combined = _binop_kind(before, self.kind(statement.value))  # type: ignore[attr-defined]
                    self._store(target, combined, env)
            elif kind is ast.For or kind is ast.AsyncFor:
                self._loads(statement.iter, env)  # type: ignore[attr-defined]
                out = self._loop(statement, env, statement.target, statement.iter)  # type: ignore[attr-defined]
                if out is None:
                    return None
                env = out
            elif kind is ast.While:
                self._loads(statement.test, env)  # type: ignore[attr-defined]
                out = self._loop(statement, env, None, None)
                if out is None:
                    return None
                env = out
            elif kind is ast.If:
                test = statement.test  # type: ignore[attr-defined]
                self._loads(test, env)
                when_true, when_false = self._narrowings(test, env)
                body_env = dict(env)
                body_env.update(when_true)
                else_env = dict(env)
                else_env.update(when_false)
                body_out = self._flow(statement.body, body_env)  # type: ignore[attr-defined]
                else_out = self._flow(statement.orelse, else_env)  # type: ignore[attr-defined]
                joined = _join_envs(body_out, else_out)
                if joined is None:
                    return None
                env = joined
            elif kind is ast.With or kind is ast.AsyncWith:
                for item in statement.items:  # type: ignore[attr-defined]
                    self._loads(item.context_expr, env)
                    if item.optional_vars is not None:
                        self._store_kind(item.optional_vars, Kind.UNKNOWN, env)
                out = self._flow(statement.body, env)  # type: ignore[attr-defined]
                if out is None:
                    return None
                env = out
            elif kind is ast.Try or (sys_version_has_try_star and kind is ast.TryStar):  # type: ignore[attr-defined]  # 3.11+
                entry_env = dict(env)
                body_out = self._flow(statement.body, env)  # type: ignore[attr-defined]
                handler_in = _join_envs(entry_env, body_out) or entry_env
                handler_outs: list[dict[str, Kind | None] | None] = []
                for handler in statement.handlers:  # type: ignore[attr-defined]
                    handler_env = dict(handler_in)
                    if handler.type is not None:
                        self._loads(handler.type, handler_env)
                    if handler.name:
                        handler_env[handler.name] = Kind.PYTHON
                        self._joined[handler.name] = join(self._joined.get(handler.name), Kind.PYTHON)
                    handler_outs.append(self._flow(handler.body, handler_env))
                else_out = self._flow(statement.orelse, body_out) if body_out is not None else None  # type: ignore[attr-defined]
                after = else_out
                for handler_out in handler_outs:
                    after = _join_envs(after, handler_out)
                final_in = after if after is not None else dict(handler_in)
                final_out = self._flow(statement.finalbody, final_in)  # type: ignore[attr-defined]
                if after is None or final_out is None:
                    return None
                env = final_out
            elif kind is ast.Return or kind is ast.Raise:
                for child in iter_children(statement):
                    self._loads(child, env)
                return None
            elif kind is ast.Break or kind is ast.Continue:
                if self._exits:
                    self._exits[-1].append(dict(env))
                return None
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
                name = statement.name  # type: ignore[attr-defined]
                env[name] = Kind.PYTHON
                self._joined[name] = join(self._joined.get(name), Kind.PYTHON)
            elif kind is ast.Match:  # pragma: no cover - rare in model code
                self._loads(statement.subject, env)  # type: ignore[attr-defined]
                result: dict[str, Kind | None] | None = dict(env)
                for case in statement.cases:  # type: ignore[attr-defined]
                    result = _join_envs(result, self._flow(case.body, dict(env)))
                if result is None:
                    return None
                env = result
            elif kind is ast.Import or kind is ast.ImportFrom or kind is ast.Global or kind is ast.Nonlocal:
                continue
            else:  # Expr, Assert, Delete, Pass, ...
                for child in iter_children(statement):
                    self._loads(child, env)
        return env

    def _loop(
        self, statement: ast.stmt, env: dict[str, Kind | None], target: ast.expr | None, iterable: ast.expr | None
    ) -> dict[str, Kind | None] | None:
        """A `for` or `while` loop: its body runs from the join of the env before it and the env at the
        end of an iteration (found by one probe of the body that records nothing), then the `else`."""
        body = statement.body  # type: ignore[attr-defined]
        head = env
        if self._recording:
            self._recording = False
            try:
                probe_env = dict(head)
                if target is not None and iterable is not None:
                    self._bind_loop_target(target, iterable, probe_env)
                self._exits.append([])
                probe_out = self._flow(body, probe_env)
                continues = self._exits.pop()
            finally:
                self._recording = True
                self._memo.clear()  # kinds evaluated from the probe's env
            head = _join_envs(head, probe_out) or head
            for exit_env in continues:
                head = _join_envs(head, exit_env) or head
            if type(statement) is ast.While:
                self._loads(statement.test, head)
        body_env = dict(head)
        if target is not None and iterable is not None:
            self._bind_loop_target(target, iterable, body_env)
        self._exits.append([])
        body_out = self._flow(body, body_env)
        exits = self._exits.pop()
        after = _join_envs(head, body_out) or dict(head)
        for exit_env in exits:
            after = _join_envs(after, exit_env) or after
        orelse = statement.orelse  # type: ignore[attr-defined]
        return self._flow(orelse, after) if orelse else after

    def _bind_loop_target(self, target: ast.expr, iterable: ast.expr, env: dict[str, Kind | None]) -> None:
        for name_node, kind in self.loop_target_kinds(target, iterable):
            self._store(name_node, kind, env)

    def _assign(self, target: ast.expr, value: ast.expr, env: dict[str, Kind | None]) -> None:
        for name_node, kind in self._destructure_nodes(target, value):
            self._store(name_node, kind, env)

    def _store_kind(self, target: ast.expr, kind: Kind, env: dict[str, Kind | None]) -> None:
        for name_node, element in self._destructure_kind_nodes(target, kind):
            self._store(name_node, element, env)

    def _store(self, node: ast.Name, kind: Kind, env: dict[str, Kind | None]) -> None:
        name = node.id
        if kind is Kind.UNKNOWN and name in self._declared:
            # A parameter annotated as a tensor, rebound to a value we cannot type: the annotation
            # still holds (a type checker holds the code to it), `x = self.embed()(ids)`.
            kind = self._declared[name]
        env[name] = kind
        if self._recording:
            if name in self._assumed and kind not in _ASSUMED_COMPATIBLE:
                self._rebound_non_tensor.add(name)
            self._joined[name] = join(self._joined.get(name), kind)
            self._at[id(node)] = kind  # type: ignore[index]

    def _target_loads(self, target: ast.expr, env: dict[str, Kind | None]) -> None:
        """The names a subscript or attribute target reads (`x[i] = v` reads `x` and `i`)."""
        target_type = type(target)
        if target_type is ast.Tuple or target_type is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._target_loads(element, env)
        elif target_type is ast.Starred:
            self._target_loads(target.value, env)  # type: ignore[attr-defined]
        elif target_type is not ast.Name:
            self._loads(target, env)

    def _loads(self, expr: ast.AST, env: dict[str, Kind | None]) -> None:
        """Record the kind of every name that `expr` reads (not inside lambdas; inside comprehensions,
        with their loop variables bound)."""
        if not self._recording:
            return
        at = self._at
        local = self._local_names
        stack = [expr]
        while stack:
            node = stack.pop()
            node_type = type(node)
            if node_type is ast.Name:
                name = node.id  # type: ignore[attr-defined]
                if name in env or name in local:
                    at[id(node)] = env.get(name) or Kind.UNKNOWN  # type: ignore[index]
            elif node_type in _COMPREHENSIONS:
                self._comprehension_loads(node, env)  # type: ignore[arg-type]
            elif node_type is not ast.Lambda and node_type is not ast.Constant:
                stack.extend(iter_children(node))

    def _comprehension_loads(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, env: dict[str, Kind | None]
    ) -> None:
        inner = dict(env)
        self._partial = inner
        for generator in node.generators:
            self._loads(generator.iter, inner)
            for name_node, kind in self.loop_target_kinds(generator.target, generator.iter):
                inner[name_node.id] = kind
                self._at[id(name_node)] = kind  # type: ignore[index]
            for condition in generator.ifs:
                self._loads(condition, inner)
        parts = (node.key, node.value) if type(node) is ast.DictComp else (node.elt,)  # type: ignore[union-attr]
        for part in parts:
            self._loads(part, inner)
        self._partial = env

    def _narrowings(self, test: ast.expr, env: Mapping[str, Kind | None]) -> tuple[dict[str, Kind], dict[str, Kind]]:
        """What a branch's test says of names, when it is true and when it is false: `x is not None`
        (a tensor-or-None is a tensor), `isinstance(x, torch.Tensor)`, their `not`, `and` and `or`."""
        test_type = type(test)
        if test_type is ast.Compare and len(test.ops) == 1:  # type: ignore[attr-defined]
            left = test.left  # type: ignore[attr-defined]
            right = test.comparators[0]  # type: ignore[attr-defined]
            operator = type(test.ops[0])  # type: ignore[attr-defined]
            if (
                type(left) is ast.Name
                and type(right) is ast.Constant
                and right.value is None
                and operator in (ast.Is, ast.IsNot)
                and env.get(left.id) is Kind.OPTIONAL_TENSOR
            ):
                present = {left.id: Kind.TENSOR}
                absent = {left.id: Kind.NONE}
                return (present, absent) if operator is ast.IsNot else (absent, present)
        elif test_type is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]
            when_true, when_false = self._narrowings(test.operand, env)  # type: ignore[attr-defined]
            return when_false, when_true
        elif test_type is ast.BoolOp:
            is_and = type(test.op) is ast.And  # type: ignore[attr-defined]
            merged: dict[str, Kind] = {}
            for value in test.values:  # type: ignore[attr-defined]
                when_true, when_false = self._narrowings(value, env)
                merged.update(when_true if is_and else when_false)
            return (merged, {}) if is_and else ({}, merged)
        elif test_type is ast.Call and len(test.args) == 2 and type(test.args[0]) is ast.Name:  # type: ignore[attr-defined]
            if self.model.qualified_name(test.func, self) == "builtins.isinstance":  # type: ignore[attr-defined]
                types = test.args[1]  # type: ignore[attr-defined]
                elements = types.elts if type(types) is ast.Tuple else [types]
                names = {self.model.qualified_name(t, self) for t in elements}
                subject = test.args[0].id  # type: ignore[attr-defined]
                if names and names <= {"torch.Tensor", "torch.nn.Parameter"}:
                    return {subject: Kind.TENSOR}, {}
                if names and all(n in _SCALAR_TYPES for n in names):
                    return {subject: Kind.PYTHON}, {}  # a Python number when true; whatever it was when false
                if names and all(n is not None and n.startswith("builtins.") for n in names):
                    return {subject: Kind.UNKNOWN}, {}  # a list or tuple when true; whatever it was when false
                if not names & {"torch.Tensor", "torch.nn.Parameter"}:
                    # `isinstance(encoder_outputs, BaseModelOutput)`: the code expects other classes than its
                    # annotation says, either way
                    return {subject: Kind.UNKNOWN}, {subject: Kind.UNKNOWN}
        return {}, {}

    def _bind(self, target: ast.expr, how: str, source: ast.AST) -> Iterator[tuple[str, Kind]]:
        if how == "value":
            yield from self._destructure(target, source)  # type: ignore[arg-type]
        elif how == "element":
            yield from self._destructure_kind(target, self.element_kind(source), source)
        elif how == "augmented":
            statement: ast.AugAssign = source  # type: ignore[assignment]
            combined = _binop_kind(self.kind(statement.target), self.kind(statement.value))
            yield from self._destructure_kind(target, combined, None)
        elif how == "annotation":
            kind = annotation_kind(source, self.model)  # type: ignore[arg-type]
            yield from self._destructure_kind(target, kind or Kind.UNKNOWN, None)
        elif how == "python":
            yield from self._destructure_kind(target, Kind.PYTHON, None)
        else:
            yield from self._destructure_kind(target, Kind.UNKNOWN, None)

    def _destructure_nodes(self, target: ast.expr, value: ast.expr) -> Iterator[tuple[ast.Name, Kind]]:
        """The names an assignment of `value` to `target` binds, with their kinds."""
        target_type = type(target)
        if target_type is ast.Name:
            yield target, self.kind(value)  # type: ignore[misc]
            return
        if (target_type is ast.Tuple or target_type is ast.List) and type(value) in (ast.Tuple, ast.List):
            elements = target.elts  # type: ignore[attr-defined]
            values = value.elts  # type: ignore[attr-defined]
            if len(elements) == len(values) and not any(type(e) is ast.Starred for e in elements):
                for element, element_value in zip(elements, values):
                    yield from self._destructure_nodes(element, element_value)
                return
        returned = self._unpacked_return(target, value)
        if returned is not None:
            for element, kind in zip(target.elts, returned):  # type: ignore[attr-defined]
                yield from self._destructure_kind_nodes(element, kind)
            return
        yield from self._destructure_kind_nodes(target, self.kind(value))

    def _destructure_kind_nodes(self, target: ast.expr, kind: Kind) -> Iterator[tuple[ast.Name, Kind]]:
        target_type = type(target)
        if target_type is ast.Name:
            yield target, kind  # type: ignore[misc]
        elif target_type is ast.Tuple or target_type is ast.List:
            element_kind = _element_of(kind)
            for element in target.elts:  # type: ignore[attr-defined]
                if type(element) is ast.Starred:
                    rest = {Kind.TENSOR: Kind.TENSOR_SEQUENCE, Kind.DIM: Kind.SHAPE}.get(element_kind, Kind.UNKNOWN)
                    yield from self._destructure_kind_nodes(element.value, rest)
                else:
                    yield from self._destructure_kind_nodes(element, element_kind)
        elif target_type is ast.Starred:
            yield from self._destructure_kind_nodes(target.value, kind)  # type: ignore[attr-defined]

    def loop_target_kinds(self, target: ast.expr, iterable: ast.AST) -> list[tuple[ast.Name, Kind]]:
        """The names a `for` target binds over `iterable`, with their kinds: `enumerate(x)` gives an int
        and an element of `x`, `zip(a, b)` an element of each (nested: `i, (a, b) in enumerate(zip(...))`),
        `range(...)` ints or sizes."""
        if type(iterable) is ast.Call and type(target) in (ast.Tuple, ast.List) and not iterable.keywords:
            elements = target.elts  # type: ignore[attr-defined]
            if not any(type(e) is ast.Starred for e in elements):
                qualified = self.model.qualified_name(iterable.func, self)
                arguments = iterable.args
                if qualified == "builtins.enumerate" and len(arguments) == 1 and len(elements) == 2:
                    return [
                        *self._destructure_kind_nodes(elements[0], Kind.PYTHON),
                        *self.loop_target_kinds(elements[1], arguments[0]),
                    ]
                if qualified == "builtins.zip" and len(arguments) == len(elements):
                    result: list[tuple[ast.Name, Kind]] = []
                    for element, argument in zip(elements, arguments):
                        result.extend(self.loop_target_kinds(element, argument))
                    return result
        return list(self._destructure_kind_nodes(target, self.element_kind(iterable)))

    def _destructure(self, target: ast.expr, value: ast.expr) -> Iterator[tuple[str, Kind]]:
        target_type = type(target)
        if (target_type is ast.Tuple or target_type is ast.List) and type(value) in (ast.Tuple, ast.List):
            elements = target.elts  # type: ignore[attr-defined]
            values = value.elts  # type: ignore[attr-defined]
            if len(elements) == len(values) and not any(type(e) is ast.Starred for e in elements):
                for element, element_value in zip(elements, values):
                    yield from self._destructure(element, element_value)
                return
        returned = self._unpacked_return(target, value)
        if returned is not None:
            for element, kind in zip(target.elts, returned):  # type: ignore[attr-defined]
                yield from self._destructure_kind(element, kind, None)
            return
        yield from self._destructure_kind(target, self.kind(value), value)

    def _unpacked_return(self, target: ast.expr, value: ast.expr) -> tuple[Kind, ...] | None:
        """The kinds, position by position, that a tuple target unpacks from a call of a function or submodule of
        this file whose every `return` is a tuple of that length (`embeddings, num_frames, width =
        self.patch_embeddings(x)`, whose `forward` returns `embeddings, num_frames, patch_width`: a tensor and two
        sizes, not three tensors); None otherwise."""
        if type(target) not in (ast.Tuple, ast.List) or type(value) is not ast.Call:
            return None
        elements = target.elts  # type: ignore[attr-defined]
        if any(type(e) is ast.Starred for e in elements):
            return None
        callee = self.model.resolve_local_call(value, self.info) or self.model.submodule_forward(value, self.info)
        if callee is None:
            return None
        kinds = self.returned_tuple_kinds(callee)
        return kinds if kinds and len(kinds) == len(elements) else None

    def _destructure_kind(self, target: ast.expr, kind: Kind, value: ast.AST | None) -> Iterator[tuple[str, Kind]]:
        target_type = type(target)
        if target_type is ast.Name:
            yield target.id, kind  # type: ignore[attr-defined]
        elif target_type is ast.Tuple or target_type is ast.List:
            element_kind = _element_of(kind)
            for element in target.elts:  # type: ignore[attr-defined]
                if type(element) is ast.Starred:
                    rest = {Kind.TENSOR: Kind.TENSOR_SEQUENCE, Kind.DIM: Kind.SHAPE}.get(element_kind, Kind.UNKNOWN)
                    yield from self._destructure_kind(element.value, rest, None)
                else:
                    yield from self._destructure_kind(element, element_kind, None)
        elif target_type is ast.Starred:
            yield from self._destructure_kind(target.value, kind, value)  # type: ignore[attr-defined]
        # attribute and subscript targets bind no local name

    def element_kind(self, iterable: ast.AST) -> Kind:
        """The kind of what a `for` loop over `iterable` yields."""
        if type(iterable) is ast.Call:
            qualified = self.model.qualified_name(iterable.func, self)
            if qualified == "builtins.range":
                kinds = [self.kind(a) for a in iterable.args]
                if any(k in (Kind.DIM, Kind.TENSOR, Kind.DATA) for k in kinds):
                    return Kind.DIM
                return Kind.PYTHON if all(k is Kind.PYTHON for k in kinds) else Kind.UNKNOWN
            if qualified == "builtins.reversed" and len(iterable.args) == 1:
                return self.element_kind(iterable.args[0])
            if qualified in ("builtins.enumerate", "builtins.zip", "builtins.reversed"):
                return Kind.UNKNOWN
        return _element_of(self.kind(iterable))

    # -- expression kinds ----------------------------------------------------------------------

    def kind(self, expr: ast.AST) -> Kind:
        while self._stale and not self.model.computing_depth:  # at most _MAX_REFRESHES times
            self._refresh()
        key = id(expr)
        memo = self._memo
        if key in memo:
            return memo[key]
        memo[key] = Kind.UNKNOWN  # recursion guard
        result = self._kind(expr)
        memo[key] = result
        return result

    def parameter_assumed(self, name: str) -> bool:
        """Whether the kind of the unannotated parameter `name` is an assumption: a `forward` parameter taken for a
        tensor (`_assumed`), or a helper's parameter that callers pass a tensor, which may be such a parameter.
        Not a size a caller passes (`get_window_size((d, h, w), ...)`: a shape read proves it), nor a parameter of
        no tensor kind, which no finding on a tensor rests on."""
        self.names()  # computes `_assumed`
        if name in self._assumed:
            return True
        if self.info.name == "forward" or type(self.info.node) is ast.Lambda:
            return False
        return self._call_site_kinds().get(name) in _ASSUMABLE

    def is_assumed_flag(self, name: str) -> bool:
        """Whether `name` is an unannotated `forward` parameter, only assumed a tensor, that the function only tests
        for truth and passes on (`forward(self, pixel_values, interpolate_pos_encoding)`): a flag. Asked by rules
        about a condition, lazily: it reads the whole function."""
        self.names()  # computes `_assumed`
        if name not in self._assumed:
            return False
        if self._flags is None:
            self._flags = _flag_parameters(self.info.node)
        return name in self._flags

    def name_kind_at(self, node: ast.Name) -> Kind:
        """The kind of the name `node` reads where it reads it (see the class docstring)."""
        scope: FunctionScope | None = self
        while scope is not None:
            if scope._names is None and not scope._computing:
                scope._compute_names()
            at = scope._at.get(id(node))
            if at is not None:
                return at
            scope = scope.parent_scope
        return self.name_kind(node.id)

    def name_kind(self, name: str) -> Kind:
        if name in self._local_names:
            if self._computing:
                return self._partial.get(name) or Kind.UNKNOWN
            return self.names().get(name, Kind.UNKNOWN)
        if self.parent_scope is not None:
            return self.parent_scope.name_kind(name)
        if name in self.model.imports:
            return Kind.PYTHON
        return Kind.UNKNOWN

    def _kind(self, expr: ast.AST) -> Kind:
        node_type = type(expr)
        if node_type is ast.Name:
            return self.name_kind_at(expr)  # type: ignore[arg-type]
        if node_type is ast.Constant:
            return Kind.NONE if expr.value is None else Kind.PYTHON  # type: ignore[attr-defined]
        if node_type is ast.Call:
            return self._call_kind(expr)  # type: ignore[arg-type]
        if node_type is ast.Attribute:
            return self._attribute_kind(expr)  # type: ignore[arg-type]
        if node_type is ast.Subscript:
            return _subscript_kind(self.kind(expr.value), expr.slice)  # type: ignore[attr-defined]
        if node_type is ast.BinOp:
            return _binop_kind(self.kind(expr.left), self.kind(expr.right))  # type: ignore[attr-defined]
        if node_type is ast.UnaryOp:
            operand = self.kind(expr.operand)  # type: ignore[attr-defined]
            if type(expr.op) is ast.Not:  # type: ignore[attr-defined]
                return (
                    Kind.DATA
                    if operand in (Kind.TENSOR, Kind.DATA)
                    else (Kind.DIM if operand is Kind.DIM else Kind.PYTHON)
                )
            return operand
        if node_type is ast.Compare:
            return self._compare_kind(expr)  # type: ignore[arg-type]
        if node_type is ast.BoolOp:
            kinds = [self.kind(v) for v in expr.values]  # type: ignore[attr-defined]
            if any(k in (Kind.TENSOR, Kind.DATA) for k in kinds):
                return Kind.DATA
            if any(k is Kind.DIM for k in kinds):
                return Kind.DIM
            return Kind.PYTHON if all(k in (Kind.PYTHON, Kind.NONE) for k in kinds) else Kind.UNKNOWN
        if node_type is ast.IfExp:
            return join(self.kind(expr.body), self.kind(expr.orelse)) or Kind.UNKNOWN  # type: ignore[attr-defined]
        if node_type is ast.Tuple or node_type is ast.List:
            element_kinds = {self.kind(e) for e in expr.elts}  # type: ignore[attr-defined]
            if element_kinds and element_kinds <= {Kind.TENSOR}:
                return Kind.TENSOR_SEQUENCE
            if element_kinds and element_kinds <= {Kind.DIM, Kind.PYTHON} and Kind.DIM in element_kinds:
                return Kind.SHAPE
            return Kind.PYTHON
        if node_type is ast.NamedExpr:
            return self.kind(expr.value)  # type: ignore[attr-defined]
        if node_type is ast.Starred:
            return self.kind(expr.value)  # type: ignore[attr-defined]
        if node_type in (ast.JoinedStr, ast.Dict, ast.Set, ast.Lambda):
            return Kind.PYTHON
        if node_type in _COMPREHENSIONS:
            return Kind.UNKNOWN
        return Kind.UNKNOWN

    def _compare_kind(self, expr: ast.Compare) -> Kind:
        if all(type(op) in (ast.Is, ast.IsNot) for op in expr.ops):
            return Kind.PYTHON
        if any(_is_text(operand) for operand in (expr.left, *expr.comparators)):
            return Kind.PYTHON  # only Python values are compared with text (`feat_cache[i] == "Rep"`)
        kinds = [self.kind(expr.left), *(self.kind(c) for c in expr.comparators)]
        if any(type(op) in (ast.In, ast.NotIn) for op in expr.ops):
            return Kind.DATA if kinds[0] is Kind.TENSOR else Kind.PYTHON if Kind.UNKNOWN not in kinds else Kind.UNKNOWN
        if Kind.TENSOR in kinds or Kind.OPTIONAL_TENSOR in kinds:
            return Kind.TENSOR
        if Kind.DATA in kinds:
            return Kind.DATA
        if Kind.DIM in kinds or Kind.SHAPE in kinds:
            return Kind.DIM
        if all(k in (Kind.PYTHON, Kind.NONE) for k in kinds):
            return Kind.PYTHON
        return Kind.UNKNOWN

    def _attribute_kind(self, expr: ast.Attribute) -> Kind:
        receiver_node = expr.value
        if _is_config(receiver_node):
            return Kind.PYTHON  # `self.config.max_recycles`, `config.hidden_size`: configuration values
        if type(receiver_node) is ast.Name and receiver_node.id == "self":
            if expr.attr == "training":
                return Kind.PYTHON
            owner = self.model.owner_class(self.info)
            if owner is not None:
                if self.model.find_method(owner, expr.attr) is not None:
                    return Kind.PYTHON  # a bound method
                return self.model.attribute_kind(owner, expr.attr)
            return Kind.UNKNOWN
        qualified = self.model.qualified_name(expr, self)
        if qualified is not None:
            return Kind.PYTHON  # a module attribute (torch.float32, math.pi, F.relu ...)
        receiver = self.kind(receiver_node)
        if receiver is Kind.TENSOR or receiver is Kind.OPTIONAL_TENSOR:
            if expr.attr == "shape":
                return Kind.PYTHON if _is_module_state(receiver_node) else Kind.SHAPE
            if expr.attr in torch_api.TENSOR_ATTRIBUTES_TENSOR:
                return Kind.TENSOR
            if expr.attr in torch_api.TENSOR_ATTRIBUTES_PYTHON:
                return Kind.PYTHON
            return Kind.UNKNOWN  # a method object, or an attribute we do not know
        return Kind.UNKNOWN

    def _call_kind(self, call: ast.Call) -> Kind:
        func = call.func
        qualified = self.model.qualified_name(func, self)
        if qualified is not None:
            return self._qualified_call_kind(qualified, call)
        if type(func) is ast.Attribute:
            receiver_node = func.value
            # self.<something>(...)
            if type(receiver_node) is ast.Name and receiver_node.id == "self":
                callee = self.model.resolve_local_call(call, self.info)
                if callee is not None:
                    return self.model_return_kind(callee)
                attribute = self._attribute_kind(func)
                return Kind.TENSOR if attribute is Kind.MODULE else Kind.UNKNOWN
            receiver = self.kind(receiver_node)
            if receiver is Kind.TENSOR or receiver is Kind.OPTIONAL_TENSOR:
                if func.attr not in TENSOR_MEMBERS:
                    return Kind.UNKNOWN  # not a tensor method: the receiver was not a tensor after all
                if func.attr in _SIZE_METHODS and _is_module_state(receiver_node):
                    return Kind.PYTHON  # a parameter's or buffer's size: fixed when the model is built
                return _tensor_method_kind(func.attr, call)
            if receiver is Kind.SHAPE:
                return Kind.DIM if func.attr in ("numel", "count", "index") else Kind.UNKNOWN
            if receiver is Kind.MODULE:
                # e.g. self.blocks[0].forward(x) or module.forward(x); `attn.to_q(x)`, a submodule of an
                # attention processor's module (a parameter, not one of `self`'s attributes)
                if func.attr in ("forward", "__call__"):
                    return Kind.TENSOR
                return (
                    Kind.TENSOR
                    if type(receiver_node) is ast.Name and self._is_processor_module(receiver_node)
                    else Kind.UNKNOWN
                )
            return Kind.UNKNOWN
        if type(func) is ast.Name:
            callee = self.model.resolve_local_call(call, self.info)
            if callee is not None:
                return self.model_return_kind(callee)
            kind = self.name_kind(func.id)
            return Kind.TENSOR if kind is Kind.MODULE else Kind.UNKNOWN
        if type(func) is ast.Subscript:
            # self.blocks[i](x): calling an element of a ModuleList
            return Kind.TENSOR if self.kind(func) is Kind.MODULE else Kind.UNKNOWN
        return Kind.UNKNOWN

    def _is_processor_module(self, name: ast.Name) -> bool:
        """`attn` of an attention processor's `__call__(self, attn, hidden_states, ...)`."""
        info = self.info
        if info.name != "__call__" or not is_attention_processor_call(info):
            return False
        arguments = info.node.args
        return name.id == [*arguments.posonlyargs, *arguments.args][1].arg

    def _qualified_call_kind(self, qualified: str, call: ast.Call) -> Kind:
        if qualified.startswith("builtins."):
            return self._builtin_call_kind(qualified[9:], call)
        if qualified.startswith("math.") or qualified in _NUMPY_MATH:
            kinds = [self.kind(a) for a in call.args]
            if Kind.DATA in kinds or Kind.TENSOR in kinds:
                return Kind.DATA
            return Kind.DIM if Kind.DIM in kinds else Kind.PYTHON
        if not qualified.startswith("torch."):
            return Kind.UNKNOWN
        if qualified.startswith(("torch.__", "torch.version.")):
            return Kind.PYTHON  # `torch.__version__.split(".")`: a method of a string, not `torch.split`
        if qualified in torch_api.TORCH_FUNCTIONS_RETURNING_PYTHON:
            return Kind.PYTHON
        if qualified in torch_api.TORCH_FUNCTIONS_RETURNING_SIZE:
            return Kind.SHAPE
        if qualified in torch_api.TORCH_FUNCTIONS_RETURNING_DIM:
            return Kind.DIM
        if qualified in torch_api.TORCH_FUNCTIONS_RETURNING_TENSOR_SEQUENCE:
            return Kind.TENSOR_SEQUENCE
        if qualified.startswith(torch_api.TORCH_MODULES_RETURNING_PYTHON):
            return Kind.PYTHON
        last = qualified.rsplit(".", 1)[-1]
        if last.startswith(torch_api.PYTHON_RESULT_PREFIXES):
            return Kind.PYTHON  # torch.is_autocast_enabled(), torch.get_default_dtype(), ...
        if qualified in ("torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.Tensor", "torch.tensor"):
            return Kind.TENSOR
        if qualified in _NN_CONTAINERS or (qualified.startswith("torch.nn.") and last[:1].isupper()):
            return Kind.MODULE
        if last[:1].isupper():
            return Kind.PYTHON  # other classes (torch.Generator, torch.Size handled above)
        if qualified in ("torch.max", "torch.min", "torch.median", "torch.mode") and (
            len(call.args) > 1 or any(k.arg == "dim" for k in call.keywords)
        ):
            return Kind.TENSOR_SEQUENCE
        if qualified == "torch.nonzero" and any(k.arg == "as_tuple" for k in call.keywords):
            return Kind.TENSOR_SEQUENCE
        if qualified == "torch.where" and len(call.args) == 1:
            return Kind.TENSOR_SEQUENCE
        return Kind.TENSOR

    def _builtin_call_kind(self, name: str, call: ast.Call) -> Kind:
        arguments = [self.kind(a) for a in call.args]
        first = arguments[0] if arguments else Kind.PYTHON
        if name in ("int", "float", "bool", "complex"):
            if first in (Kind.TENSOR, Kind.DATA):
                return Kind.DATA
            if first is Kind.DIM:
                return Kind.DIM
            return Kind.PYTHON if first in (Kind.PYTHON, Kind.NONE) else Kind.UNKNOWN
        if name == "len":
            if first is Kind.TENSOR:
                return Kind.DIM  # the size of dim 0
            # `len(x.shape)` is the rank: fixed by the graph, never symbolic.
            return Kind.PYTHON if first in (Kind.PYTHON, Kind.TENSOR_SEQUENCE, Kind.SHAPE) else Kind.UNKNOWN
        if name in ("max", "min", "abs", "round", "sum"):
            if Kind.TENSOR in arguments or Kind.DATA in arguments:
                return Kind.DATA if name != "sum" else Kind.TENSOR
            if Kind.UNKNOWN in arguments:
                return Kind.UNKNOWN  # `min(cache.states_to_keep(), seq_len)`: not known to be a size
            if Kind.DIM in arguments or Kind.SHAPE in arguments:
                return Kind.DIM
            return Kind.PYTHON if all(k is Kind.PYTHON for k in arguments) else Kind.UNKNOWN
        if name in ("tuple", "list"):
            if first is Kind.SHAPE:
                return Kind.SHAPE
            if first in (Kind.TENSOR, Kind.TENSOR_SEQUENCE):
                return Kind.TENSOR_SEQUENCE
            return Kind.PYTHON if first is Kind.PYTHON else Kind.UNKNOWN
        if name in (
            "isinstance",
            "hasattr",
            "callable",
            "issubclass",
            "str",
            "print",
            "type",
            "range",
            "dict",
            "set",
            "sorted",
            "enumerate",
            "zip",
            "reversed",
        ):
            return Kind.PYTHON
        return Kind.UNKNOWN

    def returned_tuple_kinds(self, info: FunctionInfo) -> tuple[Kind, ...]:
        """The kinds, position by position, of what a local function returns when every `return` gives a tuple
        literal of one length (the join over the returns at each position); () otherwise, or while its names are
        being computed (a call cycle: the caller falls back to the kind of the whole value)."""
        if info._returned_tuple is not None:
            return info._returned_tuple
        if type(info.node) is ast.Lambda or info._return_in_progress:
            return ()
        returns = list(_returns(cast("list[ast.stmt]", info.node.body)))
        values = [node.value for node in returns]
        if (
            not values
            or any(type(v) is not ast.Tuple for v in values)
            or len({len(v.elts) for v in values}) != 1  # type: ignore[union-attr]
            or any(type(e) is ast.Starred for v in values for e in v.elts)  # type: ignore[union-attr]
        ):
            info._returned_tuple = ()
            return ()
        info._return_in_progress = True
        try:
            scope = self.model.scope_for(info)
            if scope._computing or scope._stale:
                self.model.partial_reads += 1  # not known yet: the table that asks is computed again
                return ()
            kinds: list[Kind | None] = [None] * len(values[0].elts)  # type: ignore[union-attr]
            for value in values:
                for position, element in enumerate(value.elts):  # type: ignore[union-attr]
                    kinds[position] = join(kinds[position], scope.kind(element))
            if scope._computing or scope._stale:
                self.model.partial_reads += 1
                return ()
            info._returned_tuple = tuple(kind or Kind.UNKNOWN for kind in kinds)
            self.model.generation += 1
        finally:
            info._return_in_progress = False
        return info._returned_tuple

    def model_return_kind(self, info: FunctionInfo) -> Kind:
        """The kind a local function returns: the join of its `return` values."""
        if info._return_kind is not None:
            return info._return_kind
        if type(info.node) is ast.Lambda:
            return Kind.UNKNOWN
        if info._return_in_progress:
            # A call cycle (its parameters' kinds read a caller's table, which reads this return): not known yet. A
            # partial read, so the table that asks is computed again once nothing is being computed.
            self.model.partial_reads += 1
            return Kind.UNKNOWN
        info._return_in_progress = True
        try:
            scope = self.model.scope_for(info)
            if scope._stale and not scope._computing:
                # Computed from a partial read and not refreshed yet (that waits for nothing being computed): refresh it
                # now, so that a caller's refresh reads its returns from a whole table, not a stale one.
                scope._refresh()
            partial = scope._computing  # its names are being computed: what it returns is not known yet
            result: Kind | None = None
            for node in _returns(cast("list[ast.stmt]", info.node.body)):  # a def's (a lambda returned above)
                result = join(result, scope.kind(node.value) if node.value is not None else Kind.NONE)
            if partial or scope._stale:
                # Its names are being computed, or were computed from another partial read and are computed again
                # once nothing is being computed: not stored, and the table that asks is computed again too.
                self.model.partial_reads += 1
                return Kind.UNKNOWN if partial else result or Kind.NONE
            info._return_kind = result or Kind.NONE
            self.model.generation += 1
        finally:
            info._return_in_progress = False
        return info._return_kind


# numpy's scalar math, which model code applies to sizes as it does `math.*` (`int(np.ceil(d / 7))`).
_NUMPY_MATH = frozenset(
    f"numpy.{name}" for name in ("ceil", "floor", "sqrt", "round", "log2", "log", "log10", "exp", "trunc", "rint")
)


def is_attention_processor_call(info: FunctionInfo) -> bool:
    """An attention processor's `__call__(self, attn, hidden_states, ...)` (diffusers' `AttnProcessor2_0`
    and its kind): a plain class whose `__call__` the attention module's `forward` runs, so model code."""
    if info.owner is None or info.name != "__call__" or type(info.node) is ast.Lambda:
        return False
    arguments = info.node.args
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    return len(names) >= 3 and names[1] in ("attn", "module") and names[2] == "hidden_states"


def _is_config(node: ast.expr) -> bool:
    """`self.config` or a name `config` (transformers' and diffusers' configuration objects)."""
    if type(node) is ast.Name:
        return node.id == "config"
    return (
        type(node) is ast.Attribute
        and node.attr == "config"
        and type(node.value) is ast.Name
        and node.value.id == "self"
    )


def _returns(body: list[ast.stmt]) -> Iterator[ast.Return]:
    stack = list(body)
    while stack:
        statement = stack.pop()
        statement_type = type(statement)
        if statement_type is ast.Return:
            yield statement  # type: ignore[misc]
        elif statement_type in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            continue
        else:
            for block in ("body", "orelse", "finalbody"):
                stack.extend(getattr(statement, block, None) or [])
            for handler in getattr(statement, "handlers", None) or []:
                stack.extend(handler.body)


def _target_names(target: ast.expr) -> Iterator[ast.Name]:
    target_type = type(target)
    if target_type is ast.Name:
        yield target  # type: ignore[misc]
    elif target_type is ast.Tuple or target_type is ast.List:
        for element in target.elts:  # type: ignore[attr-defined]
            yield from _target_names(element)
    elif target_type is ast.Starred:
        yield from _target_names(target.value)  # type: ignore[attr-defined]


def _element_of(kind: Kind) -> Kind:
    return {
        Kind.TENSOR: Kind.TENSOR,  # iterating or unpacking a tensor walks its first dimension
        Kind.OPTIONAL_TENSOR: Kind.TENSOR,  # iterated: not None
        Kind.TENSOR_SEQUENCE: Kind.TENSOR,
        Kind.SHAPE: Kind.DIM,
        Kind.MODULE: Kind.MODULE,  # ModuleList / Sequential
        Kind.DATA: Kind.DATA,
        Kind.PYTHON: Kind.PYTHON,
    }.get(kind, Kind.UNKNOWN)


def _subscript_kind(value: Kind, index: ast.AST) -> Kind:
    is_slice = type(index) is ast.Slice
    if value is Kind.TENSOR or value is Kind.OPTIONAL_TENSOR:
        return Kind.TENSOR
    if value is Kind.TENSOR_SEQUENCE:
        return Kind.TENSOR_SEQUENCE if is_slice else Kind.TENSOR
    if value is Kind.SHAPE:
        return Kind.SHAPE if is_slice else Kind.DIM
    if value is Kind.MODULE or value is Kind.DATA or value is Kind.PYTHON:
        return value  # an element of a ModuleList, of a Python list read from a tensor, of a Python tuple
    return Kind.UNKNOWN


def _binop_kind(left: Kind, right: Kind) -> Kind:
    kinds = {left, right}
    if kinds & _TENSORISH:
        return Kind.TENSOR
    if Kind.TENSOR_SEQUENCE in kinds:
        return Kind.TENSOR_SEQUENCE if kinds <= {Kind.TENSOR_SEQUENCE, Kind.PYTHON} else Kind.UNKNOWN
    if Kind.DATA in kinds:
        return Kind.DATA
    if Kind.SHAPE in kinds:
        return Kind.SHAPE if kinds <= {Kind.SHAPE, Kind.PYTHON} else Kind.UNKNOWN
    if Kind.DIM in kinds:
        return Kind.DIM if kinds <= {Kind.DIM, Kind.PYTHON} else Kind.UNKNOWN
    if kinds <= {Kind.PYTHON}:
        return Kind.PYTHON
    return Kind.UNKNOWN


def _tensor_method_kind(method: str, call: ast.Call) -> Kind:
    if method in torch_api.TENSOR_METHODS_RETURNING_DATA:
        return Kind.DATA
    if method == "size":
        return Kind.DIM if (call.args or call.keywords) else Kind.SHAPE
    if method == "stride":
        return Kind.DIM if call.args else Kind.SHAPE
    if method in torch_api.TENSOR_METHODS_RETURNING_DIM:
        return Kind.DIM
    if method in torch_api.TENSOR_METHODS_RETURNING_PYTHON:
        if method == "type" and (call.args or call.keywords):
            return Kind.TENSOR
        return Kind.PYTHON
    if method in torch_api.TENSOR_METHODS_RETURNING_SEQUENCE:
        return Kind.TENSOR_SEQUENCE
    if method in torch_api.TENSOR_METHODS_SEQUENCE_WITH_DIM and (
        call.args or any(k.arg == "dim" for k in call.keywords)
    ):
        if method in ("max", "min") and call.args and type(call.args[0]) not in (ast.Constant, ast.UnaryOp):
            return Kind.TENSOR  # x.max(other_tensor): elementwise
        return Kind.TENSOR_SEQUENCE
    return Kind.TENSOR


# Parameter names that say "flag" (transformers' `output_attentions`, `return_dict`, `use_cache`).
_FLAG_PREFIXES = ("output_", "return_", "use_", "do_", "is_", "has_", "with_", "enable_", "apply_")


def _flag_parameters(function: ast.AST) -> frozenset[str]:
    """The names the function tests for truth at least once (`if name:`, `not name`, `name and ...`) and
    otherwise only passes on to calls, never binding them again: what flags are used for. A tensor is computed on
    somewhere (a method, an operator, a subscript); testing the truth of one with more than one element raises.
    One pass over the function."""
    tested: set[str] = set()
    other: set[str] = set()
    for owner in ast.walk(function):
        for child in ast.iter_child_nodes(owner):
            if type(child) is not ast.Name:
                continue
            name = child.id
            if type(child.ctx) is not ast.Load:
                other.add(name)  # bound again: whatever it holds then is not the argument
            elif isinstance(owner, (ast.If, ast.While, ast.IfExp, ast.Assert)) and owner.test is child:
                tested.add(name)
            elif isinstance(owner, ast.BoolOp) or (isinstance(owner, ast.UnaryOp) and isinstance(owner.op, ast.Not)):
                tested.add(name)
            elif not (isinstance(owner, ast.keyword) or (isinstance(owner, ast.Call) and child in owner.args)):
                other.add(name)
    return frozenset(tested - other)


def _is_text(node: ast.expr) -> bool:
    """A string literal, or a tuple, list or set literal of them (`mode in ("a", "b")`)."""
    if type(node) is ast.Constant:
        return type(node.value) is str
    if type(node) in (ast.Tuple, ast.List, ast.Set):
        return any(type(e) is ast.Constant and type(e.value) is str for e in node.elts)  # type: ignore[attr-defined]
    return False


_SIZE_METHODS = frozenset({"size", "numel", "dim", "ndimension", "nelement"})


def _is_module_state(node: ast.expr) -> bool:
    """`self.pos_embed`, `self.proj.weight`: a parameter or buffer of the module (an attribute chain on
    `self`), whose shape is fixed when the model is built, whatever the input's size."""
    while type(node) is ast.Attribute:
        node = node.value
    return type(node) is ast.Name and node.id == "self"


# `torch.Tensor` and its legacy typed aliases, which transformers uses in most signatures
# (`input_ids: torch.LongTensor`, `pixel_values: torch.FloatTensor`): all of them are tensors.
_TENSOR_ANNOTATIONS = frozenset(
    {"torch.Tensor", "torch.nn.Parameter"}
    | {
        f"{module}.{dtype}Tensor"
        for module in ("torch", "torch.cuda")
        for dtype in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
    }
)


_SCALAR_TYPES = frozenset({"builtins.int", "builtins.float", "builtins.bool", "builtins.str", "builtins.complex"})
_CONTAINER_ANNOTATION = re.compile(r"\b(?:list|List|tuple|Tuple|Sequence|Iterable|dict|Dict)\[")
_NESTED_CONTAINER = re.compile(
    r"^(?:typing\.)?\w+\[(?:typing\.)?(?:list|List|tuple|Tuple|Sequence|Iterable|dict|Dict)\["
)
_PYTHON_ELEMENTS = re.compile(r"^(?:typing\.)?(?:Sequence|Iterable)\[(?:int|float|bool|str)\]$")


def annotation_kind(annotation: ast.expr | None, model: ModuleModel) -> Kind | None:
    """The kind an annotation says (`torch.LongTensor`: TENSOR, `Optional[Tensor]`: OPTIONAL_TENSOR,
    `int`: PYTHON); None when it says nothing onnxlint knows."""
    if annotation is None:
        return None
    if type(annotation) is ast.Constant and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    text = ast.unparse(annotation) if type(annotation) not in (ast.Name, ast.Attribute) else None
    qualified = model.qualified_name(annotation) if text is None else None
    if qualified in _TENSOR_ANNOTATIONS or (type(annotation) is ast.Name and annotation.id == "Tensor"):
        return Kind.TENSOR
    if type(annotation) is ast.Name and annotation.id in ("int", "float", "bool", "str", "bytes"):
        return Kind.PYTHON
    if text is not None:
        if text.startswith(("Sequence[", "Iterable[", "typing.Sequence[")) and _PYTHON_ELEMENTS.match(text):
            return Kind.PYTHON  # `Sequence[int]`: Python numbers, as `tuple[int, int]` is
        if text.startswith(("dict[", "Dict[", "Mapping[", "typing.Dict[", "Sequence[", "Iterable[")):
            return Kind.UNKNOWN  # containers: their elements are not the parameter
        if "Tensor" in text:
            if _CONTAINER_ANNOTATION.search(text):
                if (
                    text.startswith(("List[", "Tuple[", "list[", "tuple["))
                    and "None" not in text
                    and "|" not in text
                    and not _NESTED_CONTAINER.match(text)  # `list[list[Tensor]]`: its elements are lists
                ):
                    return Kind.TENSOR_SEQUENCE
                return Kind.UNKNOWN  # `list[torch.Tensor] | None`, `torch.Tensor | tuple[torch.Tensor]`
            if text.startswith(("Optional[", "typing.Optional[")) or "None" in text:
                return Kind.OPTIONAL_TENSOR
            if text.startswith(("List[", "Tuple[", "list[", "tuple[", "Sequence[", "typing.")):
                return Kind.TENSOR_SEQUENCE
            return None
        if any(word in text for word in ("int", "float", "bool", "str")):
            return Kind.PYTHON
    return None
