"""The benchmark corpus: real model-zoo source trees, fetched from the package index and cached.

    python benchmarks/corpus.py            # fetch all (into benchmarks/.cache/), print the folders
    python benchmarks/corpus.py timm       # one of them

Wheels are downloaded with `pip download --no-deps` at pinned versions and unpacked; only
their Python sources are used (nothing is imported or run).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"

# distribution -> (pinned version, import package folder inside the wheel)
PACKAGES: dict[str, tuple[str, str]] = {
    "torchvision": ("0.29.1", "torchvision"),
    "timm": ("1.0.31", "timm"),
    "kornia": ("0.9.0", "kornia"),
    "segmentation-models-pytorch": ("0.6.0", "segmentation_models_pytorch"),
}


def fetch(distribution: str) -> Path:
    """The unpacked source folder of `distribution` (downloaded on first use)."""
    version, package = PACKAGES[distribution]
    target = CACHE / f"{distribution}-{version}"
    marker = target / ".complete"
    if marker.exists():
        return target / package
    downloads = CACHE / "wheels"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(downloads),
            f"{distribution}=={version}",
        ],
        check=True,
    )
    stem = distribution.replace("-", "_")
    wheels = sorted(downloads.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip downloaded no wheel for {distribution}=={version} into {downloads}")
    with zipfile.ZipFile(wheels[0]) as archive:
        members = [m for m in archive.namelist() if m.startswith(f"{package}/") and m.endswith(".py")]
        archive.extractall(target, members)
    marker.touch()
    return target / package


def model_files(distribution: str) -> list[Path]:
    """The model-definition files of a package (what users lint), sorted."""
    root = fetch(distribution)
    folder = {"torchvision": root / "models", "timm": root / "models"}.get(distribution, root)
    return sorted(folder.rglob("*.py"))


def all_files(distribution: str) -> list[Path]:
    return sorted(fetch(distribution).rglob("*.py"))


if __name__ == "__main__":
    for name in sys.argv[1:] or list(PACKAGES):
        folder = fetch(name)
        files = all_files(name)
        lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files)
        print(f"{name}: {folder} ({len(files)} files, {lines} lines)")
