"""Building blocks for fixes: text edits anchored on `ast` positions, and libcst rewrites.

Rules find with `ast` and describe repairs as text edits, so everything outside an edit keeps
its bytes. Where a repair must restructure code (move expressions between statements, rebuild
a call) it parses just that fragment with libcst, transforms it, and turns the result back
into one replacement edit; comments and formatting inside the fragment survive.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from onnxlint.core.context import FileContext
from onnxlint.core.findings import Edit, Location
from onnxlint.core.source import leading_statements_end

if TYPE_CHECKING:
    import libcst as cst  # imported lazily: most runs build no libcst fix, and the import costs ~0.2 s


def replace_node(context: FileContext, node: ast.AST, content: str) -> Edit:
    return Edit(context.source.start_of(node), context.source.end_of(node), content)


def replace_span(context: FileContext, start_node: ast.AST, end_node: ast.AST, content: str) -> Edit:
    return Edit(context.source.start_of(start_node), context.source.end_of(end_node), content)


def segment(context: FileContext, node: ast.AST) -> str:
    return context.source.segment(node)


# -- call arguments -----------------------------------------------------------------------------


def add_keyword_argument(context: FileContext, call: ast.Call, text: str) -> Edit:
    """Append `text` (e.g. `weights_only=True`) as the call's last argument, in the call's style."""
    source = context.source
    call_end = source.offset(source.end_of(call))
    closing = call_end - 1  # the position of ')'
    arguments: list[ast.AST] = [*call.args, *call.keywords]
    if not arguments:
        return Edit.insertion(source.location(closing), text)
    last_end = max(source.offset(source.end_of(a)) for a in arguments)
    tail = source.text[last_end:closing]
    if "," not in _strip_comments(tail):
        return Edit.insertion(source.location(last_end), f", {text}")
    if "\n" in tail or "\r" in tail:
        last_row = source.location(last_end).row
        indent = source.indentation(
            max(source.start_of(a).row for a in arguments if source.end_of(a).row == last_row)
            if arguments
            else last_row
        )
        closing_row = source.location(closing).row
        return Edit.insertion(Location(closing_row, 1), f"{indent}{text},{source.newline()}")
    comma = last_end + tail.index(",")
    return Edit.insertion(source.location(comma + 1), f" {text}")


def replace_keyword_value(context: FileContext, item: ast.keyword, value: str) -> Edit:
    return replace_node(context, item.value, value)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


# -- module-level insertions (imports, helper functions) ----------------------------------------


def torch_alias(context: FileContext) -> str | None:
    """How the file spells `torch` (None: not imported as a module)."""
    for local, qualified in context.model.imports.items():
        if qualified == "torch":
            return local
    return None


def _import_block_end(tree: ast.Module) -> tuple[int, int]:
    """(row after the last leading import / docstring / __future__ line, row of the first statement after them)."""
    body = tree.body
    index = leading_statements_end(body)
    last_row = (body[index - 1].end_lineno or 0) if index else 0
    first_row = body[index].lineno if index < len(body) else None
    if first_row is not None and body[index].__dict__.get("decorator_list"):
        first_row = min([first_row, *(d.lineno for d in body[index].decorator_list)])  # type: ignore[attr-defined]
    return last_row + 1, (first_row if first_row is not None else last_row + 1)


def module_insertions(
    context: FileContext, imports: Sequence[str] = (), helpers: Sequence[tuple[str, str]] = ()
) -> list[Edit]:
    """Edits adding import lines and module-level helper definitions that are not there yet.

    Imports go after the file's leading imports; helpers (name, code) go before the first
    statement that follows them. One edit per insertion point, so a fix never clashes with itself.
    """
    newline = context.source.newline()
    wanted_imports = [line for line in imports if not _has_import_line(context, line)]
    wanted_helpers = [(name, code) for name, code in helpers if name not in context.model.functions]
    if not wanted_imports and not wanted_helpers:
        return []
    import_row, first_statement_row = _import_block_end(context.tree)
    # Comments directly above the first statement belong to it: put helpers above them.
    while first_statement_row > import_row and context.source.line(first_statement_row - 1).lstrip().startswith("#"):
        first_statement_row -= 1
    line_count = context.source.line_count
    import_text = "".join(f"{line}{newline}" for line in wanted_imports)
    helper_text = "".join(
        f"{_normalize_newlines(textwrap.dedent(code).strip(), newline)}{newline}{newline}{newline}"
        for _, code in wanted_helpers
    )
    edits: list[Edit] = []
    at_end = import_row > line_count or (first_statement_row > line_count)
    if at_end:
        text = context.source.text
        prefix = "" if not text or text.endswith(("\n", "\r")) else newline
        end = context.source.location(len(text))
        return [
            Edit.insertion(
                end,
                prefix
                + import_text
                + (newline + newline if helper_text and import_text else "")
                + helper_text.rstrip("\r\n")
                + (newline if helper_text else ""),
            )
        ]
    if import_text and helper_text and import_row == first_statement_row:
        return [Edit.insertion(Location(import_row, 1), import_text + newline + newline + helper_text)]
    if import_text:
        edits.append(Edit.insertion(Location(import_row, 1), import_text))
    if helper_text:
        edits.append(Edit.insertion(Location(first_statement_row, 1), helper_text))
    return edits


def _normalize_newlines(text: str, newline: str) -> str:
    return newline.join(text.split("\n"))


def _has_import_line(context: FileContext, line: str) -> bool:
    try:
        statement = ast.parse(line).body[0]
    except (SyntaxError, IndexError):
        return False
    from onnxlint.analysis.semantic import import_bindings

    return all(context.model.imports.get(local) == qualified for local, qualified in import_bindings(statement))  # type: ignore[arg-type]


def ensure_torch(context: FileContext) -> tuple[str, list[str]]:
    """The name to spell `torch` with, and the import lines to add for it."""
    alias = torch_alias(context)
    if alias is not None:
        return alias, []
    return "torch", ["import torch"]


# -- libcst fragments ---------------------------------------------------------------------------


def render_statement(
    context: FileContext, statement: ast.stmt, build: Callable[[cst.BaseStatement], cst.BaseStatement | str]
) -> str:
    """Re-render one statement through libcst: parse its (dedented) source, transform, re-indent.

    `build` gets the libcst statement and returns a new statement (or code text). The result
    is indented like the original and has no trailing newline, ready to replace it.
    """
    import libcst as cst

    indent = context.source.indentation(statement.lineno)
    start = context.source.offset(Location(statement.lineno, 1))
    end = context.source.offset(context.source.end_of(statement))
    original = context.source.text[start:end]
    dedented = textwrap.dedent(original)
    module = cst.parse_module(dedented + "\n")
    result = build(module.body[0])
    code = result if isinstance(result, str) else module.code_for_node(result)
    code = code.rstrip("\r\n")
    newline = context.source.newline()
    return newline.join((indent + line) if line.strip() else line for line in code.split("\n"))


def cst_code(node: cst.CSTNode) -> str:
    import libcst as cst

    return cst.Module([]).code_for_node(node)


def comments_in(text: str) -> list[str]:
    """The comments in a piece of code, in order (tokenize tells them from `#` in strings)."""
    comments = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return comments


def statement_span(context: FileContext, statement: ast.stmt) -> tuple[Location, Location]:
    """From the start of the statement's first line to the end of its last line (no newline)."""
    return Location(statement.lineno, 1), context.source.end_of(statement)
