"""`[tool.onnxlint]` in pyproject.toml: finding it, validating it, turning it into settings.

Unknown keys and wrong types are errors that name the key: a typo in a linter's config must not
silently turn a check off.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from onnxlint.core.settings import CONFIDENCES, DEFAULT_TARGET, EXPORTERS, LintSettings, PerFileIgnore, Selection


class ConfigError(Exception):
    """The configuration is invalid; the message names the file and the key."""


# key -> (expected type description, validator)
_LIST_OF_STRINGS = "a list of strings"


@dataclass(frozen=True)
class ProjectConfig:
    """What `[tool.onnxlint]` says, with paths resolved against the file's folder."""

    path: Path | None = None  # the pyproject.toml it came from (None: defaults)
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    exporter: str | None = None
    target: str | None = None
    opset: int | None = None
    unsafe_fixes: bool = False
    confidence: str | None = None
    non_default_decorators: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # sections later layers read (e.g. models)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


# Keys that other layers own: validated by them, passed through here.
# `models`: [[tool.onnxlint.models]] tables, validated by modelspec.specs_from_config (graph/verify layers).
# `graph-timeout`: seconds each graph-layer step (capture, the exporter's run) may take (`--graph-timeout`).
# `stage-timeout`: seconds each stage of `onnxlint export` may take (`--stage-timeout`).
EXTENSION_KEYS: set[str] = {"models", "graph-timeout", "stage-timeout"}

KNOWN_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "exporter",
    "target",
    "opset",
    "unsafe-fixes",
    "confidence",
    "non-default-decorators",
}


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.onnxlint] table."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as error:
                raise ConfigError(f"{pyproject}: not valid TOML: {error}") from error
            if isinstance(data.get("tool"), dict) and "onnxlint" in data["tool"]:
                return pyproject
    return None


def load_config(path: Path) -> ProjectConfig:
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block the read
            raise ConfigError(f"{path}: not a regular file")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    table = data.get("tool", {}).get("onnxlint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.onnxlint] must be a table")
    return parse_table(table, path)


def parse_table(table: dict[str, Any], path: Path | None) -> ProjectConfig:
    where = f"{path}: [tool.onnxlint]" if path else "[tool.onnxlint]"
    unknown = sorted(set(table) - KNOWN_KEYS - EXTENSION_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
            + ", ".join(f"{key!r}{_did_you_mean(key)}" for key in unknown)
        )

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key!r} must be {_LIST_OF_STRINGS}")
        return tuple(value)

    per_file: list[PerFileIgnore] = []
    raw_per_file = table.get("per-file-ignores", {})
    if not isinstance(raw_per_file, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
    for pattern, codes in raw_per_file.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: per-file-ignores[{pattern!r}] must be {_LIST_OF_STRINGS}")
        per_file.append(PerFileIgnore(pattern, tuple(c.upper() for c in codes)))

    exporter = table.get("exporter")
    if exporter is not None and exporter not in EXPORTERS:
        raise ConfigError(f"{where}: 'exporter' must be one of {', '.join(EXPORTERS)}, not {exporter!r}")
    target = table.get("target")
    if target is not None:
        from onnxlint.knowledge.runtimes import PROFILES

        if target not in PROFILES:
            raise ConfigError(f"{where}: 'target' must be one of {', '.join(PROFILES)}, not {target!r}")
    opset = table.get("opset")
    if opset is not None and (not isinstance(opset, int) or isinstance(opset, bool) or not 7 <= opset <= 30):
        raise ConfigError(f"{where}: 'opset' must be an integer between 7 and 30, not {opset!r}")
    confidence = table.get("confidence")
    if confidence is not None and confidence not in CONFIDENCES:
        raise ConfigError(f"{where}: 'confidence' must be one of {', '.join(CONFIDENCES)}, not {confidence!r}")
    decorators = strings("non-default-decorators")
    for name in decorators:
        if not name.replace("_", "a").replace(".", "a").isalnum() or name.startswith(".") or name.endswith("."):
            raise ConfigError(f"{where}: 'non-default-decorators' holds {name!r}, which is not a decorator name")
    unsafe = table.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(f"{where}: 'unsafe-fixes' must be true or false")
    select = strings("select") if "select" in table else None
    extend_select, ignore = strings("extend-select"), strings("ignore")
    _check_selectors(
        where,
        {"select": select or (), "extend-select": extend_select, "ignore": ignore}
        | {f"per-file-ignores[{entry.pattern!r}]": entry.codes for entry in per_file},
    )
    for key in ("graph-timeout", "stage-timeout"):
        timeout = table.get(key)
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(f"{where}: '{key}' must be a number of seconds above 0, not {timeout!r}")
    if "models" in table:
        from onnxlint.core.modelspec import SpecError, specs_from_config

        try:
            specs_from_config(table["models"], path.parent if path is not None else Path.cwd())
        except SpecError as error:
            raise ConfigError(f"{where}: {error}") from error
    return ProjectConfig(
        path=path,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        per_file_ignores=tuple(per_file),
        exclude=strings("exclude"),
        extend_exclude=strings("extend-exclude"),
        exporter=exporter,
        target=target,
        opset=opset,
        unsafe_fixes=unsafe,
        confidence=confidence,
        non_default_decorators=tuple(name.rsplit(".", 1)[-1] for name in decorators),
        extra={key: table[key] for key in EXTENSION_KEYS if key in table},
    )


def _did_you_mean(key: str) -> str:
    """ruff's hint for a misspelt key: the known key it is closest to, if any is close."""
    import difflib

    spelled = {known.replace("-", "_"): known for known in (*KNOWN_KEYS, *EXTENSION_KEYS)}
    close = difflib.get_close_matches(key.replace("-", "_"), list(spelled), n=1, cutoff=0.6)
    return f" (did you mean {spelled[close[0]]!r}?)" if close else ""


def _check_selectors(where: str, by_key: dict[str, tuple[str, ...]]) -> None:
    """Unknown codes or prefixes are errors, as on the command line: a typo must not turn every rule off."""
    if not any(by_key.values()):
        return
    from onnxlint.core.registry import validate_selectors

    problems = []
    for key, selectors in by_key.items():
        unknown = validate_selectors(selectors)
        if unknown:
            problems.append(f"{key}: {', '.join(map(repr, unknown))}")
    if problems:
        raise ConfigError(
            f"{where}: unknown rule selector{'s' if len(problems) > 1 else ''} in {'; '.join(problems)} "
            "(see `onnxlint rules`)"
        )


def build_settings(
    config: ProjectConfig,
    *,
    select: tuple[str, ...] | None = None,
    extend_select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    exporter: str | None = None,
    opset: int | None = None,
    target: str | None = None,
    confidence: str | None = None,
) -> LintSettings:
    """Settings from the project config overridden by command-line options (ruff's precedence)."""
    selection = Selection(
        select=select if select else (config.select if config.select is not None else ("ONX",)),
        extend_select=(*config.extend_select, *extend_select),
        ignore=(*config.ignore, *ignore),
    )
    return LintSettings(
        selection=selection,
        per_file_ignores=config.per_file_ignores,
        exporter=exporter or config.exporter or "dynamo",
        target=target or config.target or DEFAULT_TARGET,
        opset=opset if opset is not None else config.opset,
        project_root=str(config.root),
        confidence=confidence or config.confidence or "medium",
        non_default_decorators=config.non_default_decorators,
    )
