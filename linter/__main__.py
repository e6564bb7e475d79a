"""`python -m onnxlint`: the same as the `onnxlint` command (which has no working folder on its path)."""

from onnxlint.importpath import forget_working_directory

forget_working_directory()  # before click, libcst or a rule is imported: see onnxlint.importpath

from onnxlint.cli import main  # noqa: E402

main()
