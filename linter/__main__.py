"""`python -m onnxlint`: the same as the `onnxlint` command (which has no working folder on its path)."""

from onnxlint.frontends.importpath import forget_working_directory

forget_working_directory()  # before click, libcst or a rule is imported: see onnxlint.frontends.importpath

from onnxlint.frontends.cli import main  # noqa: E402

main()
