"""Attack sweep: mount every attack of the security issue against the real CLI, server and cache.

    .venv/bin/python scripts/attack_sweep.py                         # the onnxlint this interpreter imports
    .venv/bin/python scripts/attack_sweep.py --json /tmp/attack.json
    .venv/bin/python scripts/attack_sweep.py --pythonpath /tmp/before-site   # an older install, first on the path
    .venv/bin/python scripts/attack_sweep.py --only 1a,5 --keep --verbose

Each attack builds a fresh temporary folder holding a hostile "repository" (`repo/`), the files
outside it that an attack must not touch (`outside/`, markers) and a private `home/` (HOME and
XDG_* point there, ONNXLINT_CACHE_DIR is unset), then runs the real command line or the real
language server in a subprocess (`PYTHON -m onnxlint`, PYTHONSAFEPATH=1 so the current folder is
not importable, as with the `onnxlint` console script) and judges what happened on disk and in the
output, never what the tool says about itself:

    HELD     the attack failed
    BROKEN   the attack worked (the detail says what happened)
    SKIPPED  the attack could not be mounted here (an option that does not exist, no setpriv as root...)

The script imports no onnxlint (it speaks JSON-RPC to the server itself), so `--python` and
`--pythonpath` can point it at any checkout. As root, the attacks on permissions (13, 15) run the
CLI through `setpriv` without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so file modes bind as for
a normal user. Exit status: 0 when every attack held (or was skipped), 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- sources the attacks plant ------------------------------------------------------------------------

# A model whose forward branches on a tensor value: ONX201 (no fix applicable by --fix).
HAZARD = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return x
    """
)
# A file with a safe fix (ONX501: torch.load without weights_only=True).
FIXABLE = 'import torch\n\nstate = torch.load("model.pt")\n'
FIXED_MARK = "weights_only"  # what the safe fix adds
FORGED_PREFIX = "::error file=x::forged"
TRACEBACK = "Traceback (most recent call last)"

CLI_TIMEOUT = 120.0  # a run that traces (torch import) takes a few seconds; a hang is caught by the hang checks
HANG_TIMEOUT = 15.0  # for attacks whose failure mode is blocking forever


# -- results -------------------------------------------------------------------------------------------


@dataclass
class Result:
    number: str
    name: str
    held: bool | None  # None: skipped
    detail: str
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "SKIPPED" if self.held is None else ("HELD" if self.held else "BROKEN")


@dataclass
class Attack:
    number: str
    name: str
    function: Callable[[Sandbox], tuple[bool | None, str]]


ATTACKS: list[Attack] = []


def attack(number: str, name: str) -> Callable[[Callable[[Sandbox], tuple[bool | None, str]]], Any]:
    def register(function: Callable[[Sandbox], tuple[bool | None, str]]) -> Any:
        ATTACKS.append(Attack(number, name, function))
        return function

    return register


# -- running the tool ---------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float
    root: str = ""  # the sandbox, shortened to $TMP in details

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def brief(self) -> str:
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s"
        return f"exit {self.returncode}"

    def first_error(self) -> str:
        """The most telling line of the output, for a detail column."""
        text = self.output.replace(self.root, "$TMP") if self.root else self.output
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for line in lines:
            if line.startswith("onnxlint: error"):
                return line[:160]
        if TRACEBACK in self.output:
            return "traceback: " + (lines[-1][:140] if lines else "")
        return (lines[-1][:160]) if lines else "(no output)"


@dataclass
class Context:
    python: str
    pythonpath: str | None
    base: Path
    keep: bool
    verbose: bool
    _help: dict[str, set[str]] = field(default_factory=dict)

    def env(self, home: Path) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "TMPDIR": str(home / "tmp"),
            "NO_COLOR": "1",
            "PYTHONSAFEPATH": "1",  # like the console script: the current folder is not importable
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env

    def command(self, *args: str) -> list[str]:
        return [self.python, "-m", "onnxlint", *args]

    def options(self, command: str) -> set[str]:
        """The option names `onnxlint COMMAND --help` lists (read once per command)."""
        if command not in self._help:
            with tempfile.TemporaryDirectory(dir=self.base) as folder:
                home = Path(folder)
                (home / "tmp").mkdir()
                result = subprocess.run(
                    self.command(command, "--help"),
                    cwd=folder,
                    env=self.env(home),
                    capture_output=True,
                    text=True,
                    timeout=CLI_TIMEOUT,
                )
            names: set[str] = set()
            for line in result.stdout.splitlines():
                match = re.match(r"^\s+((?:-\w, )?--[\w-]+(?: / --[\w-]+)?)", line)
                if match:
                    names.update(re.findall(r"--[\w-]+", match.group(1)))
            self._help[command] = names
        return self._help[command]


def unprivileged_prefix() -> list[str] | None:
    """As root: run without the capabilities that bypass file modes (None when that is not possible)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps]


class Sandbox:
    """One attack's folder: repo/ (the hostile checkout), outside/ (victims, markers), home/."""

    def __init__(self, ctx: Context, number: str) -> None:
        self.ctx = ctx
        self.root = Path(tempfile.mkdtemp(prefix=f"attack{number}-", dir=ctx.base)).resolve()
        self.repo = self.root / "repo"
        self.outside = self.root / "outside"
        self.home = self.root / "home"
        for folder in (self.repo, self.outside, self.home, self.home / "tmp"):
            folder.mkdir(parents=True)

    def marker(self, name: str = "MARK") -> Path:
        return self.outside / name

    def write(self, relative: str, text: str) -> Path:
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def env(self, home: Path | None = None) -> dict[str, str]:
        return self.ctx.env(home or self.home)

    def cli(
        self,
        *args: str,
        cwd: Path | None = None,
        stdin: str | None = None,
        timeout: float = CLI_TIMEOUT,
        home: Path | None = None,
        prefix: list[str] | None = None,
    ) -> Run:
        command = [*(prefix or []), *self.ctx.command(*args)]
        start = time.monotonic()
        try:
            result = subprocess.run(
                command,
                cwd=cwd or self.repo,
                env=self.env(home),
                input=stdin,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as expired:
            out = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
            err = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else expired.stderr
            run = Run(None, out or "", err or "", time.monotonic() - start, str(self.root))
        else:
            run = Run(result.returncode, result.stdout, result.stderr, time.monotonic() - start, str(self.root))
        if self.ctx.verbose:
            print(f"    $ {shlex.join(command)}  (cwd {cwd or self.repo}) -> {run.brief()}", file=sys.stderr)
            for line in run.output.splitlines()[-15:]:
                print(f"    | {line}", file=sys.stderr)
        return run

    def cleanup(self) -> None:
        if self.ctx.keep:
            return
        for path, folders, _files in os.walk(self.root):
            for name in folders:  # chmod 555 folders and the like
                full = os.path.join(path, name)
                try:
                    if not os.path.islink(full):
                        os.chmod(full, 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str | None]]:
    """Every entry under `folder` (symlinks not followed): kind and content."""
    found: dict[str, tuple[str, bytes | str | None]] = {}
    for path, folders, files in os.walk(folder):
        for name in folders + files:
            full = os.path.join(path, name)
            relative = os.path.relpath(full, folder)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(full))
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("dir", None)
            elif stat.S_ISREG(info.st_mode):
                try:
                    with open(full, "rb") as stream:
                        found[relative] = ("file", stream.read())
                except OSError:
                    found[relative] = ("file", None)
            else:
                found[relative] = ("other", None)
    return found


def new_files(before: dict[str, tuple[str, bytes | str | None]], folder: Path) -> list[Path]:
    """Regular files under `folder` that are new or changed since `before`."""
    after = snapshot(folder)
    return sorted(
        folder / relative
        for relative, (kind, content) in after.items()
        if kind == "file" and before.get(relative) != (kind, content)
    )


def has_traceback(run: Run) -> bool:
    return TRACEBACK in run.output


def verdict(failures: list[str], ok_detail: str) -> tuple[bool, str]:
    return (False, "; ".join(failures)) if failures else (True, ok_detail)


# -- the language server over stdio ---------------------------------------------------------------------


class LspServer:
    """`onnxlint server` in a subprocess, spoken to in raw JSON-RPC (so malformed requests can be sent)."""

    def __init__(self, box: Sandbox, workspace: Path) -> None:
        self.box = box
        self.workspace = workspace
        self.stderr_path = box.root / "server.stderr"
        self._stderr = open(self.stderr_path, "wb")  # closed in stop()
        self.process = subprocess.Popen(
            box.ctx.command("server"),
            cwd=workspace,
            env=box.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.condition = threading.Condition()
        self.write_lock = threading.Lock()
        self.next_id = 1
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # -- wire -------------------------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                headers: dict[str, str] = {}
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    key, _, value = line.decode("ascii", "replace").partition(":")
                    headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = stream.read(length)
                try:
                    message = json.loads(body)
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                if "method" in message and "id" in message:  # a request from the server: answer it
                    result: Any = None
                    if message["method"] == "workspace/configuration":
                        items = (message.get("params") or {}).get("items") or []
                        result = [None] * len(items)
                    self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
                with self.condition:
                    self.messages.append((time.monotonic(), message))
                    self.condition.notify_all()
        finally:
            with self.condition:
                self.closed = True
                self.condition.notify_all()

    def send(self, message: dict[str, Any]) -> bool:
        data = json.dumps(message).encode("utf-8")
        try:
            with self.write_lock:
                assert self.process.stdin is not None
                self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
                self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def notify(self, method: str, params: Any) -> bool:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float) -> dict[str, Any] | None:
        """The response (result or error), or None when none came within `timeout` seconds."""
        identifier = self.next_id
        self.next_id += 1
        if not self.send({"jsonrpc": "2.0", "id": identifier, "method": method, "params": params}):
            return None
        return self.wait(lambda m: m.get("id") == identifier and "method" not in m, timeout)

    def wait(self, probe: Callable[[dict[str, Any]], bool], timeout: float, since: int = 0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for _, message in self.messages[since:]:
                    if probe(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self.condition.wait(remaining)

    def arrival(self, message: dict[str, Any]) -> float:
        with self.condition:
            return next(t for t, m in self.messages if m is message)

    def diagnostics(self, uri: str, timeout: float, since: int = 0) -> dict[str, Any] | None:
        return self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and (m.get("params") or {}).get("uri") == uri
            ),
            timeout,
            since,
        )

    # -- protocol ---------------------------------------------------------------------------------------

    def initialize(self, timeout: float = 60.0) -> bool:
        uri = self.workspace.as_uri()
        response = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.workspace.name}],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"versionSupport": True, "dataSupport": True},
                        "codeAction": {
                            "dataSupport": True,
                            "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}},
                        },
                        "hover": {"contentFormat": ["markdown"]},
                    },
                    "workspace": {"workspaceEdit": {"documentChanges": True}},
                },
            },
            timeout,
        )
        if response is None or "result" not in response:
            return False
        return self.notify("initialized", {})

    def open(self, uri: str, text: str, version: int = 1) -> bool:
        return self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
        )

    def code_action_params(self, uri: str, only: list[str] | None = None) -> dict[str, Any]:
        context: dict[str, Any] = {"diagnostics": []}
        if only is not None:
            context["only"] = only
        zero = {"line": 0, "character": 0}
        return {"textDocument": {"uri": uri}, "range": {"start": zero, "end": zero}, "context": context}

    def alive(self) -> bool:
        return self.process.poll() is None

    def responsive(self, timeout: float = 5.0) -> bool:
        """Answers a well-formed request (a hover on a document that is not open)."""
        response = self.request(
            "textDocument/hover",
            {
                "textDocument": {"uri": (self.workspace / "not_open.py").as_uri()},
                "position": {"line": 0, "character": 0},
            },
            timeout,
        )
        return response is not None

    def stderr(self) -> str:
        try:
            self._stderr.flush()
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            if self.alive():
                self.request("shutdown", None, 3.0)
                self.notify("exit", None)
                try:
                    self.process.wait(3.0)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                try:
                    self.process.wait(5.0)
                except subprocess.TimeoutExpired:
                    pass
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
            self._stderr.close()


@contextlib.contextmanager
def server_session(box: Sandbox, workspace: Path | None = None) -> Iterator[LspServer]:
    """A started, initialized server, stopped (or killed) on the way out."""
    server = LspServer(box, workspace or box.repo)
    try:
        if not server.initialize():
            raise RuntimeError(f"the server did not initialize; stderr: {server.stderr()[-300:]}")
        yield server
    finally:
        server.stop()


# -- 1, 2: a models table that names code, found in a cloned repository ------------------------------------


def models_table(entry: str, args: list[str] | None = None, extra: str = "") -> str:
    lines = ["[tool.onnxlint]", "", "[[tool.onnxlint.models]]", 'name = "pwn"', f"entry = {json.dumps(entry)}"]
    if args is not None:
        lines.append(f"args = {json.dumps(args)}")
    lines.append("inputs = [{ shape = [1, 3] }]")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def system_repo(box: Sandbox) -> Path:
    marker = box.marker()
    box.write("pyproject.toml", models_table("os:system", [f"touch {shlex.quote(str(marker))}"]))
    box.write("src/model.py", HAZARD)
    box.write("fixme.py", FIXABLE)
    return marker


def import_repo(box: Sandbox) -> Path:
    marker = box.marker()
    box.write("pyproject.toml", models_table("evil.py:Net"))
    box.write(
        "evil.py",
        f"open({str(marker)!r}, 'w').write('evil.py was imported')\n\n\nclass Net:\n    pass\n",
    )
    box.write("src/model.py", HAZARD)
    box.write("fixme.py", FIXABLE)
    return marker


VARIANTS: dict[str, tuple[str, list[str], str]] = {
    # letter: (what, arguments, folder to run in, relative to the repo)
    "a": ("onnxlint .", ["."], ""),
    "b": ("onnxlint --fix .", ["--fix", "."], ""),
    "c": ("onnxlint --diff .", ["--diff", "."], ""),
    "d": ("onnxlint --format json .", ["--format", "json", "."], ""),
    "e": ("table in a parent's pyproject; onnxlint . in src/", ["."], "src"),
}


def _code_from_config(box: Sandbox, setup: Callable[[Sandbox], Path], args: list[str], folder: str) -> tuple[bool, str]:
    marker = setup(box)
    run = box.cli(*args, cwd=box.repo / folder if folder else box.repo)
    if marker.exists():
        return False, f"the configured code ran: {marker.name} created ({run.brief()})"
    if has_traceback(run):
        return False, f"no code ran, but a traceback ({run.first_error()})"
    return True, f"no code ran ({run.brief()})"


def _register_config_code_attacks() -> None:
    for number, title, setup in (
        ("1", 'models entry = "os:system", args = ["touch MARK"]', system_repo),
        ("2", 'models entry = "evil.py:Net" (writes MARK on import)', import_repo),
    ):
        for letter, (what, args, folder) in VARIANTS.items():

            def run(box: Sandbox, setup=setup, args=args, folder=folder) -> tuple[bool, str]:
                return _code_from_config(box, setup, args, folder)

            attack(f"{number}{letter}", f"{title}: {what}")(run)


_register_config_code_attacks()


# -- 3, 4: the cache folder's files and the folder itself as symlinks out of the repository ------------------


@attack("3", ".onnxlint_cache/CACHEDIR.TAG -> victim outside, .gitignore -> dangling path outside")
def cache_file_symlinks(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    box.write("model.py", HAZARD)
    box.write("fixme.py", FIXABLE)
    victim = box.outside / "victim.txt"
    victim.write_text("precious\n")
    dangling = box.outside / "created_by_onnxlint"
    cache = box.repo / ".onnxlint_cache"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").symlink_to(victim)
    (cache / ".gitignore").symlink_to(dangling)
    runs = [box.cli("."), box.cli("--fix", ".")]
    failures = []
    if victim.read_text() != "precious\n":
        failures.append(f"the victim outside was overwritten ({victim.read_text()[:40]!r})")
    if dangling.exists() or dangling.is_symlink():
        failures.append("the dangling link's target outside was created")
    failures += [f"traceback ({run.first_error()})" for run in runs if has_traceback(run)]
    return verdict(failures, f"nothing outside touched ({', '.join(r.brief() for r in runs)})")


@attack("4", ".onnxlint_cache is a symlink to a folder outside the repository")
def cache_folder_symlink(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    box.write("model.py", HAZARD)
    box.write("fixme.py", FIXABLE)
    elsewhere = box.outside / "elsewhere"
    elsewhere.mkdir()
    (box.repo / ".onnxlint_cache").symlink_to(elsewhere, target_is_directory=True)
    runs = [box.cli("."), box.cli("--fix", ".")]
    written = sorted(str(p.relative_to(elsewhere)) for p in elsewhere.rglob("*"))
    failures = []
    if written:
        failures.append(f"written outside: {', '.join(written[:4])}{' ...' if len(written) > 4 else ''}")
    failures += [f"traceback ({run.first_error()})" for run in runs if has_traceback(run)]
    return verdict(failures, f"nothing written outside ({', '.join(r.brief() for r in runs)})")


# -- 5, 6: forged and hostile cache files --------------------------------------------------------------------


def _hazard_repo(box: Sandbox) -> None:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    box.write("haz.py", HAZARD)


def _empty_findings(data: Any) -> tuple[Any, int]:
    """An attacker's edit: every findings list in a cache document emptied, digests kept."""
    count = 0

    def walk(node: Any) -> Any:
        nonlocal count
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                if key == "findings" and isinstance(value, list) and value:
                    count += 1
                    result[key] = []
                else:
                    result[key] = walk(value)
            return result
        if isinstance(node, list):
            # format 1's entry: [digest, findings, day]
            if len(node) >= 2 and isinstance(node[0], str) and isinstance(node[1], list) and node[1]:
                if all(isinstance(item, (list, dict)) for item in node[1]):
                    count += 1
                    return [node[0], [], *node[2:]]
            return [walk(item) for item in node]
        return node

    return walk(data), count


def _read_cache_json(path: Path) -> tuple[str, Any] | None:
    """(prefix, document) of a cache file: JSON, possibly after header lines (a signature); None otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    starts = [0] + [index + 1 for index, char in enumerate(text[:4096]) if char == "\n"]
    for start in starts:
        try:
            return text[:start], json.loads(text[start:])
        except ValueError:
            continue
    return None


def _reports_hazard(run: Run) -> bool:
    return run.returncode == 1 and "ONX201" in run.stdout


@attack("5a", "forged cache: the repo's cache JSON edited to empty a file's findings (digest kept)")
def forged_cache_edit(box: Sandbox) -> tuple[bool | None, str]:
    _hazard_repo(box)
    before = snapshot(box.repo)
    first = box.cli(".")
    if not _reports_hazard(first):
        return None, f"precondition failed: the first run did not report ONX201 ({first.brief()})"
    edited = []
    for path in new_files(before, box.repo):
        found = _read_cache_json(path)
        if found is None:
            continue
        prefix, data = found
        forged, count = _empty_findings(data)
        if count:  # the header (a signature, if any) is kept as it was: the attacker cannot recompute it
            path.write_text(prefix + json.dumps(forged, separators=(",", ":")), encoding="utf-8")
            edited.append(str(path.relative_to(box.repo)) + (" (header kept)" if prefix else ""))
    if not edited:
        return True, "no cache JSON in the repository holds findings to edit"
    second = box.cli(".")
    if not _reports_hazard(second):
        return False, f"the forged cache was believed: {second.brief()}, {second.first_error()} (edited {edited[0]})"
    return True, f"ONX201 still reported, {second.brief()} (edited {edited[0]})"


@attack("5b", "forged cache: crafted from scratch under the predictable name (attacker's own machine)")
def forged_cache_scratch(box: Sandbox) -> tuple[bool | None, str]:
    _hazard_repo(box)
    attacker_home = box.root / "attacker-home"
    (attacker_home / "tmp").mkdir(parents=True)
    before = snapshot(box.repo)
    learn = box.cli(".", home=attacker_home)  # the attacker runs the same onnxlint at the same path
    if not _reports_hazard(learn):
        return None, f"precondition failed: the attacker's run did not report ONX201 ({learn.brief()})"
    crafted: dict[Path, str] = {}
    today = int(time.time() // 86400)
    for path in new_files(before, box.repo):
        found = _read_cache_json(path)
        if found is None:
            continue
        prefix, data = found  # the prefix: the attacker's own header (a signature made with their key)
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            continue
        entries = {}
        for key, value in data["entries"].items():
            digest = value[0] if isinstance(value, list) and value and isinstance(value[0], str) else None
            if isinstance(value, dict):
                digest = value.get("digest") if isinstance(value.get("digest"), str) else None
            if digest:
                entries[key] = [digest, [], today]
        if entries:
            document = {"format": data.get("format", 1), "entries": entries, "scripts_without_sites": {}}
            crafted[path] = prefix + json.dumps(document, separators=(",", ":"))
    if not crafted:
        return True, "the attacker's run left no cache entries in the repository to imitate"
    # The attacker commits only the crafted file(s): the rest of their cache is gone.
    for relative, (kind, _content) in sorted(snapshot(box.repo).items(), key=lambda item: -len(item[0])):
        if relative not in before and kind in ("file", "link"):
            (box.repo / relative).unlink()
    for path, text in crafted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    victim = box.cli(".")
    name = str(next(iter(crafted)).relative_to(box.repo))
    if not _reports_hazard(victim):
        return False, f"the crafted cache was believed: {victim.brief()}, {victim.first_error()} ({name})"
    return True, f"ONX201 still reported, {victim.brief()} (crafted {name})"


@attack("6", "cache file replaced by 200,000 nested '['")
def nested_cache(box: Sandbox) -> tuple[bool | None, str]:
    _hazard_repo(box)
    before_repo, before_home = snapshot(box.repo), snapshot(box.home)
    first = box.cli(".")
    if not _reports_hazard(first):
        return None, f"precondition failed: the first run did not report ONX201 ({first.brief()})"
    # Where the cache file is: in the repository (where an attacker puts it), else under HOME.
    targets = [p for p in new_files(before_repo, box.repo) if p.name not in ("CACHEDIR.TAG", ".gitignore")]
    targets = targets or [p for p in new_files(before_home, box.home) if p.name != "key"]
    if not targets:
        return None, "no cache file found (in the repository or HOME) to replace"
    for path in targets:
        path.write_text("[" * 200_000, encoding="utf-8")
    second = box.cli(".")
    where = ", ".join(str(p.relative_to(box.root)) for p in targets[:2])
    failures = []
    if has_traceback(second):
        failures.append(f"traceback ({second.first_error()})")
    if second.returncode != first.returncode:
        failures.append(f"{second.brief()} instead of exit {first.returncode}")
    elif "ONX201" not in second.stdout:
        failures.append("ONX201 no longer reported")
    return verdict(failures, f"{second.brief()}, ONX201 reported ({where})")


# -- 7: unknown codes in the configuration -------------------------------------------------------------------


def _unknown_codes(box: Sandbox, table: str, codes: list[str]) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n" + table)
    box.write("clean.py", "x = 1\n")
    box.write("haz.py", HAZARD)
    run = box.cli(".")
    named = [code for code in codes if code in run.stderr or code in run.stdout]
    if run.returncode == 2 and named and not has_traceback(run):
        return True, f"exit 2 naming {', '.join(named)}: {run.first_error()}"
    if run.returncode == 0:
        return False, f"exit 0: {run.first_error()}"
    return False, f"{run.brief()}, codes named: {named or 'none'}: {run.first_error()}"


@attack("7a", 'config select = ["ONX999", "XYZ"], extend-select = ["NOPE"]')
def unknown_select(box: Sandbox) -> tuple[bool, str]:
    return _unknown_codes(box, 'select = ["ONX999", "XYZ"]\nextend-select = ["NOPE"]\n', ["ONX999", "XYZ", "NOPE"])


@attack("7b", 'config ignore = ["NOPE"]')
def unknown_ignore(box: Sandbox) -> tuple[bool, str]:
    return _unknown_codes(box, 'ignore = ["NOPE"]\n', ["NOPE"])


@attack("7c", 'config per-file-ignores = { "*.py" = ["NOPE"] }')
def unknown_per_file(box: Sandbox) -> tuple[bool, str]:
    return _unknown_codes(box, '[tool.onnxlint.per-file-ignores]\n"*.py" = ["NOPE"]\n', ["NOPE"])


# -- 8: a models table the parser chokes on -------------------------------------------------------------------

BAD_SHAPE_TABLE = models_table("model.py:Net").replace("shape = [1, 3]", 'shape = ["a"]')


@attack("8a", 'models inputs = [{ shape = ["a"] }]: the CLI')
def bad_shape_cli(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", BAD_SHAPE_TABLE)
    box.write("model.py", HAZARD)
    run = box.cli(".")
    if has_traceback(run):
        return False, f"traceback, {run.brief()}: {run.first_error()}"
    if run.returncode != 2:
        return False, f"{run.brief()} instead of a configuration error (exit 2): {run.first_error()}"
    return True, f"exit 2: {run.first_error()}"


@attack("8b", 'models inputs = [{ shape = ["a"] }]: the language server')
def bad_shape_server(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", BAD_SHAPE_TABLE)
    path = box.write("model.py", HAZARD)
    failures = []
    with server_session(box) as server:
        uri = path.as_uri()
        server.open(uri, HAZARD)
        published = server.diagnostics(uri, 10.0)
        if published is None:
            failures.append("no diagnostics published for the open document")
        response = server.request("textDocument/codeAction", server.code_action_params(uri, ["source.fixAll"]), 10.0)
        if response is None:
            failures.append("codeAction got no answer")
        elif "error" in response:
            failures.append(f"codeAction answered an error: {response['error'].get('message', '')[:80]}")
        if not server.alive():
            failures.append("the server died")
    count = len(published["params"].get("diagnostics", [])) if published else 0
    return verdict(failures, f"{count} diagnostics published, codeAction answered")


# -- 9: a configured weights pickle ---------------------------------------------------------------------------


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


def _weights_repo(box: Sandbox) -> tuple[Path, Path]:
    import_marker, pickle_marker = box.marker("MARK_IMPORT"), box.marker("MARK_PICKLE")
    box.write("pyproject.toml", models_table("model.py:Net", extra='weights = "evil.pkl"'))
    box.write(
        "model.py",
        f"open({str(import_marker)!r}, 'w').write('model.py was imported')\n"
        + HAZARD.replace(
            "class Net(nn.Module):\n",
            "class Net(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.linear = nn.Linear(3, 2)\n\n",
        ),
    )
    with open(box.repo / "evil.pkl", "wb") as stream:
        pickle.dump(_Evil(pickle_marker), stream, protocol=2)
    return import_marker, pickle_marker


def _weights_verdict(run: Run, markers: tuple[Path, ...]) -> tuple[bool, str]:
    ran = [m.name for m in markers if m.exists()]
    failures = []
    if ran:
        failures.append(f"code ran before the weights were refused: {', '.join(ran)}")
    if has_traceback(run):
        failures.append("traceback")
    if run.returncode != 2:
        failures.append(f"{run.brief()} instead of exit 2")
    if failures:
        return False, "; ".join(failures) + f": {run.first_error()}"
    return True, f"exit 2, nothing ran: {run.first_error()}"


@attack("9a", 'configured weights = "evil.pkl": onnxlint export --name pwn')
def weights_export(box: Sandbox) -> tuple[bool, str]:
    markers = _weights_repo(box)
    run = box.cli("export", "--name", "pwn")
    return _weights_verdict(run, markers)


@attack("9b", 'configured weights = "evil.pkl": onnxlint . --graph (consent to trace)')
def weights_graph(box: Sandbox) -> tuple[bool | None, str]:
    if "--graph" not in box.ctx.options("check"):
        return None, "`onnxlint check` has no --graph option"
    markers = _weights_repo(box)
    run = box.cli(".", "--graph")
    return _weights_verdict(run, markers)


@attack("9c", "onnxlint . --model Net --input 1x3 --weights evil.pkl")
def weights_model(box: Sandbox) -> tuple[bool | None, str]:
    if "--model" not in box.ctx.options("check"):
        return None, "`onnxlint check` has no --model option"
    markers = _weights_repo(box)
    run = box.cli("model.py", "--model", "Net()", "--input", "1x3", "--weights", "evil.pkl")
    return _weights_verdict(run, markers)


# -- 10-12: the language server's inputs ----------------------------------------------------------------------


def _big_document(size: int) -> str:
    block = textwrap.dedent(
        """\
        class Net{i}(nn.Module):
            def forward(self, x):
                if x.sum() > 0:
                    x = x * 2
                state = torch.load("m{i}.pt")
                return x + len(x)


        """
    )
    parts = ["import torch\nfrom torch import nn\n\n\n"]
    total, index = len(parts[0]), 0
    while total < size:
        text = block.format(i=index)
        parts.append(text)
        total += len(text)
        index += 1
    return "".join(parts)


@attack("10", "a 5 MB document opened in the server, then a small one")
def big_document(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    big_text = _big_document(5 * 1024 * 1024)
    big, small = box.write("big.py", "# on disk: empty\n"), box.write("small.py", HAZARD)
    failures = []
    timings = []
    with server_session(box) as server:
        server.responsive(30.0)  # warmed up
        opened_big = time.monotonic()
        server.open(big.as_uri(), big_text)
        opened_small = time.monotonic()
        server.open(small.as_uri(), HAZARD)
        deadline = 10.0
        got_small = server.diagnostics(small.as_uri(), deadline + 0.5)
        got_big = server.diagnostics(big.as_uri(), max(0.1, opened_big + deadline + 0.5 - time.monotonic()))
        if got_big is None:
            failures.append(f"no diagnostic for the 5 MB document within {deadline:.0f} s")
        else:
            seconds = server.arrival(got_big) - opened_big
            timings.append(f"big {seconds:.1f} s ({len(got_big['params'].get('diagnostics', []))} diagnostics)")
            if seconds > deadline:
                failures.append(f"the 5 MB document's diagnostics took {seconds:.1f} s")
        if got_small is None:
            failures.append(f"the small document opened after it got nothing within {deadline:.0f} s")
        else:
            seconds = server.arrival(got_small) - opened_small
            timings.append(f"small {seconds:.1f} s")
            if seconds > deadline:
                failures.append(f"the small document waited {seconds:.1f} s")
        if not server.alive():
            failures.append("the server died")
    return verdict(failures, ", ".join(timings))


@attack("11", "codeAction with {} and hover with textDocument=5")
def malformed_params(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    failures, answers = [], []
    with server_session(box) as server:
        for method, params in (("textDocument/codeAction", {}), ("textDocument/hover", {"textDocument": 5})):
            response = server.request(method, params, 5.0)
            short = method.split("/")[1]
            if response is None:
                failures.append(f"{short}: no response within 5 s")
            elif "error" in response:
                answers.append(f"{short}: error {response['error'].get('code')}")
            else:
                answers.append(f"{short}: result {json.dumps(response.get('result'))[:30]}")
        if not server.alive():
            failures.append("the server died")
        elif not server.responsive():
            failures.append("the server stopped answering")
    if failures:
        return False, "; ".join(failures + answers)
    return True, ", ".join(answers)


class FifoWatch:
    """Notices whether anything opens a FIFO for reading (the write end opens only then)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.02)
                continue
            self.opened = True
            os.close(descriptor)  # the reader sees end of file
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


@attack("12", "%00 in a document URI, in the name and in a folder (didOpen, didSave, codeAction, hover)")
def nul_uri(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    normal = box.write("model.py", HAZARD)
    watch = FifoWatch(box.outside / "secret.py")  # what a reader that stops at the NUL would open
    secret = (box.outside / "secret.py").as_uri()
    uris = {"name": secret + "%00.py", "folder": secret + "%00/x.py"}
    failures, answers = [], []
    try:
        with server_session(box) as server:
            for where, uri in uris.items():
                server.open(uri, HAZARD)
                published = server.diagnostics(uri, 5.0)
                answers.append(f"{where}: {'diagnostics' if published else 'no diagnostics'}")
                server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
                for method, params in (
                    ("textDocument/codeAction", server.code_action_params(uri, ["source.fixAll"])),
                    ("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 12}}),
                ):
                    response = server.request(method, params, 5.0)
                    short = method.split("/")[1]
                    if response is None:
                        failures.append(f"{where} {short}: no response within 5 s")
                    elif "error" in response and response["error"].get("code") == -32603:
                        failures.append(f"{where} {short} raised: {response['error'].get('message', '')[:60]}")
            server.open(normal.as_uri(), HAZARD)
            if server.diagnostics(normal.as_uri(), 10.0) is None:
                failures.append("a normal document opened afterwards got no diagnostics")
            if not server.alive():
                failures.append("the server died")
            stderr = server.stderr()
            if TRACEBACK in stderr:
                last = [line for line in stderr.splitlines() if line.strip()][-1]
                failures.append(f"traceback in the server's log ({last.strip()[:80]})")
    finally:
        watch.stop()
    if watch.opened:
        failures.append("the file before the NUL was opened")
    return verdict(failures, ", ".join(answers) + "; requests answered, no traceback")


# -- 13-15: fixes and file permissions, symlinks ------------------------------------------------------------


@attack("13", "--fix on a 0444 file (writable folder) with a safe fix")
def readonly_file(box: Sandbox) -> tuple[bool | None, str]:
    prefix = unprivileged_prefix()
    if prefix is None:
        return None, "running as root without setpriv: file modes do not bind"
    path = box.write("fixme.py", FIXABLE)
    path.chmod(0o444)
    run = box.cli("--fix", "fixme.py", prefix=prefix)
    failures = []
    if path.read_text() != FIXABLE:
        failures.append("the read-only file was rewritten")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != 0o444:
        failures.append(f"its mode changed to {mode:o}")
    if has_traceback(run):
        failures.append("traceback")
    return verdict(
        [f + f" ({run.brief()})" for f in failures], f"file and mode kept ({run.brief()}): {run.first_error()}"
    )


@attack("14", "--fix on a tree where link.py is a symlink to a file outside it")
def symlink_out(box: Sandbox) -> tuple[bool, str]:
    target = box.outside / "target.py"
    target.write_text(FIXABLE)
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    box.write("inside.py", FIXABLE)
    (box.repo / "link.py").symlink_to(target)
    run = box.cli("--fix", ".")
    failures = []
    if target.read_text() != FIXABLE:
        failures.append("the file outside the tree was rewritten through the link")
    if not (box.repo / "link.py").is_symlink():
        failures.append("link.py is no longer a link")
    if has_traceback(run):
        failures.append("traceback")
    fixed_inside = FIXED_MARK in (box.repo / "inside.py").read_text()
    return verdict(
        [f + f" ({run.brief()})" for f in failures],
        f"outside file kept ({run.brief()}; inside.py {'fixed' if fixed_inside else 'not fixed'})",
    )


@attack("15", "--fix on a file in a read-only folder (chmod 555)")
def readonly_folder(box: Sandbox) -> tuple[bool | None, str]:
    prefix = unprivileged_prefix()
    if prefix is None:
        return None, "running as root without setpriv: folder modes do not bind"
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    path = box.write("ro/fixme.py", FIXABLE)
    path.parent.chmod(0o555)
    try:
        run = box.cli("--fix", "ro/fixme.py", prefix=prefix)
    finally:
        path.parent.chmod(0o755)
    line = next((line.strip() for line in run.output.splitlines() if "fixme.py" in line and "E902" in line), "")
    failures = []
    if "cannot read" in run.output:
        failures.append(f"says 'cannot read' about a file it read: {line or run.first_error()}")
    if has_traceback(run):
        failures.append("traceback")
    if path.read_text() != FIXABLE:
        failures.append("the file changed")  # possible only with privileges
    return verdict(failures, f"{run.brief()}: {line or run.first_error()}")


# -- 16: a file name that forges an output line ----------------------------------------------------------------

NEWLINE_NAME = "a\n" + FORGED_PREFIX + ".py"


def _forged_line(box: Sandbox, output_format: str) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    box.write(NEWLINE_NAME, HAZARD)
    run = box.cli("--format", output_format, ".")
    forged = [line for line in run.output.splitlines() if line.startswith(FORGED_PREFIX)]
    if forged:
        return False, f"raw forged line: {forged[0][:90]!r} ({run.brief()})"
    if has_traceback(run):
        return False, f"traceback ({run.first_error()})"
    if "ONX201" not in run.output:
        return True, f"no forged line, but the file was not reported ({run.brief()})"
    return True, f"no forged line ({run.brief()})"


@attack("16a", "file named 'a\\n::error file=x::forged.py': --format text")
def forged_text(box: Sandbox) -> tuple[bool, str]:
    return _forged_line(box, "text")


@attack("16b", "file named 'a\\n::error file=x::forged.py': --format concise")
def forged_concise(box: Sandbox) -> tuple[bool, str]:
    return _forged_line(box, "concise")


@attack("16c", "file named 'a\\n::error file=x::forged.py': --format github")
def forged_github(box: Sandbox) -> tuple[bool, str]:
    return _forged_line(box, "github")


# -- 17: more ------------------------------------------------------------------------------------------------


def _static_markers(box: Sandbox) -> list[Path]:
    markers = []
    for relative in ("conftest.py", "pkg/__init__.py", "setup.py", "model.py", "pkg/layers.py"):
        marker = box.marker("MARK_" + relative.replace("/", "_"))
        body = HAZARD if relative == "model.py" else FIXABLE
        box.write(relative, f"open({str(marker)!r}, 'w').write('ran')\n" + body)
        markers.append(marker)
    return markers


@attack("17a", "conftest.py / __init__.py / setup.py that run on import: every static CLI command")
def static_cli_imports(box: Sandbox) -> tuple[bool, str]:
    box.write("pyproject.toml", "[tool.onnxlint]\n")
    markers = _static_markers(box)
    stdin_text = (box.repo / "conftest.py").read_text()
    commands: list[tuple[list[str], str | None]] = [
        (["."], None),
        (["--no-cache", "-j", "2", "."], None),
        (["--format", "json", "."], None),
        (["--diff", "--unsafe-fixes", "."], None),
        (["--fix", "--unsafe-fixes", "."], None),
        (["-", "--stdin-filename", "conftest.py"], stdin_text),
        (["--fix", "-", "--stdin-filename", "conftest.py"], stdin_text),
    ]
    runs = [box.cli(*args, stdin=stdin) for args, stdin in commands]
    ran = [m.name for m in markers if m.exists()]
    failures = []
    if ran:
        failures.append(f"code ran: {', '.join(ran)}")
    failures += [f"traceback in {shlex.join(c[0])}" for c, r in zip(commands, runs) if has_traceback(r)]
    return verdict(failures, f"{len(commands)} commands, no code ran")


@attack("17b", "server with an os:system models table and import-time markers: open, save, fix-all, hover")
def static_server_imports(box: Sandbox) -> tuple[bool, str]:
    markers = [*_static_markers(box), box.marker()]
    box.write("pyproject.toml", models_table("os:system", [f"touch {shlex.quote(str(box.marker()))}"]))
    failures = []
    with server_session(box) as server:
        for relative in ("model.py", "conftest.py", "pkg/__init__.py"):
            path = box.repo / relative
            uri = path.as_uri()
            server.open(uri, path.read_text())
            server.diagnostics(uri, 10.0)
            server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            server.request("textDocument/codeAction", server.code_action_params(uri, ["source.fixAll"]), 10.0)
            server.request(
                "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}, 10.0
            )
        config = box.repo / "pyproject.toml"
        server.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
        server.diagnostics((box.repo / "model.py").as_uri(), 5.0, since=len(server.messages))
    ran = [m.name for m in markers if m.exists()]
    if ran:
        failures.append(f"code ran: {', '.join(ran)}")
    return verdict(failures, "no code ran")


@attack("17c", "pre-commit style: onnxlint --force-exclude model.py, os:system models table")
def pre_commit_style(box: Sandbox) -> tuple[bool, str]:
    marker = system_repo(box)
    run = box.cli("--force-exclude", "src/model.py", "fixme.py")
    if marker.exists():
        return False, f"the configured code ran ({run.brief()})"
    return True, f"no code ran ({run.brief()})"


@attack("17d", "[tool.onnxlint] is not a table (tool.onnxlint = 5, [[tool.onnxlint]])")
def config_not_table(box: Sandbox) -> tuple[bool, str]:
    box.write("model.py", HAZARD)
    failures, answers = [], []
    for text in ("[tool]\nonnxlint = 5\n", "[[tool.onnxlint]]\nselect = []\n"):
        box.write("pyproject.toml", text)
        run = box.cli(".")
        if has_traceback(run) or run.returncode != 2:
            failures.append(f"{text.splitlines()[-1]!r}: {run.brief()}, {run.first_error()}")
        else:
            answers.append(f"exit 2: {run.first_error()}")
    return verdict(failures, "; ".join(answers))


@attack("17e", "per-file-ignores with a huge pathological glob")
def huge_glob(box: Sandbox) -> tuple[bool, str]:
    pattern = "*a" * 5000 + "*b"
    box.write("pyproject.toml", f'[tool.onnxlint]\n[tool.onnxlint.per-file-ignores]\n"{pattern}" = ["ONX201"]\n')
    box.write("a" * 200 + "/" + "a" * 200 + ".py", HAZARD)
    run = box.cli(".", timeout=HANG_TIMEOUT)
    if run.timed_out:
        return False, run.brief()
    if has_traceback(run) or run.returncode not in (1, 2):
        return False, f"{run.brief()}: {run.first_error()}"
    return True, f"{run.brief()} in {run.seconds:.1f} s"


@attack("17f", ".onnxlint_cache is a FIFO")
def cache_fifo(box: Sandbox) -> tuple[bool, str]:
    _hazard_repo(box)
    os.mkfifo(box.repo / ".onnxlint_cache")
    run = box.cli(".", timeout=HANG_TIMEOUT)
    if run.timed_out or has_traceback(run) or not _reports_hazard(run):
        return False, f"{run.brief()}: {run.first_error()}"
    return True, f"{run.brief()}, ONX201 reported"


@attack("17g", "the cache key file is a symlink to a FIFO outside")
def cache_key_fifo(box: Sandbox) -> tuple[bool | None, str]:
    _hazard_repo(box)
    before = snapshot(box.repo)
    first = box.cli(".")
    files = [p for p in new_files(before, box.repo) if p.name not in ("CACHEDIR.TAG", ".gitignore")]
    if not files:
        return True, "no cache file in the repository to replace"
    fifo = box.outside / "fifo"
    os.mkfifo(fifo)
    for path in files:
        path.unlink()
        path.symlink_to(fifo)
    second = box.cli(".", timeout=HANG_TIMEOUT)
    if second.timed_out:
        return False, f"blocked on the FIFO: {second.brief()}"
    if has_traceback(second) or second.returncode != first.returncode:
        return False, f"{second.brief()}: {second.first_error()}"
    return True, f"{second.brief()} in {second.seconds:.1f} s"


@attack("17h", "--config pointing to a FIFO")
def config_fifo(box: Sandbox) -> tuple[bool, str]:
    box.write("model.py", HAZARD)
    os.mkfifo(box.repo / "pyproject.toml")
    run = box.cli("--config", "pyproject.toml", ".", timeout=HANG_TIMEOUT)
    if run.timed_out:
        return False, f"blocked reading the FIFO: {run.brief()}"
    if has_traceback(run) or run.returncode != 2:
        return False, f"{run.brief()}: {run.first_error()}"
    return True, f"exit 2: {run.first_error()}"


@attack("17i", "a pyproject.toml in the linted folder that is a FIFO (auto-discovery)")
def discovered_fifo(box: Sandbox) -> tuple[bool, str]:
    box.write("model.py", HAZARD)
    os.mkfifo(box.repo / "pyproject.toml")
    run = box.cli(".", timeout=HANG_TIMEOUT)
    if run.timed_out:
        return False, f"blocked reading the FIFO: {run.brief()}"
    if has_traceback(run):
        return False, f"{run.brief()}: {run.first_error()}"
    return True, f"{run.brief()}: {run.first_error()}"


# -- driver --------------------------------------------------------------------------------------------------


def select_attacks(only: str | None) -> list[Attack]:
    if not only:
        return ATTACKS
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    return [
        a for a in ATTACKS if any(a.number == w or re.fullmatch(rf"{re.escape(w)}[a-z]?", a.number) for w in wanted)
    ]


def run_attack(ctx: Context, item: Attack) -> Result:
    start = time.monotonic()
    box = Sandbox(ctx, item.number)
    try:
        held, detail = item.function(box)
    except Exception as error:  # the sweep's own trouble: say so, never call it held
        held, detail = False, f"sweep error: {type(error).__name__}: {error}"
    finally:
        box.cleanup()
    detail = " ".join(detail.replace(str(box.root), "$TMP").split())
    return Result(item.number, item.name, held, detail, time.monotonic() - start)


def describe_target(ctx: Context) -> str:
    with tempfile.TemporaryDirectory(dir=ctx.base) as folder:
        home = Path(folder)
        (home / "tmp").mkdir()
        result = subprocess.run(
            [
                ctx.python,
                "-c",
                "import onnxlint, sys; print(onnxlint.__file__, onnxlint.__version__, sys.version.split()[0])",
            ],
            cwd=folder,
            env=ctx.env(home),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )
    if result.returncode != 0:
        raise SystemExit(f"cannot import onnxlint with {ctx.python}: {result.stderr.strip()[-300:]}")
    return result.stdout.strip()


def print_table(results: list[Result], width: int) -> None:
    name_width = min(70, max(len(r.name) for r in results))
    print(f"{'#':<4} {'attack':<{name_width}}  {'result':<8} detail")
    for r in results:
        name = r.name if len(r.name) <= name_width else r.name[: name_width - 1] + "…"
        detail = r.detail if width <= 0 or len(r.detail) <= width else r.detail[: width - 1] + "…"
        print(f"{r.number:<4} {name:<{name_width}}  {r.status:<8} {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs onnxlint (default: this one)")
    parser.add_argument(
        "--pythonpath", help="folder put first on PYTHONPATH (an older onnxlint installed with --target)"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--only", help="comma-separated attack numbers (5 selects 5a and 5b)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders and print where they are")
    parser.add_argument("--verbose", action="store_true", help="show every command and the end of its output")
    parser.add_argument("--width", type=int, default=110, help="truncate details to this many characters (0: never)")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="onnxlint-attacks-")).resolve()
    base.chmod(0o755)
    ctx = Context(
        args.python, str(Path(args.pythonpath).resolve()) if args.pythonpath else None, base, args.keep, args.verbose
    )
    target = describe_target(ctx)
    print(f"onnxlint under attack: {target} (python {args.python}, PYTHONPATH {ctx.pythonpath or '-'})")
    attacks = select_attacks(args.only)
    if not attacks:
        parser.error(f"no attack matches --only {args.only}")
    started = time.monotonic()
    results = []
    try:
        for item in attacks:
            if args.verbose:
                print(f"[{item.number}] {item.name}", file=sys.stderr)
            results.append(run_attack(ctx, item))
    finally:
        if args.keep:
            print(f"temporary folders kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    seconds = time.monotonic() - started
    print_table(results, args.width)
    counts = {status: sum(r.status == status for r in results) for status in ("HELD", "BROKEN", "SKIPPED")}
    print(
        f"\n{len(results)} attacks in {seconds:.0f} s: {counts['HELD']} held, {counts['BROKEN']} broken, "
        f"{counts['SKIPPED']} skipped"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "target": target,
                    "python": args.python,
                    "pythonpath": ctx.pythonpath,
                    "seconds": round(seconds, 1),
                    "counts": counts,
                    "results": [
                        {
                            "number": r.number,
                            "attack": r.name,
                            "status": r.status,
                            "held": r.held,
                            "detail": r.detail,
                            "seconds": round(r.seconds, 2),
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if counts["BROKEN"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
