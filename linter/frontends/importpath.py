"""Keep the linted repository's files off onnxlint's own import path.

`python -m onnxlint` (and editors that start the server that way in the workspace) put the working
folder on `sys.path`: a repository's `click.py`, `cattrs.py` or `libcst.py` would then be imported,
and run, in place of the real package the first time onnxlint imports it. Imports nothing but the
standard library, so `__main__` can call it before anything else is loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path


def forget_working_directory() -> None:
    """Take the working folder (and `""`, which means it) off `sys.path`. onnxlint's own modules are
    found through its package, whatever folder it was loaded from."""
    try:
        cwd = Path.cwd().resolve()
    except (OSError, RuntimeError):
        return

    def is_cwd(entry: str) -> bool:
        try:
            return not entry or Path(entry).resolve() == cwd
        except (OSError, RuntimeError, ValueError):
            return False

    sys.path[:] = [entry for entry in sys.path if not is_cwd(entry)]
