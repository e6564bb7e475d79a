"""The results cache in a repository someone else controls: nothing committed there is trusted.

A cloned repository may hold a `.onnxlint_cache` of its author's making: symlinks into the user's
files, entries whose findings were emptied, files built to crash the parser. Each test plants one
such thing in a real folder and runs the real command line (or the runner) over it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import onnxlint
import onnxlint.rules
from onnxlint.core.settings import LintSettings, Selection
from onnxlint.frontends import cache as cache_module
from onnxlint.frontends.cache import (
    KEY_DIR_ENV,
    LintCache,
    fingerprint_folders,
    run_key,
    sign,
    signing_key,
    verified_payload,
)
from onnxlint.frontends.files import Excluder, discover
from onnxlint.frontends.runner import RunOptions, run

from ..conftest import REPO, run_onnxlint

MODEL = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            x = x * 2
        return x
"""
CLEAN = "x = 1\n"
IS_ROOT = sys.platform != "win32" and os.geteuid() == 0


@pytest.fixture(autouse=True)
def key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has its own signing key (the CLI subprocesses inherit the environment)."""
    folder = tmp_path / "user-cache" / "onnxlint"
    monkeypatch.setenv(KEY_DIR_ENV, str(folder))
    monkeypatch.delenv("ONNXLINT_CACHE_DIR", raising=False)
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A cloned repository: one file with a finding (ONX201), one clean file."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "model.py").write_text(MODEL, encoding="utf-8")
    (root / "clean.py").write_text(CLEAN, encoding="utf-8")
    return root


def _lint(repo: Path) -> list[str]:
    """Plain `onnxlint .` in the repository (the default cache: <repo>/.onnxlint_cache); the codes found."""
    result = run_onnxlint("--isolated", "--format", "json", ".", cwd=repo)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.stdout, result.stderr)
    return [item["code"] for item in json.loads(result.stdout)]


def _cache_file(repo: Path) -> Path:
    (path,) = (repo / ".onnxlint_cache" / onnxlint.__version__).glob("*.json")
    return path


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under `folder` (links as their targets, not followed), to compare before and after."""
    found: dict[str, bytes | str] = {}
    for current, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(current) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[relative] = "-> " + os.readlink(path)
            elif path.is_file():
                found[relative] = path.read_bytes()
            else:
                found[relative] = "<dir>"
    return found


def test_the_model_has_a_finding_and_a_normal_run_writes_only_inside_the_cache_folder(tmp_path, repo, key_dir):
    outside = _tree(tmp_path)
    assert _lint(repo) == ["ONX201"]
    assert _lint(repo) == ["ONX201"]  # warm
    after = _tree(tmp_path)
    added = {name for name in after if name not in outside}
    assert added and all(name.startswith(("repo/.onnxlint_cache", "user-cache")) for name in added), added
    assert {name for name in added if name.startswith("user-cache")} == {
        "user-cache",
        "user-cache/onnxlint",
        "user-cache/onnxlint/key",
    }
    assert verified_payload(signing_key(), _cache_file(repo).read_bytes()) is not None
    if sys.platform != "win32":
        assert (key_dir / "key").stat().st_mode & 0o777 == 0o600


# -- 1. committed symlinks in place of the cache folder's markers ----------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlinked_markers_are_never_written_through(tmp_path, repo):
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n", encoding="utf-8")
    elsewhere = tmp_path / "created-by-the-attacker"
    folder = repo / ".onnxlint_cache"
    folder.mkdir()
    (folder / "CACHEDIR.TAG").symlink_to(victim)
    (folder / ".gitignore").symlink_to(elsewhere)  # dangling
    before = _tree(tmp_path)

    assert _lint(repo) == ["ONX201"]
    assert _lint(repo) == ["ONX201"]
    assert victim.read_text(encoding="utf-8") == "the user's own file\n"
    assert not os.path.lexists(elsewhere)
    after = _tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("user-cache")} == before  # nothing written at all


# -- 2. the cache folder, the version folder or the cache file is a symlink ------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
@pytest.mark.parametrize("part", ["cache folder", "version folder"])
def test_a_symlinked_cache_folder_is_neither_read_nor_written(tmp_path, repo, part):
    outside = tmp_path / "outside"
    outside.mkdir()
    if part == "cache folder":
        (repo / ".onnxlint_cache").symlink_to(outside, target_is_directory=True)
    else:
        (repo / ".onnxlint_cache").mkdir()
        (repo / ".onnxlint_cache" / onnxlint.__version__).symlink_to(outside, target_is_directory=True)

    assert _lint(repo) == ["ONX201"]
    assert _lint(repo) == ["ONX201"]
    assert list(outside.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlinked_cache_file_is_neither_read_nor_replaced(tmp_path, repo):
    assert _lint(repo) == ["ONX201"]
    cache_file = _cache_file(repo)
    # The link points at a file signed with the user's own key that claims the model is clean
    # (the user's cache of another checkout, say): it is still not read.
    clean_copy = tmp_path / "elsewhere.json"
    payload = json.loads(verified_payload(signing_key(), cache_file.read_bytes()))
    for entry in payload["entries"].values():
        entry[1] = []
    clean_copy.write_bytes(sign(signing_key(), json.dumps(payload).encode()))
    target_bytes = clean_copy.read_bytes()
    cache_file.unlink()
    cache_file.symlink_to(clean_copy)

    assert _lint(repo) == ["ONX201"]
    assert cache_file.is_symlink()
    assert clean_copy.read_bytes() == target_bytes


# -- 3. a committed entry with its findings emptied ------------------------------------------------


def _forge(content: bytes, how: str) -> bytes:
    """The cache file's content with every entry's findings emptied, `how` the attacker signs it."""
    mac, _, payload = content.partition(b"\n")
    data = json.loads(payload)
    for entry in data["entries"].values():
        entry[1] = []
    forged = json.dumps(data, separators=(",", ":")).encode()
    if how == "old MAC kept":
        return mac + b"\n" + forged
    if how == "signed with the attacker's key":
        return sign(os.urandom(32), forged)
    if how == "unsigned (the old format)":
        data["format"] = 1
        return json.dumps(data).encode()
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["old MAC kept", "signed with the attacker's key", "unsigned (the old format)"])
def test_a_forged_entry_is_ignored_and_replaced(repo, how):
    assert _lint(repo) == ["ONX201"]
    cache_file = _cache_file(repo)
    cache_file.write_bytes(_forge(cache_file.read_bytes(), how))

    assert _lint(repo) == ["ONX201"]  # not "All checks passed!"
    payload = verified_payload(signing_key(), cache_file.read_bytes())
    assert payload is not None, "replaced by a file signed with the user's key"
    assert any(entry[1] for entry in json.loads(payload)["entries"].values())
    assert _lint(repo) == ["ONX201"]


# -- 4. a cache file built to crash the parser -----------------------------------------------------


@pytest.mark.parametrize("signed", [False, True])
def test_a_deeply_nested_cache_file_does_not_crash_the_run(repo, signed):
    assert _lint(repo) == ["ONX201"]
    cache_file = _cache_file(repo)
    nested = b"[" * 200_000
    # Signed with the user's own key, the bytes reach the JSON parser (its RecursionError is caught).
    cache_file.write_bytes(sign(signing_key(), nested) if signed else nested)

    assert _lint(repo) == ["ONX201"]
    assert verified_payload(signing_key(), cache_file.read_bytes()) is not None  # replaced
    assert _lint(repo) == ["ONX201"]


def test_an_absurdly_large_cache_file_is_not_read(repo, tmp_path, monkeypatch):
    files = list(discover([repo], Excluder((), repo)))
    settings = LintSettings(selection=Selection(select=("ALL",)), project_root=str(repo))
    options = RunOptions(cache=True, cache_dir=tmp_path / "cache")
    run(files, settings, options)
    assert all(o.cached for o in run(files, settings, options))
    monkeypatch.setattr(cache_module, "_MAX_FILE_BYTES", 100)
    again = run(files, settings, options)
    assert not any(o.cached for o in again)
    assert [f.code for o in again for f in o.findings] == ["ONX201"]


def test_a_damaged_signed_entry_is_linted_again(repo):
    assert _lint(repo) == ["ONX201"]
    cache_file = _cache_file(repo)
    data = json.loads(verified_payload(signing_key(), cache_file.read_bytes()))
    for entry in data["entries"].values():
        entry[1] = [[[[[]]]], "not a finding"] if entry[1] else {"not": "a list"}
    cache_file.write_bytes(sign(signing_key(), json.dumps(data).encode()))
    assert _lint(repo) == ["ONX201"]


# -- no usable key: the cache is off, the run is not -----------------------------------------------


def _unusable_key(key_dir: Path, tmp_path: Path, how: str) -> None:
    if how == "the key folder is a file":
        key_dir.parent.mkdir(parents=True)
        key_dir.write_text("not a folder\n", encoding="utf-8")
    elif how == "below a file (cannot be created)":
        key_dir.parent.write_text("not a folder\n", encoding="utf-8")
    elif how == "the key folder is a symlink":
        real = tmp_path / "real-key-folder"
        real.mkdir()
        key_dir.parent.mkdir(parents=True)
        key_dir.symlink_to(real, target_is_directory=True)
    elif how == "the key is a symlink":
        real = tmp_path / "planted-key"
        real.write_bytes(b"k" * 32)
        os.chmod(real, 0o600)
        key_dir.mkdir(parents=True)
        (key_dir / "key").symlink_to(real)
    elif how == "the key is readable by others":
        key_dir.mkdir(parents=True)
        (key_dir / "key").write_bytes(os.urandom(32))
        os.chmod(key_dir / "key", 0o644)
    elif how == "the key is too short":
        key_dir.mkdir(parents=True)
        (key_dir / "key").write_bytes(b"short")
        os.chmod(key_dir / "key", 0o600)
    elif how == "the key is a folder":
        (key_dir / "key").mkdir(parents=True)
    else:
        raise AssertionError(how)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and modes")
@pytest.mark.parametrize(
    "how",
    [
        "the key folder is a file",
        "below a file (cannot be created)",
        "the key folder is a symlink",
        "the key is a symlink",
        "the key is readable by others",
        "the key is too short",
        "the key is a folder",
    ],
)
def test_without_a_usable_key_the_run_lints_everything_and_writes_no_cache(tmp_path, repo, key_dir, how):
    _unusable_key(key_dir, tmp_path, how)
    assert signing_key() is None
    assert _lint(repo) == ["ONX201"]
    assert _lint(repo) == ["ONX201"]
    assert not (repo / ".onnxlint_cache").exists()
    clean = run_onnxlint("--isolated", "clean.py", cwd=repo)
    assert clean.returncode == 0 and "Traceback" not in clean.stderr


# -- a read-only or absent cache folder ------------------------------------------------------------


def _runner_setup(repo: Path, cache_dir: Path):
    files = list(discover([repo], Excluder((), repo)))
    settings = LintSettings(selection=Selection(select=("ALL",)), project_root=str(repo))
    return files, settings, RunOptions(cache=True, cache_dir=cache_dir)


def test_a_read_only_file_system_serves_the_cache_and_writes_nothing(repo, tmp_path, monkeypatch):
    """Every write into the cache folder fails (EROFS), as on a read-only mount: entries are still
    served, a changed file is linted, nothing raises. (Runs as root too, unlike chmod.)"""
    cache_dir = tmp_path / "cache"
    files, settings, options = _runner_setup(repo, cache_dir)
    run(files, settings, options)
    snapshot = _tree(cache_dir)

    real_open, real_mkdir, real_replace = os.open, os.mkdir, os.replace

    def refuse(path) -> None:
        if str(path).startswith(str(cache_dir)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    def read_only_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: refuse(path) or real_mkdir(path, *a, **k))
    monkeypatch.setattr(os, "replace", lambda src, dst, *a, **k: refuse(dst) or real_replace(src, dst, *a, **k))

    warm = run(files, settings, options)
    assert all(o.cached for o in warm)
    (repo / "clean.py").write_text(MODEL, encoding="utf-8")
    changed = run(files, settings, options)
    assert sorted(f.code for o in changed for f in o.findings) == ["ONX201", "ONX201"]
    assert [o.path.name for o in changed if not o.cached] == ["clean.py"]
    assert _tree(cache_dir) == snapshot


@pytest.mark.skipif(sys.platform == "win32" or IS_ROOT, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_is_read_and_left_alone(repo):
    assert _lint(repo) == ["ONX201"]
    folder = repo / ".onnxlint_cache"
    version = folder / onnxlint.__version__
    snapshot = _tree(folder)
    (repo / "clean.py").write_text(MODEL, encoding="utf-8")
    for path in (version, folder):
        os.chmod(path, 0o555)
    try:
        assert _lint(repo) == ["ONX201", "ONX201"]
        assert _tree(folder) == snapshot
    finally:
        for path in (folder, version):
            os.chmod(path, 0o755)


def test_an_absent_cache_folder_that_cannot_be_created_is_no_error(repo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    files, settings, options = _runner_setup(repo, blocker / "cache")
    cache = LintCache.for_settings(settings, blocker / "cache")
    assert cache.entries == {}
    cache.changed = True
    assert cache.save() is False
    outcomes = run(files, settings, options)
    assert [f.code for o in outcomes for f in o.findings] == ["ONX201"]
    result = run_onnxlint("--isolated", "--cache-dir", str(blocker / "cache"), ".", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr


# -- the source fingerprint covers sub-packages ----------------------------------------------------


def test_the_fingerprint_covers_every_module_of_the_package_recursively(tmp_path, monkeypatch):
    copy = tmp_path / "src"
    shutil.copytree(REPO / "linter", copy / "linter", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", copy / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    folders = [copy / "linter", copy / "rules"]
    base = fingerprint_folders(folders)
    assert fingerprint_folders(folders) == base

    sub_module = copy / "linter" / "graph" / "checks" / "__init__.py"
    assert sub_module.is_file()
    original = sub_module.read_bytes()
    sub_module.write_bytes(original + b"\n# edited\n")
    assert fingerprint_folders(folders) != base
    sub_module.write_bytes(original)
    assert fingerprint_folders(folders) == base

    # Not modules: bytecode caches, other files.
    (copy / "linter" / "graph" / "__pycache__").mkdir()
    (copy / "linter" / "graph" / "__pycache__" / "stale.py").write_text("x = 1\n", encoding="utf-8")
    (copy / "linter" / "graph" / "notes.txt").write_text("x\n", encoding="utf-8")
    assert fingerprint_folders(folders) == base

    # A module moved into a sub-package (same bytes, another path).
    (copy / "rules" / "nested").mkdir()
    (copy / "rules" / "roll_without_dims.py").rename(copy / "rules" / "nested" / "roll_without_dims.py")
    assert fingerprint_folders(folders) != base


def test_a_module_edited_in_a_rules_sub_package_changes_the_run_key(tmp_path, monkeypatch):
    rules_copy = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_copy, ignore=shutil.ignore_patterns("__pycache__"))
    (rules_copy / "helpers").mkdir()
    helper = rules_copy / "helpers" / "shapes.py"
    helper.write_text("LIMIT = 1\n", encoding="utf-8")
    monkeypatch.setattr(onnxlint.rules, "__path__", [str(rules_copy)])
    settings = LintSettings(selection=Selection(select=("ALL",)), project_root=str(tmp_path))

    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    before = run_key(settings)
    helper.write_text("LIMIT = 2\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    assert run_key(settings) != before


def test_the_package_fingerprint_is_the_fingerprint_of_its_folders(monkeypatch):
    from onnxlint.core import engine
    from onnxlint.graph.checks import unsupported_op

    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    folders = [Path(onnxlint.__file__).resolve().parent, *(Path(p).resolve() for p in onnxlint.rules.__path__)]
    assert cache_module.source_fingerprint() == fingerprint_folders(folders)
    # The whole package is hashed, wherever the cache module itself lives.
    for module in (engine, unsupported_op, cache_module):
        assert Path(module.__file__).resolve().is_relative_to(folders[0])
