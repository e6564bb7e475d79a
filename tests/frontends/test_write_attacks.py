"""`--fix` writes only what it should, and file names cannot forge output lines.

Real files in tmp_path, the real CLI (a subprocess, or click's CliRunner where a fault or a race
has to be injected). These tests run as root in CI too: root writes any file and any folder, so
what must hold for root is tested as root. See docs/hardening.md.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from onnxlint.core import fixer, source
from onnxlint.frontends.runner import printable

from ..conftest import run_onnxlint

HAZARD = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'  # ONX501, with a safe fix
HAZARD_FIXED = 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\n'


def _invoke(*args: str):
    from click.testing import CliRunner

    from onnxlint.frontends.cli import main

    return CliRunner().invoke(main, ["--no-cache", "--format", "concise", *args])


def _temporary_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.name.endswith(".onnxlint-tmp")]


# -- 1. a file nobody may write is not rewritten --------------------------------------------------


def test_a_read_only_file_is_reported_and_left_alone_even_for_root(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(HAZARD, encoding="utf-8")
    path.chmod(0o444)
    result = run_onnxlint("--no-cache", "--fix", "--format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "model.py:1:1: E902 read-only file (mode 0444); not fixed" in result.stdout
    assert "model.py:2:21: ONX501" in result.stdout  # what was not fixed is still reported
    assert "(0 fixed, 2 remaining)" in result.stdout
    assert path.read_text(encoding="utf-8") == HAZARD and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert not _temporary_files(tmp_path)
    # --diff writes nothing: it still shows the fix.
    diff = run_onnxlint("--no-cache", "--diff", "model.py", cwd=tmp_path)
    assert diff.returncode == 1 and '+net.load_state_dict(torch.load("w.pth", weights_only=True))' in diff.stdout
    # A link to the read-only file is refused the same way; a writable file is fixed.
    (tmp_path / "link.py").symlink_to("model.py")
    (tmp_path / "ok.py").write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("--no-cache", "--fix", "--format", "concise", "link.py", "ok.py", cwd=tmp_path)
    assert "link.py:1:1: E902 read-only file (mode 0444); not fixed" in result.stdout
    assert path.read_text(encoding="utf-8") == HAZARD and (tmp_path / "ok.py").read_text() == HAZARD_FIXED


# -- 2. a symlink out of the linted folders -------------------------------------------------------


@pytest.fixture
def tree_with_a_link_out(tmp_path: Path) -> tuple[Path, Path]:
    """tree/link.py -> outside/secret.py; tree/alias.py -> tree/pkg/real.py (inside); tree/own.py."""
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "pkg").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.py").write_text(HAZARD, encoding="utf-8")
    (tree / "link.py").symlink_to("../outside/secret.py")
    (tree / "pkg" / "real.py").write_text(HAZARD, encoding="utf-8")
    (tree / "alias.py").symlink_to("pkg/real.py")
    (tree / "own.py").write_text(HAZARD, encoding="utf-8")
    return tree, outside


@pytest.mark.parametrize("jobs", ["1", "2"])  # 2: the limit travels to worker processes
def test_a_symlink_out_of_the_linted_folders_is_not_written(tree_with_a_link_out, jobs: str) -> None:
    tree, outside = tree_with_a_link_out
    result = run_onnxlint("--no-cache", "--fix", "-j", jobs, "--format", "concise", "tree", cwd=tree.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    target = os.path.realpath(outside / "secret.py")
    assert f"tree/link.py:1:1: E902 is a symlink to {target} outside the linted folders; not fixed" in result.stdout
    assert "tree/link.py:2:21: ONX501" in result.stdout  # read and linted all the same
    assert (outside / "secret.py").read_text(encoding="utf-8") == HAZARD
    assert (tree / "link.py").is_symlink()
    # Links within the tree and plain files are fixed.
    assert (tree / "pkg" / "real.py").read_text(encoding="utf-8") == HAZARD_FIXED
    assert (tree / "own.py").read_text(encoding="utf-8") == HAZARD_FIXED and (tree / "alias.py").is_symlink()
    assert not _temporary_files(tree, outside)


def test_a_symlink_named_on_the_command_line_is_written_through(tree_with_a_link_out) -> None:
    tree, outside = tree_with_a_link_out
    # --diff writes nothing anyway: it shows the change.
    diff = run_onnxlint("--no-cache", "--diff", "tree", cwd=tree.parent)
    assert diff.returncode == 1 and "--- a/tree/link.py" in diff.stdout
    assert (outside / "secret.py").read_text(encoding="utf-8") == HAZARD
    # Named itself (alone, or beside the folder holding it): writing its target is what was asked.
    result = run_onnxlint("--no-cache", "--fix", "tree", "tree/link.py", cwd=tree.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (outside / "secret.py").read_text(encoding="utf-8") == HAZARD_FIXED
    (outside / "secret.py").write_text(HAZARD, encoding="utf-8")
    assert run_onnxlint("--no-cache", "--fix", "tree/link.py", cwd=tree.parent).returncode == 0
    assert (outside / "secret.py").read_text(encoding="utf-8") == HAZARD_FIXED
    # Two folders named: a link from one into the other stays inside the linted folders.
    (outside / "secret.py").write_text(HAZARD, encoding="utf-8")
    assert run_onnxlint("--no-cache", "--fix", "tree", "outside", cwd=tree.parent).returncode == 0
    assert (outside / "secret.py").read_text(encoding="utf-8") == HAZARD_FIXED


def test_a_folder_named_through_a_symlink_is_fixed_but_links_in_it_are_not_followed(tmp_path: Path) -> None:
    """A folder named on the command line is linted and fixed where it really is (the user named
    it); symlinked folders inside it are not walked (docs/hardening.md)."""
    real = tmp_path / "elsewhere" / "project"
    real.mkdir(parents=True)
    (real / "m.py").write_text(HAZARD, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.py").write_text(HAZARD, encoding="utf-8")
    (real / "linked_folder").symlink_to(other, target_is_directory=True)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "proj").symlink_to(real, target_is_directory=True)
    result = run_onnxlint("--no-cache", "--fix", "proj", cwd=tmp_path / "work")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (real / "m.py").read_text(encoding="utf-8") == HAZARD_FIXED
    assert (other / "o.py").read_text(encoding="utf-8") == HAZARD


# -- 3. a read-only folder: the message says what failed ------------------------------------------


def test_a_read_only_folder_says_the_write_failed_not_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "model.py"
    path.write_text(HAZARD, encoding="utf-8")
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes into a 0555 folder: make the system refuse as it does for a user
        real_open = os.open

        def refusing_open(name, flags, *args, **kwargs):
            if flags & os.O_CREAT and str(name).endswith(".onnxlint-tmp"):
                raise PermissionError(errno.EACCES, "Permission denied", str(name))
            return real_open(name, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    try:
        result = _invoke("--fix", str(folder))
    finally:
        monkeypatch.undo()
        folder.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert (
        "model.py:1:1: E902 cannot write the fixed file: Permission denied (its folder is not writable); not fixed"
        in result.output
    )
    assert "cannot read" not in result.output
    assert path.read_text(encoding="utf-8") == HAZARD and [p.name for p in folder.iterdir()] == ["model.py"]


def test_a_full_disk_says_the_write_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.py"
    path.write_text(HAZARD, encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = _invoke("--fix", str(path))
    assert result.exit_code == 1
    assert "E902 cannot write the fixed file: No space left on device; not fixed" in result.output
    assert path.read_text(encoding="utf-8") == HAZARD and [p.name for p in tmp_path.iterdir()] == ["model.py"]


# -- 4. file names cannot forge output lines ------------------------------------------------------

EVIL = "x.py\n::error file=x.py::forged\r\x1b[2Jy\u202e.py"  # a newline, a workflow command, CR, ESC, RLO
EVIL_SHOWN = "x.py\\n::error file=x.py::forged\\r\\x1b[2Jy\\u202e.py"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # all but \t and \n


@pytest.fixture
def evil_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / EVIL).write_text(HAZARD, encoding="utf-8")
    outside = tmp_path / "out\n::error::side"
    outside.mkdir()
    (outside / "t.py").write_text(HAZARD, encoding="utf-8")
    (tree / "z\x1b]0;title\x07.py").symlink_to(outside / "t.py")  # its E902 names the outside path
    return tree


def test_printable_is_the_one_escaping_rule() -> None:
    assert printable("plain/ünïcode 名前.py") == "plain/ünïcode 名前.py"
    assert printable(EVIL) == EVIL_SHOWN
    assert printable("\udcff\x85\u2028\t\x7f") == "\\udcff\\x85\\u2028\\t\\x7f"
    assert printable("a\r\nb\x1b", keep="\r\n") == "a\r\nb\\x1b"


@pytest.mark.parametrize("output_format", ["text", "concise"])
def test_text_formats_escape_names_and_errors(evil_tree: Path, output_format: str) -> None:
    result = run_onnxlint("--no-cache", "--fix", "--format", output_format, ".", cwd=evil_tree)
    out = result.stdout
    assert result.returncode == 1 and not RAW_CONTROLS.search(out), out
    assert f"{EVIL_SHOWN}:2:21: ONX501" not in out  # it was fixed
    assert (evil_tree / EVIL).read_text(encoding="utf-8") == HAZARD_FIXED
    assert "z\\x1b]0;title\\x07.py:1:1: E902 is a symlink to " in out
    assert "out\\n::error::side/t.py outside the linted folders; not fixed" in out
    for line in out.splitlines():  # every line is ours: a location, a frame, a help or the summary
        assert not line.startswith("::"), line
    listing = run_onnxlint("--no-cache", "--format", output_format, "--select", "ONX501", ".", cwd=evil_tree.parent)
    # (the link and its target are one file, linted once, under the name met first)
    assert "out\\n::error::side/t.py:2:21: ONX501" in listing.stdout and not RAW_CONTROLS.search(listing.stdout)
    # The diff's header names the file escaped too.
    (evil_tree / EVIL).write_text(HAZARD, encoding="utf-8")
    diff = run_onnxlint("--no-cache", "--diff", EVIL, cwd=evil_tree)
    assert diff.stdout.startswith(f"--- a/{EVIL_SHOWN}\n+++ b/{EVIL_SHOWN}\n"), diff.stdout


def test_code_frames_show_control_characters_as_pictures(tmp_path: Path) -> None:
    """A source line is shown too: ESC (in a string literal) as ␛, C1 and bidi controls as �, one
    column each, so the carets stay under the call."""
    (tmp_path / "m.py").write_text('import torch\nstate = torch.load("\x1b[2J\x85\u202e")\n', encoding="utf-8")
    out = run_onnxlint("--no-cache", "m.py", cwd=tmp_path).stdout
    assert not RAW_CONTROLS.search(out)
    assert '2 | state = torch.load("␛[2J��")\n  |         ^^^^^^^^^^^^^^^^^^^^\n' in out, out


def _github_unescape(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_stay_one_command_per_line(evil_tree: Path) -> None:
    result = run_onnxlint("--no-cache", "--format", "github", "--fix", ".", cwd=evil_tree)
    lines = result.stdout.splitlines()
    assert not RAW_CONTROLS.search(result.stdout)
    assert len(lines) == 2 and all(line.startswith(("::error ", "::warning ")) for line in lines), lines
    error, warning = sorted(lines)
    assert "::z\\x1b]0;title\\x07.py:2:21: ONX501 " in warning  # the unfixed link's finding, named escaped
    # The E902 for the link: file= is the real name, but for ESC/BEL, shown escaped; the message one line.
    properties, _, message = error[len("::error ") :].partition("::")
    file = dict(item.split("=", 1) for item in properties.split(","))["file"]
    assert _github_unescape(file) == "z\\x1b]0;title\\x07.py"
    assert "out\\n::error::side/t.py outside the linted folders" in message and "\n" not in message
    assert _github_unescape(message).startswith("is a symlink to ")
    # The finding in the remaining file: the newline and CR in its name are GitHub's escapes, decoded
    # to the real name; the message names it escaped.
    (evil_tree / EVIL).write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("--no-cache", "--format", "github", EVIL, cwd=evil_tree)
    (line,) = result.stdout.splitlines()
    properties, _, message = line[len("::warning ") :].partition("::")
    file = properties.split(",file=", 1)[1].split(",line=", 1)[0]
    assert _github_unescape(file) == "x.py\n::error file=x.py::forged\r\\x1b[2Jy\\u202e.py"
    assert message.startswith(f"{EVIL_SHOWN.replace('%', '%25')}:2:21: ONX501")


def test_json_and_sarif_keep_the_exact_name(evil_tree: Path) -> None:
    result = run_onnxlint("--no-cache", "--format", "json", EVIL, cwd=evil_tree)
    (item,) = json.loads(result.stdout)
    assert item["filename"] == str(evil_tree / EVIL)
    result = run_onnxlint("--no-cache", "--format", "sarif", EVIL, cwd=evil_tree)
    document = json.loads(result.stdout)
    (finding,) = document["runs"][0]["results"]
    uri = finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert re.fullmatch(r"[A-Za-z0-9._~/%-]+", uri), uri  # a URI reference: every other byte percent-encoded
    assert unquote_to_bytes(uri) == os.fsencode(EVIL)


def test_names_that_are_not_utf8_never_crash_or_corrupt_the_output(tmp_path: Path) -> None:
    name = b"caf\xe9 #%?.py"  # latin-1 bytes in a UTF-8 world, and URI delimiters
    with open(os.path.join(os.fsencode(tmp_path), name), "w", encoding="utf-8") as stream:
        stream.write(HAZARD)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # a UTF-8 locale's strict stdout

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "onnxlint", "--no-cache", *args, "."],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=120,
        )

    for output_format in ("text", "concise", "github", "json", "sarif"):
        result = run("--format", output_format)
        assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
        text = result.stdout.decode("utf-8")  # valid UTF-8, whatever the name
        if output_format in ("text", "concise"):
            assert "caf\\udce9 #%?.py:2:21: ONX501" in text
        elif output_format == "json":
            (item,) = json.loads(text)
            assert os.fsencode(item["filename"]) == os.path.join(os.fsencode(tmp_path), name)
        elif output_format == "sarif":
            (finding,) = json.loads(text)["runs"][0]["results"]
            uri = finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert uri == "caf%E9%20%23%25%3F.py" and unquote_to_bytes(uri) == name
    result = run("--fix")
    assert result.returncode == 0 and (tmp_path / os.fsdecode(name)).read_text(encoding="utf-8") == HAZARD_FIXED


# -- 5. more write-path attacks -------------------------------------------------------------------


def test_a_hard_link_to_an_outside_file_gets_a_file_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    outside = tmp_path / "outside.py"
    outside.write_text(HAZARD, encoding="utf-8")
    os.link(outside, tmp_path / "tree" / "hard.py")
    assert run_onnxlint("--no-cache", "--fix", "tree", cwd=tmp_path).returncode == 0
    assert (tmp_path / "tree" / "hard.py").read_text(encoding="utf-8") == HAZARD_FIXED
    assert outside.read_text(encoding="utf-8") == HAZARD and outside.stat().st_nlink == 1


def test_devices_and_fifos_are_never_written_nor_waited_for(tmp_path: Path) -> None:
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.py")
    result = run_onnxlint("--no-cache", "--fix", "--format", "concise", "zero.py", "pipe.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert "zero.py:1:1: E902 not a regular file (a character device)" in result.stdout
    assert "pipe.py:1:1: E902 not a regular file (a FIFO)" in result.stdout
    assert (tmp_path / "zero.py").is_symlink() and stat.S_ISFIFO((tmp_path / "pipe.py").lstat().st_mode)


def _swap_folder_for_a_link(tree: Path, outside: Path) -> None:
    """tree/sub is moved away and replaced by a symlink to `outside` (which holds the same m.py)."""
    (tree / "sub").rename(tree / "sub_moved")
    (tree / "sub").symlink_to(outside, target_is_directory=True)


@pytest.fixture
def swap_tree(tmp_path: Path) -> tuple[Path, Path]:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "sub").mkdir(parents=True)
    outside.mkdir()
    (tree / "sub" / "m.py").write_text(HAZARD, encoding="utf-8")
    (outside / "m.py").write_text(HAZARD, encoding="utf-8")
    return tree, outside


def test_a_folder_swapped_for_a_symlink_after_the_read_is_not_followed(
    swap_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree, outside = swap_tree
    real_fix_source = fixer.fix_source

    def fix_then_swap(*args, **kwargs):  # between the read and the write
        result = real_fix_source(*args, **kwargs)
        _swap_folder_for_a_link(tree, outside)
        return result

    monkeypatch.setattr(fixer, "fix_source", fix_then_swap)
    result = _invoke("--fix", str(tree))
    assert result.exit_code == 1, result.output
    where = os.path.realpath(outside / "m.py")
    assert f"E902 resolves to {where}, outside the linted folders; not fixed" in result.output
    assert (outside / "m.py").read_text(encoding="utf-8") == HAZARD
    assert (tree / "sub_moved" / "m.py").read_text(encoding="utf-8") == HAZARD
    assert not _temporary_files(tree, outside)


def test_a_folder_swapped_after_the_temporary_file_is_written_keeps_the_write_in_place(
    swap_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is open: the rename happens in it, wherever it has been moved, never through the link."""
    tree, outside = swap_tree
    monkeypatch.setattr(source, "before_replace", lambda path: _swap_folder_for_a_link(tree, outside))
    result = _invoke("--fix", str(tree))
    assert (outside / "m.py").read_text(encoding="utf-8") == HAZARD, result.output
    assert sorted(p.name for p in outside.iterdir()) == ["m.py"]
    assert (tree / "sub_moved" / "m.py").read_text(encoding="utf-8") in (HAZARD, HAZARD_FIXED)
    assert not _temporary_files(tree, outside)


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to act as another user")
def test_another_users_file_in_a_shared_folder_is_not_taken_over() -> None:
    """A user may rename into a folder anyone can write (no sticky bit), but not take over a file
    they cannot write: it was replaced by a file of theirs, now it is refused. Run as `nobody`,
    in a forked child (the engine already imported: `nobody` cannot read root's Python)."""
    import shutil
    import tempfile

    from onnxlint.core.settings import LintSettings
    from onnxlint.frontends.runner import RunOptions, process_file

    folder = Path(tempfile.mkdtemp(prefix="onnxlint-shared-"))
    try:
        folder.chmod(0o777)
        (folder / "warm.py").write_text(HAZARD, encoding="utf-8")
        process_file(folder / "warm.py", LintSettings(), RunOptions(fix=True))  # imports everything a fix needs
        path = folder / "model.py"
        path.write_text(HAZARD, encoding="utf-8")
        path.chmod(0o644)  # root's, readable by all
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's coverage is not collected)
            try:
                os.setegid(65534)
                os.seteuid(65534)
                outcome = process_file(path, LintSettings(), RunOptions(fix=True))
                os.write(write_end, json.dumps([outcome.error, outcome.written]).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as stream:
            reply = stream.read()
        os.waitpid(child, 0)
        assert json.loads(reply) == ["the file is not writable by this user (mode 0644); not fixed", False]
        assert path.read_text(encoding="utf-8") == HAZARD and path.stat().st_uid == 0
        assert sorted(p.name for p in folder.iterdir()) == ["model.py", "warm.py"]
    finally:
        shutil.rmtree(folder)
