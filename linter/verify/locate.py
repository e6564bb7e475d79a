"""Tying ONNX results back to the user's source lines.

- The dynamo exporter records each node's Python stack in `pkg.torch.onnx.stack_trace`.
- The TorchScript exporter records it in the node's `doc_string`, but only with `verbose=True`
  (which the pipeline uses for diagnostic exports only, never for the user's file).
- A baked shape shows up as a difference between two exports of the same model at two example
  shapes: a shape-derived constant (a Reshape target, a pooling kernel, an unrolled loop) that
  a truly dynamic graph would compute at run time. `diff_exports` finds those nodes.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnxlint.verify.exporting import FILE_LINE

_DOC_FRAME = re.compile(r"^(?P<file>.+?)\((?P<line>\d+)\): (?P<func>\S+)$")
_ORT_NODE = re.compile(r"running (?P<op>\w+) node\. Name:'(?P<name>[^']*)'")
# Session creation and the checker: "Node (name) Op (Type) [ShapeInferenceError] ...", "Bad node spec for node. Name: n OpType: T".
_NODE_OP = re.compile(r"Node \((?P<name>[^)]*)\) Op \((?P<op>[\w.]+)\)")
_BAD_NODE = re.compile(r"Name: (?P<name>\S+) OpType: (?P<op>\w+)")
# Constants bigger than this are weights, not shape-derived values (and comparing them costs time).
_MAX_CONSTANT_BYTES = 1 << 16


def library_folders() -> list[str]:
    folders = {sysconfig.get_paths().get(key, "") for key in ("purelib", "platlib", "stdlib", "platstdlib")}
    folders.add(str(Path(sys.prefix)))
    return [f for f in folders if f]


def make_user_file_test(roots: Iterable[Path]) -> Callable[[str], bool]:
    """A predicate: is `filename` the user's code (under one of `roots`, or at least not a library)?"""
    resolved_roots = [str(Path(r).resolve()) for r in roots]
    libraries = [str(Path(f).resolve()) for f in library_folders()]
    package_folder = str(Path(__file__).resolve().parent.parent)

    def is_user_file(filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        try:
            path = str(Path(filename).resolve())
        except (OSError, ValueError):
            return False
        if path.startswith(package_folder):
            return False
        if any(path.startswith(root) for root in resolved_roots):
            return True
        return not any(path.startswith(lib) for lib in libraries) and "site-packages" not in path

    return is_user_file


def node_frames(node: Any, is_user_file: Callable[[str], bool]) -> list[tuple[str, int]]:
    """The user's (file, line) frames recorded on an ONNX node, innermost first."""
    frames: list[tuple[str, int]] = []
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.stack_trace":
            # Python traceback order: outermost first.
            matches = [(m.group("file"), int(m.group("line"))) for m in FILE_LINE.finditer(prop.value)]
            frames.extend(reversed(matches))
    if node.doc_string:
        for line in node.doc_string.splitlines():
            match = _DOC_FRAME.match(line.strip())
            if match:  # TorchScript order: innermost first
                frames.append((match.group("file"), int(match.group("line"))))
    return [(f, n) for f, n in frames if is_user_file(f)]


def ort_error_node(message: str) -> tuple[str, str] | None:
    """(op type, node name) of the node onnxruntime names in a run error."""
    match = _ORT_NODE.search(message)
    return (match.group("op"), match.group("name")) if match else None


def error_node(message: str) -> tuple[str, str] | None:
    """(op type, node name) of the node an onnxruntime or onnx.checker error names, if any."""
    hit = ort_error_node(message)
    if hit is not None:
        return hit
    for pattern in (_NODE_OP, _BAD_NODE):
        match = pattern.search(message)
        if match:
            return match.group("op"), match.group("name")
    return None


def find_node(proto: Any, name: str) -> Any | None:
    return next((node for node in proto.graph.node if node.name == name), None)


@dataclass
class NodeDifference:
    node: Any  # the node in the second export
    why: str


def _constants(proto: Any) -> dict[str, Any]:
    """Small constant values by name: initializers and Constant node outputs."""
    from onnx import numpy_helper

    values: dict[str, Any] = {}
    for tensor in proto.graph.initializer:
        if tensor.ByteSize() <= _MAX_CONSTANT_BYTES:
            values[tensor.name] = numpy_helper.to_array(tensor)
    for node in proto.graph.node:
        if node.op_type == "Constant" and node.output:
            for attribute in node.attribute:
                if attribute.name == "value" and attribute.t.ByteSize() <= _MAX_CONSTANT_BYTES:
                    values[node.output[0]] = numpy_helper.to_array(attribute.t)
                elif attribute.name in ("value_int", "value_ints", "value_float", "value_floats"):
                    values[node.output[0]] = _attribute_value(attribute)
    return values


def _attribute_value(attribute: Any) -> Any:
    from onnx import helper, numpy_helper

    if attribute.type == attribute.TENSOR:
        return numpy_helper.to_array(attribute.t) if attribute.t.ByteSize() <= _MAX_CONSTANT_BYTES else "<large>"
    if attribute.type in (attribute.GRAPH, attribute.GRAPHS):
        return attribute.SerializeToString()  # subgraphs: compared whole
    value = helper.get_attribute_value(attribute)
    return value.decode() if isinstance(value, bytes) else value


def _describe(value: Any) -> str:
    import numpy as np

    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)
        text = ", ".join(str(v) for v in flat[:8].tolist()) + (", ..." if flat.size > 8 else "")
        return f"[{text}]" if value.ndim else text
    return repr(value)[:60]


def _equal(a: Any, b: Any) -> bool:
    import numpy as np

    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def diff_exports(first: Any, second: Any) -> list[NodeDifference]:
    """Nodes of `second` that differ from `first` in a shape-derived way (same model, two example shapes)."""
    nodes_a, nodes_b = list(first.graph.node), list(second.graph.node)
    ops_a, ops_b = [n.op_type for n in nodes_a], [n.op_type for n in nodes_b]
    if ops_a != ops_b:
        # A different graph: a loop was unrolled a different number of times, a branch went the other way.
        index = next((i for i, (a, b) in enumerate(zip(ops_a, ops_b)) if a != b), min(len(ops_a), len(ops_b)))
        node = nodes_b[min(index, len(nodes_b) - 1)] if nodes_b else None
        if node is None:
            return []
        return [
            NodeDifference(
                node,
                f"the graph itself changes with the example shape ({len(nodes_a)} vs {len(nodes_b)} nodes; "
                f"first difference at node {index}, {node.op_type})",
            )
        ]
    constants_a, constants_b = _constants(first), _constants(second)
    differences: list[NodeDifference] = []
    for node_a, node_b in zip(nodes_a, nodes_b):
        if node_a.op_type == "Constant":
            continue  # reported through the nodes that consume them
        reasons = []
        attributes_a = {a.name: a for a in node_a.attribute}
        for attribute in node_b.attribute:
            other = attributes_a.get(attribute.name)
            value_b = _attribute_value(attribute)
            value_a = _attribute_value(other) if other is not None else None
            if not _equal(value_a, value_b):
                reasons.append(f"attribute {attribute.name} {_describe(value_a)} vs {_describe(value_b)}")
        for slot, (name_a, name_b) in enumerate(zip(node_a.input, node_b.input)):
            if name_a in constants_a and name_b in constants_b:
                if not _equal(constants_a[name_a], constants_b[name_b]):
                    reasons.append(
                        f"constant input {slot} {_describe(constants_a[name_a])} vs {_describe(constants_b[name_b])}"
                    )
            elif (name_a in constants_a) != (name_b in constants_b):
                reasons.append(f"input {slot} is a constant in one export only")
        if reasons:
            differences.append(NodeDifference(node_b, f"{node_b.op_type} {'; '.join(reasons)}"))
    return differences


def line_text(file: str, line: int) -> str:
    try:
        lines = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""
