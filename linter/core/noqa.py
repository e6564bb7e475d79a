"""Suppression comments, in ruff's and flake8's conventions.

* `# noqa` on a finding's line suppresses every finding there;
* `# noqa: ONX101, ONX2` suppresses the listed codes (or code prefixes) only;
* `# onnxlint: noqa` anywhere in a file, on a line of its own, exempts the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize

from onnxlint.core.findings import Finding

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]*(?:[\s,]+[A-Za-z]+[0-9]*)*))?", re.IGNORECASE)
_FILE_EXEMPTION = re.compile(r"^\s*#\s*onnxlint\s*:\s*noqa\s*$", re.MULTILINE | re.IGNORECASE)


def file_is_exempt(text: str) -> bool:
    return "noqa" in text and _FILE_EXEMPTION.search(text) is not None


def _comment_lines(text: str) -> dict[int, str]:
    """Comments by 1-based row (tokenize tells comments from `#` inside strings)."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and "noqa" in token.string.lower():
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return comments


def codes_on(comment: str) -> set[str] | None:
    """The codes a noqa comment names; None for a bare `# noqa` (everything)."""
    match = _NOQA.search(comment)
    if match is None:
        return set()
    codes = match.group("codes")
    if not codes:
        return None
    return {code.upper() for code in re.split(r"[\s,]+", codes) if code}


def apply(findings: list[Finding], text: str) -> tuple[list[Finding], int]:
    """Drop suppressed findings; return the rest and how many were suppressed."""
    if not findings or "noqa" not in text.lower():
        return list(findings), 0
    comments = _comment_lines(text)
    if not comments:
        return list(findings), 0
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        comment = comments.get(finding.noqa_row) if finding.noqa_row is not None else None
        if comment is not None and suppresses(comment, finding.code):
            suppressed += 1
            continue
        kept.append(finding)
    return kept, suppressed


def suppresses(comment: str, code: str) -> bool:
    """Whether the comment of a line suppresses a finding of `code` there (a bare `# noqa`, or one that names a
    prefix of the code)."""
    codes = codes_on(comment)
    return codes is None or any(code.startswith(named) for named in codes)
