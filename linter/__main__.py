"""`python -m onnxlint`: the same as the `onnxlint` command.

`python -m` puts the current folder first on the import path, so a linted repository's `click.py`,
`cattrs.py` or `libcst.py` would be imported (and run) in place of the real package. The console
script has no such entry; drop it here too, before anything else is imported.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from onnxlint.cli import main

main()
