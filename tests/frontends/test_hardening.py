"""Issue 8, hardening: bad inputs, exit codes, no user code, untrusted checkpoints, concurrent runs.

Everything runs the real CLI (a subprocess, or click's CliRunner where torch would be imported
again and again) or the real language server on real files in tmp_path. See docs/hardening.md.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from onnxlint.core import source
from onnxlint.core.source import FileNotWrittenError, read_source_file, write_atomically

from ..conftest import FIXTURES, run_onnxlint

HAZARD = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'
HAZARD_FIXED = 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\n'


def _concise(result: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """`--format concise` output as {display path: [the rest of each line]}."""
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("Found ") or not line.strip():
            continue
        path, _, rest = line.partition(":")
        lines.setdefault(path, []).append(rest)
    return lines


def _deep_chain(terms: int) -> str:
    """A model whose one expression nests `terms` levels deep (`x + x + ...`), then a hazard."""
    return (
        "import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n"
        f"        y = {' + '.join(['x'] * terms)}\n"
        "        return y\n\n\n"
        'net.load_state_dict(torch.load("w.pth"))\n'
    )


def _bad_tree(root: Path) -> None:
    """Every kind of bad input of issue 8 in one folder, beside two good files."""
    (root / "good.py").write_text(HAZARD, encoding="utf-8")
    (root / "empty.py").write_bytes(b"")
    (root / "binary.py").write_bytes(b"\x00\x01\x02\xff\xfe" * 200)
    (root / "random_bytes.py").write_bytes(random.Random(8).randbytes(4096))
    (root / "latin1.py").write_bytes(
        'import torch\n# café\nnet.load_state_dict(torch.load("w.pth"))\n'.encode("latin-1")
    )
    (root / "nul_inside.py").write_bytes(b'import torch\nnet.load_state_dict(torch.load("w.pth"))\x00\ny = 1\n')
    (root / "mixed_newlines.py").write_bytes(b'import torch\r\nx = 1\nnet.load_state_dict(torch.load("w.pth"))\r\n')
    (root / "tabs.py").write_bytes(b'import torch\n\x0cif True:\n\tx = 1\n        y = torch.load("w.pth")\n')
    (root / "parens.py").write_text("import torch\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n", encoding="utf-8")
    (root / "long_sum.py").write_text("import torch\nx = " + "+".join(["1"] * 100_000) + "\n", encoding="utf-8")
    (root / "deep_chain.py").write_text(_deep_chain(1500), encoding="utf-8")
    with open(root / "huge.py", "w", encoding="utf-8") as stream:  # 10 MB of hazards
        stream.write("import torch\n")
        line = 'net.load_state_dict(torch.load("w.pth"))  # a generated line of hazards, padded to a realistic width\n'
        stream.write(line * (10_000_000 // len(line)))
    (root / "dir.py").mkdir()
    (root / "dir.py" / "inside.py").write_text(HAZARD, encoding="utf-8")
    (root / "loop").mkdir()
    (root / "loop" / "self").symlink_to(".")  # a link to its own folder
    (root / "a.py").symlink_to("b.py")
    (root / "b.py").symlink_to("a.py")
    (root / "dangling.py").symlink_to("nowhere.py")
    (root / "io_error.py").symlink_to("/proc/self/mem")  # a regular file whose read fails (EIO), even for root
    os.mkfifo(root / "fifo.py")  # reading it would block forever: skipped when walked


# display path -> (code, a fragment of the message); every bad file is exactly one line.
EXPECTED_BAD = {
    "binary.py": ("E902", "binary file (it contains NUL bytes), not Python source"),
    "random_bytes.py": ("E902", "binary file"),
    "latin1.py": ("E902", "not valid UTF-8: byte 0xe9 on line 2; declare the file's encoding (PEP 263"),
    "nul_inside.py": ("ONX000", "null bytes"),
    "tabs.py": ("ONX000", "inconsistent use of tabs and spaces"),
    "parens.py": ("ONX000", "too many nested parentheses"),
    "long_sum.py": ("ONX000", "nests too deeply to be linted"),
    "huge.py": ("E902", "file too large to lint (9.5 MiB, over the 4.0 MiB limit of --max-file-size)"),
    "a.py": ("E902", "cannot read: Too many levels of symbolic links (a symlink loop)"),
    "b.py": ("E902", "cannot read: Too many levels of symbolic links (a symlink loop)"),
    "dangling.py": ("E902", "cannot read: No such file or directory"),
    "io_error.py": ("E902", "cannot read: Input/output error"),
}
LINTED = {
    "good.py": ":2:21: ONX501",
    "mixed_newlines.py": ":3:21: ONX501",
    "deep_chain.py": ":10:21: ONX501",  # 1,500 levels: linted on a deeper stack, not refused
    "dir.py/inside.py": ":2:21: ONX501",  # a folder named x.py is a folder
}


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    _bad_tree(root)
    return root


def test_bad_inputs_are_one_line_each_and_the_rest_is_linted(bad_tree: Path) -> None:
    started = time.monotonic()
    result = run_onnxlint("--no-cache", "--format", "concise", ".", "missing.py", "fifo.py", cwd=bad_tree)
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr and result.stderr == "", result.stderr
    assert result.returncode == 1, result.stdout
    lines = _concise(result)
    for name, (code, fragment) in EXPECTED_BAD.items():
        assert len(lines.get(name, [])) == 1, (name, lines.get(name))
        assert f" {code} " in lines[name][0] and fragment in lines[name][0], (name, lines[name])
    for name, expected in LINTED.items():
        assert any(line.startswith(expected[1:]) for line in lines[name]), (name, lines[name])
    assert lines["missing.py"] == ["1:1: E902 cannot read: No such file or directory"]
    assert lines["fifo.py"] == ["1:1: E902 not a regular file (a FIFO)"]  # named: reported; walked: skipped
    assert "empty.py" not in lines and "loop/self" not in " ".join(lines)
    assert elapsed < 20, f"bad inputs took {elapsed:.1f} s"


def test_bad_inputs_with_workers_cache_and_fix(bad_tree: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in bad_tree.iterdir() if p.is_file() and not p.is_symlink()}
    cache = tmp_path / "cache"
    for args in (("-j", "2", "--cache-dir", str(cache)), ("--cache-dir", str(cache))):  # cold then warm
        result = run_onnxlint("--format", "concise", *args, ".", cwd=bad_tree)
        assert result.stderr == "" and result.returncode == 1
        assert {name: len(found) for name, found in _concise(result).items() if name in EXPECTED_BAD} == dict.fromkeys(
            EXPECTED_BAD, 1
        )
    fixed = run_onnxlint("--fix", "--unsafe-fixes", "--no-cache", "--format", "concise", ".", cwd=bad_tree)
    assert fixed.stderr == "" and fixed.returncode == 1  # the bad files are still reported
    after = {p.name: p.read_bytes() for p in bad_tree.iterdir() if p.name in before}
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["deep_chain.py", "good.py", "mixed_newlines.py"], changed
    assert (
        after["mixed_newlines.py"]
        == b'import torch\r\nx = 1\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\r\n'
    )
    assert ast.parse(after["deep_chain.py"]) and b'torch.load("w.pth", weights_only=True)' in after["deep_chain.py"]
    assert not [p for p in bad_tree.rglob("*.onnxlint-tmp")]
    # --max-file-size 0 lints every size (here a 1 MB file, quickly).
    (bad_tree / "mid.py").write_text(HAZARD * 20_000, encoding="utf-8")
    result = run_onnxlint("--no-cache", "--max-file-size", "0", "-q", "mid.py", cwd=bad_tree)
    assert result.returncode == 1 and "Found 20000 warnings" in result.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file (io_error.py covers a failing read)")
def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "locked.py").write_text(HAZARD, encoding="utf-8")
    (tmp_path / "locked.py").chmod(0)
    (tmp_path / "good.py").write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("--no-cache", "--format", "concise", ".", cwd=tmp_path)
    assert _concise(result)["locked.py"] == ["1:1: E902 cannot read: Permission denied"]
    assert "good.py" in _concise(result) and result.returncode == 1


def test_stdin_bad_bytes_and_deep_code(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onnxlint", "-", "--stdin-filename", "m.py"],
        input=b'import torch\nx = "\xff"\n',
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1 and b"E902 not valid UTF-8: byte 0xff on line 2" in result.stdout
    assert b"Traceback" not in result.stderr
    deep = run_onnxlint("-", "--fix", "--stdin-filename", "m.py", input=_deep_chain(1500))
    assert deep.returncode == 0 and deep.stdout == _deep_chain(1500).replace('"w.pth")', '"w.pth", weights_only=True)')


# -- exit codes -----------------------------------------------------------------------------------


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("import torch\n", encoding="utf-8")
    (tmp_path / "dirty.py").write_text(HAZARD, encoding="utf-8")
    (tmp_path / "broken.py").write_text("import torch\ndef f(:\n", encoding="utf-8")
    (tmp_path / "binary.py").write_bytes(b"\x00\xff" * 10)
    cases = [
        (0, ("clean.py",)),
        (1, ("dirty.py",)),
        (1, ("broken.py",)),  # ONX000, like ruff's syntax errors
        (1, ("binary.py",)),  # E902, like ruff's io-error
        (1, ("missing.py",)),
        (0, ("--exit-zero", "dirty.py", "binary.py")),
        (1, ("--diff", "binary.py", "clean.py")),  # not checked is not clean
        (0, ("--diff", "clean.py")),
        (2, ("--select", "NOPE", "clean.py")),
        (2, ("--format", "xml", "dirty.py")),
        (2, ("--config", "missing.toml", "clean.py")),
        (2, ("--exit-zero", "--select", "NOPE", "clean.py")),
    ]
    for code, args in cases:
        result = run_onnxlint("--no-cache", *args, cwd=tmp_path)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.onnxlint]\nbogus = 1\n", encoding="utf-8")
    result = run_onnxlint("--no-cache", "clean.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("onnxlint: error:") and "bogus" in result.stderr


# -- fixing: the write path -----------------------------------------------------------------------


def test_a_write_racing_the_fix_is_kept_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.py"
    path.write_text(HAZARD, encoding="utf-8")
    path.chmod(0o640)
    seen: list[list[str]] = []

    def editor_saves(target: Path) -> None:  # a real write, after the temp file exists, before the replace
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        target.write_text(HAZARD + "# typed in the editor\n", encoding="utf-8")

    monkeypatch.setattr(source, "before_replace", editor_saves)
    from click.testing import CliRunner

    from onnxlint.frontends.cli import main

    result = CliRunner().invoke(main, ["--fix", "--no-cache", "--format", "concise", str(path)])
    assert result.exit_code == 1, result.output
    assert "the file changed on disk since onnxlint read it; not written" in result.output
    assert path.read_text(encoding="utf-8") == HAZARD + "# typed in the editor\n"
    # The temporary file was in the same folder, and is gone.
    assert len(seen) == 1 and seen[0][0].startswith(".model.py.") and seen[0][0].endswith(".onnxlint-tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]

    # Without the racing write: fixed, mode kept.
    monkeypatch.setattr(source, "before_replace", None)
    path.write_text(HAZARD, encoding="utf-8")
    path.chmod(0o640)
    assert CliRunner().invoke(main, ["--fix", "--no-cache", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == HAZARD_FIXED and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_failed_writes_leave_the_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n" + HAZARD.encode())
    contents = read_source_file(path)
    with pytest.raises(FileNotWrittenError, match="cannot be encoded as iso-8859-1"):
        write_atomically(contents, contents.text + "# ≥\n")

    def interrupted(target: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(source, "before_replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(contents, contents.text.replace('"w.pth")', '"w.pth", weights_only=True)'))
    assert path.read_bytes() == contents.raw and [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_a_real_concurrent_writer_never_loses_its_change(tmp_path: Path) -> None:
    """An editor saves while `onnxlint --fix` runs (a subprocess): the file ends as the editor's
    text, or as the fix of the editor's text when the save came before the read, never as the fix
    of the old text; and when onnxlint saw the change it says so."""
    original = "import torch\n" + 'net.load_state_dict(torch.load("w.pth"))\n' * 2000
    edited = original + "# saved by the editor\n"
    edited_fixed = edited.replace('"w.pth")', '"w.pth", weights_only=True)')
    path = tmp_path / "model.py"
    for delay in (0.0, 0.4, 0.8, 1.2):
        path.write_text(original, encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "onnxlint", "--fix", "--no-cache", "-q", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        path.write_text(edited, encoding="utf-8")
        stdout, stderr = process.communicate(timeout=120)
        final = path.read_text(encoding="utf-8")
        assert final in (edited, edited_fixed), (delay, final[-200:], stdout, stderr)
        assert "Traceback" not in stderr
        if "changed on disk" in stdout:
            assert final == edited
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


# -- two --fix runs at once -----------------------------------------------------------------------


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_concurrent_fix_runs_never_corrupt_a_file(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(FIXTURES, reference)
    single = run_onnxlint("--fix", "--unsafe-fixes", "--no-cache", "-q", str(reference))
    assert single.returncode == 1 and "Traceback" not in single.stderr
    expected = _tree_bytes(reference)
    cache = tmp_path / "shared-cache"
    for round_, cached in enumerate((False, False, True)):
        tree = tmp_path / f"round{round_}"
        shutil.copytree(FIXTURES, tree)
        args = ("--cache-dir", str(cache)) if cached else ("--no-cache",)
        command = [sys.executable, "-m", "onnxlint", "--fix", "--unsafe-fixes", "-q", *args, str(tree)]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for run in runs:
            stdout, stderr = run.communicate(timeout=120)
            assert run.returncode == 1 and "Traceback" not in stderr, stdout + stderr
        assert _tree_bytes(tree) == expected, round_
        assert not [p for p in tree.rglob("*") if p.name.endswith(".onnxlint-tmp")]
        for name, data in _tree_bytes(tree).items():
            if name.endswith(".py") and "broken_syntax" not in name:
                ast.parse(data)
    from onnxlint.frontends.cache import FORMAT, signing_key, verified_payload

    cache_files = list(cache.rglob("*.json"))
    payloads = [verified_payload(signing_key(), p.read_bytes()) for p in cache_files]
    assert cache_files and all(p is not None and json.loads(p)["format"] == FORMAT for p in payloads)
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]


# -- the static layer runs no user code -----------------------------------------------------------

SIDE_EFFECT = 'import pathlib\npathlib.Path(__file__).with_name("{marker}").write_text("ran")\n'


def _booby_trapped_package(root: Path) -> list[Path]:
    """Files that each write a marker next to themselves when imported or executed."""
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(SIDE_EFFECT.format(marker="RAN-init"), encoding="utf-8")
    (package / "conftest.py").write_text(SIDE_EFFECT.format(marker="RAN-conftest"), encoding="utf-8")
    (package / "model.py").write_text(
        SIDE_EFFECT.format(marker="RAN-toplevel") + "import torch\nfrom torch import nn\n\n\n"
        "class Meta(type):\n"
        "    def __new__(mcs, name, bases, namespace):\n"
        '        pathlib.Path(__file__).with_name("RAN-metaclass").write_text("ran")\n'
        "        return super().__new__(mcs, name, bases, namespace)\n\n\n"
        "def register(cls):\n"
        '    pathlib.Path(__file__).with_name("RAN-decorator").write_text("ran")\n'
        "    return cls\n\n\n"
        "@register\n"
        "class Net(nn.Module, metaclass=Meta):\n"
        "    def forward(self, x):\n"
        "        if x.sum() > 0:\n"
        "            return x.item()\n"
        "        return x\n\n\n"
        'net.load_state_dict(torch.load("w.pth"))\n',
        encoding="utf-8",
    )
    (root / "export.py").write_text(
        SIDE_EFFECT.format(marker="RAN-script") + "import torch\nfrom pkg.model import Net\n\n"
        'torch.onnx.export(Net(), (torch.randn(1, 3),), "m.onnx", opset_version=11, dynamo=False)\n',
        encoding="utf-8",
    )
    return [package / "model.py", root / "export.py"]


def _markers(root: Path) -> list[Path]:
    return sorted(root.rglob("RAN-*"))


def test_the_cli_runs_no_user_code(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _booby_trapped_package(root)
    # A torch that must not be imported either: the static layer reads torch's files, never imports it.
    tripwire = tmp_path / "tripwire" / "torch"
    tripwire.mkdir(parents=True)
    (tripwire / "__init__.py").write_text(SIDE_EFFECT.format(marker="RAN-torch") + "raise ImportError\n")
    env = {**os.environ, "PYTHONPATH": str(tripwire.parent)}
    cache = tmp_path / "cache"
    variants = [
        ("--no-cache",),
        ("--cache-dir", str(cache)),
        ("--cache-dir", str(cache), "-j", "2"),
        ("--diff", "--cache-dir", str(cache)),
        ("--fix", "--no-cache", "-j", "2"),
        ("--fix", "--unsafe-fixes", "--cache-dir", str(cache)),
    ]
    for args in variants:
        result = subprocess.run(
            [sys.executable, "-m", "onnxlint", *args, "."], cwd=root, env=env, capture_output=True, text=True
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "ONX201" in result.stdout or "--diff" in args or "--fix" in args, result.stdout
        assert _markers(tmp_path) == [], args
    assert "weights_only=True" in (root / "pkg" / "model.py").read_text(encoding="utf-8")  # the fixes did run


def test_the_language_server_runs_no_user_code_and_survives_deep_files(tmp_path: Path) -> None:
    pytest.importorskip("pygls")
    from lsprotocol import types

    from ..lsp_client import EditorClient

    root = tmp_path / "project"
    root.mkdir()
    model, script = _booby_trapped_package(root)
    deep = root / "deep.py"
    deep.write_text(_deep_chain(1500), encoding="utf-8")
    too_deep = root / "too_deep.py"
    too_deep.write_text("import torch\nx = " + "+".join(["1"] * 100_000) + "\n", encoding="utf-8")

    async def scenario() -> None:
        editor = await EditorClient.start(root)
        for path in (model, script, root / "pkg" / "__init__.py", root / "pkg" / "conftest.py"):
            uri = editor.open(path)
            diagnostics = await editor.diagnostics(uri, version=1)
            if path == model:
                assert {d.code for d in diagnostics} >= {"ONX201", "ONX501"}
                await editor.code_actions(uri, diagnostics)
                await editor.code_actions(uri, [], only=["source.fixAll.onnxlint"])
            editor.save(uri)
        uri = editor.open(deep)
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["ONX501"]
        actions = await editor.code_actions(uri, [], only=["source.fixAll.onnxlint"])
        assert actions and actions[0].edit is not None
        uri = editor.open(too_deep)
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["ONX000"] and "nests too deeply" in diagnostics[0].message
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error
        assert await editor.shutdown() == 0

    asyncio.run(asyncio.wait_for(scenario(), 240))
    assert _markers(tmp_path) == []


def test_lint_source_survives_every_depth() -> None:
    from onnxlint.core.engine import lint_source
    from onnxlint.core.fixer import fix_source

    for terms in (10, 900, 2000):
        result = lint_source(_deep_chain(terms), "deep.py")
        assert [f.code for f in result.findings] == ["ONX501"], terms
    for terms in (3500, 100_000):
        result = lint_source(_deep_chain(terms), "deep.py")
        assert [f.code for f in result.findings] == ["ONX000"] and not result.parsed
    fixed = fix_source(_deep_chain(900), "deep.py")
    assert fixed.changed and "weights_only=True" in fixed.text
    # A long elif chain, as generated dispatch code has, is linted too.
    chain = (
        "import torch\n\ndef f(x, k):\n    if k == 0:\n        y = 0\n"
        + "".join(f"    elif k == {i}:\n        y = {i}\n" for i in range(1, 1500))
        + '    return torch.load("w.pth")\n'
    )
    assert [f.code for f in lint_source(chain, "elif.py").findings] == ["ONX501"]


def test_threaded_callers_get_the_same_deep_results() -> None:
    """An embedding application may lint from several threads: the deep-file retry changes the
    process-wide recursion limit, which must never break (SystemError) or kill (a fatal stack
    overflow) another thread's lint. Found in CI with two threads; three threads, five rounds."""
    from onnxlint.core.engine import lint_source

    expected = [f.code for f in lint_source(_deep_chain(1200), "d.py").findings]
    assert "ONX501" in expected
    for _round in range(5):
        results: list[list[str]] = []
        errors: list[BaseException] = []

        def lint(results: list[list[str]] = results, errors: list[BaseException] = errors) -> None:
            try:
                results.append([f.code for f in lint_source(_deep_chain(1200), "d.py").findings])
            except BaseException as error:  # reported below, on the test's thread
                errors.append(error)

        threads = [threading.Thread(target=lint) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors and results == [expected] * 3


# -- untrusted checkpoints (torch) ----------------------------------------------------------------

NET = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)
"""


class _OpensAFile:
    marker = ""

    def __reduce__(self):  # unpickling this calls open(marker, "w")
        return (open, (self.marker, "w"))


class _RunsAShell:
    marker = ""

    def __reduce__(self):  # unpickling this runs a shell command
        return (os.system, (f"touch {self.marker}",))


def _checkpoints(tmp_path: Path) -> dict[str, Path]:
    import torch

    folder = tmp_path / "checkpoints"
    folder.mkdir()
    good = folder / "good.pth"
    torch.save({f"fc.{k}": v for k, v in torch.nn.Linear(3, 2).state_dict().items()}, good)
    files = {"good": good}
    opens, shell = _OpensAFile(), _RunsAShell()
    opens.marker = str(tmp_path / "PWNED-open")
    shell.marker = str(tmp_path / "PWNED-shell")
    files["opens"] = folder / "opens.pth"
    torch.save({"fc.weight": opens}, files["opens"])
    files["shell"] = folder / "shell.pth"
    torch.save(shell, files["shell"], _use_new_zipfile_serialization=False)
    files["truncated"] = folder / "truncated.pth"
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["text"] = folder / "notes.pth"
    files["text"].write_text("epoch 10: loss 0.1\n", encoding="utf-8")
    files["zip"] = folder / "other.zip"
    with zipfile.ZipFile(files["zip"], "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")
    files["onnx"] = folder / "model.onnx"
    files["onnx"].write_bytes(b"\x08\x07\x12\x07pytorch\x1a\x032.1:\x02\n\x00")
    files["empty"] = folder / "empty.pth"
    files["empty"].write_bytes(b"")
    files["folder"] = folder / "folder.pth"
    files["folder"].mkdir()
    return files


CHECKPOINT_MESSAGES = {
    "opens": "was refused (it names `io.open`, which unpickling would call); nothing from it was run",
    "shell": "was refused (it names `posix.system`, which unpickling would call); nothing from it was run",
    "truncated": "could not be read as a torch checkpoint: it is truncated or corrupted",
    "text": "could not be read as a torch checkpoint: it is not a file written by torch.save",
    "zip": "could not be read as a torch checkpoint: it is a zip archive but not one written by torch.save",
    "onnx": "could not be read as a torch checkpoint: it looks like an ONNX model",
    "empty": "could not be read as a torch checkpoint: it is empty",
    "folder": "is not a file",
}


@pytest.mark.export
def test_bad_checkpoints_exit_2_with_one_line_and_run_nothing(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from onnxlint.frontends.cli import main

    model = tmp_path / "net.py"
    model.write_text(NET + 'open(__file__ + ".RAN", "w")\n', encoding="utf-8")  # the model module is not imported
    files = _checkpoints(tmp_path)
    runner = CliRunner()
    for name, fragment in CHECKPOINT_MESSAGES.items():
        for command in (
            ["check", str(model), "--model", "Net()", "--input", "2x3", "--isolated", "--no-cache"],
            ["export", str(model), "--model", "Net()", "--input", "2x3", "--isolated", "--no-lint"],
        ):
            result = runner.invoke(main, [*command, "--weights", str(files[name])])
            assert result.exit_code == 2, (name, command[0], result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit)
            lines = result.stderr.strip().splitlines() if hasattr(result, "stderr") else result.output.splitlines()
            assert len(lines) == 1 and lines[0].startswith("onnxlint: error: "), (name, lines)
            assert fragment in lines[0], (name, lines[0])
            assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("PWNED") or p.name.endswith(".RAN")) == []


@pytest.mark.export
def test_a_code_running_pickle_is_refused_by_the_real_cli(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    model = tmp_path / "net.py"
    model.write_text(NET, encoding="utf-8")
    files = _checkpoints(tmp_path)
    for command in ("check", "export"):
        result = run_onnxlint(
            command, str(model), "--model", "Net()", "--input", "2x3", "--isolated", "--weights", str(files["shell"])
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "nothing from it was run" in result.stderr
    assert not (tmp_path / "PWNED-shell").exists()
    # The good checkpoint loads (the check is not simply refusing everything).
    ok = run_onnxlint(
        "check", str(model), "--model", "Net()", "--input", "2x3", "--isolated", "--weights", str(files["good"])
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
