"""A plain install carries everything: build the wheel, install it into a fresh venv and
run ``scatterdash`` from a directory with no source tree in sight."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(300)

NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def _packages_on_disk() -> set[str]:
    found = set()
    for top in ("core", "gui"):
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]:
            if folder.is_dir() and "__pycache__" not in folder.parts and any(folder.glob("*.py")):
                found.add(".".join(folder.relative_to(ROOT).parts))
    return found


def test_every_package_and_data_file_is_in_the_distribution() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    missing = _packages_on_disk() - set(setuptools["packages"])
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert setuptools["package-dir"]["scatterdash_resources"] == "resources"
    data = setuptools["package-data"]
    for path in (ROOT / "resources").rglob("*"):
        if (
            path.is_file()
            and path.suffix != ".py"
            and path.name != "screenshot.png"
            and "__pycache__" not in path.parts
        ):
            folder = path.parent.relative_to(ROOT / "resources").parts
            package = ".".join(("scatterdash_resources", *folder))
            assert package in setuptools["packages"], f"{package}: not in packages"
            shipped = any(path.match(p) for p in data.get(package, ()))
            assert shipped, f"{path.relative_to(ROOT)} is not in package-data[{package!r}]"


def _isolated_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_a_wheel_installed_in_a_fresh_venv_runs_the_demo_from_elsewhere(tmp_path: Path) -> None:
    # built from a copy: an in-tree build would leave build/ behind, whose stale files a
    # later build could ship
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("scatterdash-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--isolated",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        env=_isolated_env(venv),
    )
    # the dependencies (Qt, pydantic, …) come from this test's environment, without its
    # own scatterdash: a directory named in a .pth file is not scanned for further .pth files
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _isolated_env(venv)

    def scatterdash(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "scatterdash"), *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import core, scatterdash_resources; print(core.__file__); "
            "print(core.resource('icons/compare.svg').is_file())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(site)) and where[1] == "True"

    version = scatterdash("--version")
    assert (version.returncode, version.stdout.strip()) == (0, "scatterdash 0.1.0")

    compare = scatterdash("compare", "--demo", "--product", "SKU-123", "--quantity", "4", "--json")
    assert compare.returncode == 0, compare.stderr
    outcome = json.loads(compare.stdout)
    assert outcome["decided"] and len(outcome["suppliers"]) == 12

    # the window too: its icons and the demo fleet come from the installed package data
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(XDG_DATA_HOME=str(tmp_path / "data"))
    shot = scatterdash("--screenshot", str(elsewhere / "window.png"))
    assert shot.returncode == 0, shot.stderr
    assert (elsewhere / "window.png").stat().st_size > 10_000
