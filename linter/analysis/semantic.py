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
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import cast

from onnxlint.analysis.traversal import walk
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


_TENSORISH = frozenset({Kind.TENSOR, Kind.OPTIONAL_TENSOR})
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
# Functions that compute a loss or a metric (`compute_loss`, `dice_loss`, `sigmoid_focal_loss`, `metric_fn`).
_NON_INFERENCE_FUNCTION = re.compile(
    r"(?:^|_)(?:loss|losses|criterion|metric|metrics|accuracy|average_precision|evaluate)(?:_|$)", re.IGNORECASE
)
_NN_CONTAINERS = frozenset({"torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict"})
_ASSIGNMENTS_AND_CALLS = frozenset({ast.Assign, ast.AnnAssign, ast.Call})


# -- imports ------------------------------------------------------------------------------------


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
        self._assignments_and_calls: dict[int, list[ast.AST]] = {}
        self._qualified: dict[int, tuple[ast.AST, FunctionScope | None, str | None]] = {}
        # Bumped whenever a lazily computed kind result (names of a scope, a return kind, attribute
        # kinds) is stored: a computation that saw no bump saw no state change (_compute_names).
        self.generation = 0
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
            classes = list(self._class_infos.values())
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
            and info.name == "forward"
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
        if info._scope is None:
            info._scope = FunctionScope(self, info)
        return info._scope

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
            # A call whose result is stored on self and later called is, in model code, a submodule
            # or a factory's product (`norm_layer(dim)`, `create_conv2d(...)`).
            return Kind.MODULE
        return scope.kind(value)


sys_version_has_try_star = hasattr(ast, "TryStar")


# -- function scopes and kinds ------------------------------------------------------------------

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class FunctionScope:
    """Names bound in one function, and the kinds of expressions evaluated in it.

    Kinds of local names are flow-insensitive: the join of every value bound to the name
    anywhere in the function. That is robust to loops and branches, and errs towards
    UNKNOWN, which keeps rules silent.
    """

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
        is_forward = self.info.owner is not None and self.info.name == "forward"
        call_site_kinds = self._call_site_kinds() if not is_forward else {}
        for index, (argument, default) in enumerate(zip(positional, defaults)):
            name = argument.arg
            if index == 0 and self.info.owner is not None and name in ("self", "cls"):
                kinds[name] = Kind.MODULE if name == "self" else Kind.PYTHON
                continue
            kind = annotation_kind(argument.annotation, self.model)
            if kind is None and argument.annotation is not None:
                kind = Kind.UNKNOWN  # annotated with something we do not recognise: not assumed a tensor
            if kind is None and argument.annotation is None and name.startswith(_FLAG_PREFIXES):
                kind = Kind.PYTHON  # `output_attentions=None`, `return_dict=None`: a flag, not an optional tensor
            if kind is None and default is not None:
                if type(default) is ast.Constant:
                    kind = Kind.OPTIONAL_TENSOR if default.value is None and is_forward else None
                    if type(default) is ast.Constant and default.value is not None:
                        kind = Kind.PYTHON
                elif type(default) in (ast.Tuple, ast.List, ast.Dict):
                    kind = Kind.PYTHON
            if kind is None:
                if is_forward:
                    kind = Kind.TENSOR
                else:
                    kind = call_site_kinds.get(name, Kind.UNKNOWN)
            kinds[name] = kind
        if arguments.vararg:
            kinds[arguments.vararg.arg] = Kind.UNKNOWN
        if arguments.kwarg:
            kinds[arguments.kwarg.arg] = Kind.UNKNOWN
        return kinds

    def _call_site_kinds(self) -> dict[str, Kind]:
        """Join the kinds of the arguments that model code passes to this function."""
        model = self.model
        info = self.info
        if type(info.node) is ast.Lambda or not model.is_model_function(info):
            return {}
        arguments = info.node.args
        names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        if info.owner is not None and names and names[0] in ("self", "cls"):
            names = names[1:]
        result: dict[str, Kind | None] = {}
        for caller, node in model.call_sites(info):
            if caller is info:
                continue  # recursion adds nothing
            caller_scope = model.scope_for(caller)
            for position, argument in enumerate(node.args):
                if type(argument) is ast.Starred:
                    break
                if position < len(names):
                    result[names[position]] = join(result.get(names[position]), caller_scope.kind(argument))
            for keyword in node.keywords:
                if keyword.arg is not None:
                    result[keyword.arg] = join(result.get(keyword.arg), caller_scope.kind(keyword.value))
        return {name: kind for name, kind in result.items() if kind is not None}

    # -- name kinds ----------------------------------------------------------------------------

    def names(self) -> dict[str, Kind]:
        if self._names is None:
            self._compute_names()
        return self._names  # type: ignore[return-value]

    def _compute_names(self) -> None:
        self._computing = True
        try:
            if type(self.info.node) is ast.Lambda:
                self._names = {a.arg: Kind.UNKNOWN for a in self._all_arguments(self.info.node.args)}
                return
            parameters = self._parameter_kinds()
            previous: dict[str, Kind | None] = {}
            model = self.model
            for _ in range(3):
                self._memo.clear()
                generation = model.generation
                # Names read while the table is being built see the bindings made so far.
                table: dict[str, Kind | None] = dict(parameters)
                self._partial = table
                for target, how, source in self._bindings:
                    for name, kind in self._bind(target, how, source):
                        table[name] = join(table.get(name), kind)
                if table == previous:
                    break
                previous = table
                if model.generation == generation:
                    # Each round starts from the parameters again, so it can only differ from the last one
                    # when some other lazy result was stored meanwhile; none was: this table is the fixpoint.
                    break
            self._names = {name: (kind or Kind.UNKNOWN) for name, kind in previous.items()}
            model.generation += 1
            self._memo.clear()
        finally:
            self._computing = False

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

    def _destructure(self, target: ast.expr, value: ast.expr) -> Iterator[tuple[str, Kind]]:
        target_type = type(target)
        if (target_type is ast.Tuple or target_type is ast.List) and type(value) in (ast.Tuple, ast.List):
            elements = target.elts  # type: ignore[attr-defined]
            values = value.elts  # type: ignore[attr-defined]
            if len(elements) == len(values) and not any(type(e) is ast.Starred for e in elements):
                for element, element_value in zip(elements, values):
                    yield from self._destructure(element, element_value)
                return
        yield from self._destructure_kind(target, self.kind(value), value)

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
            if qualified in ("builtins.enumerate", "builtins.zip", "builtins.reversed"):
                return Kind.UNKNOWN
        return _element_of(self.kind(iterable))

    # -- expression kinds ----------------------------------------------------------------------

    def kind(self, expr: ast.AST) -> Kind:
        key = id(expr)
        memo = self._memo
        if key in memo:
            return memo[key]
        memo[key] = Kind.UNKNOWN  # recursion guard
        result = self._kind(expr)
        memo[key] = result
        return result

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
            return self.name_kind(expr.id)  # type: ignore[attr-defined]
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
                # e.g. self.blocks[0].forward(x) or module.forward(x)
                return Kind.TENSOR if func.attr in ("forward", "__call__") else Kind.UNKNOWN
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

    def _qualified_call_kind(self, qualified: str, call: ast.Call) -> Kind:
        if qualified.startswith("builtins."):
            return self._builtin_call_kind(qualified[9:], call)
        if qualified.startswith("math."):
            kinds = [self.kind(a) for a in call.args]
            if Kind.DATA in kinds or Kind.TENSOR in kinds:
                return Kind.DATA
            return Kind.DIM if Kind.DIM in kinds else Kind.PYTHON
        if not qualified.startswith("torch."):
            return Kind.UNKNOWN
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

    def model_return_kind(self, info: FunctionInfo) -> Kind:
        """The kind a local function returns: the join of its `return` values."""
        if info._return_kind is not None:
            return info._return_kind
        if info._return_in_progress or type(info.node) is ast.Lambda:
            return Kind.UNKNOWN
        info._return_in_progress = True
        try:
            scope = self.model.scope_for(info)
            result: Kind | None = None
            for node in _returns(cast("list[ast.stmt]", info.node.body)):  # a def's (a lambda returned above)
                result = join(result, scope.kind(node.value) if node.value is not None else Kind.NONE)
            info._return_kind = result or Kind.NONE
            self.model.generation += 1
        finally:
            info._return_in_progress = False
        return info._return_kind


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
    if value is Kind.MODULE or value is Kind.DATA:
        return value
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
        if text.startswith(("dict[", "Dict[", "Mapping[", "typing.Dict[", "Sequence[", "Iterable[")):
            return Kind.UNKNOWN  # containers: their elements are not the parameter
        if "Tensor" in text:
            if text.startswith(("Optional[", "typing.Optional[")) or "None" in text:
                return Kind.OPTIONAL_TENSOR
            if text.startswith(("List[", "Tuple[", "list[", "tuple[", "Sequence[", "typing.")):
                return Kind.TENSOR_SEQUENCE
            return None
        if any(word in text for word in ("int", "float", "bool", "str")):
            return Kind.PYTHON
    return None
