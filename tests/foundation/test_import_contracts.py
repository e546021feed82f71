"""The import contracts in pyproject.toml hold, and they catch a new cycle or a layer broken.

Each test copies the package's Python files to a scratch folder, adds one bad import there
and runs ``lint-imports`` on the copy with the project's own contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(tmp_path: Path, *, add: dict[str, str]) -> subprocess.CompletedProcess[str]:
    shutil.copytree(ROOT / "guestlist", tmp_path / "guestlist", ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "import_contracts.py", tmp_path / "tests" / "import_contracts.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in add.items():
        path = tmp_path / (module.replace(".", "/") + ".py")
        path.write_text(path.read_text() + f"\n{line}\n")
    env = os.environ | {"PYTHONPATH": str(tmp_path)}
    return subprocess.run(  # noqa: S603 - our own tool on our own copy
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_fail_on_a_new_import_cycle(tmp_path: Path) -> None:
    # members.services -> plexwork.outbox -> plexwork.queue, and now back again.
    result = lint_copy(tmp_path, add={"guestlist.plexwork.queue": "import guestlist.members.services"})

    assert result.returncode == 1, result.stdout
    assert "No import cycles, however many apps they run through BROKEN" in result.stdout
    assert "guestlist.plexwork.queue" in result.stdout.split("Broken contracts")[1]


def test_the_contracts_fail_when_the_plex_link_reaches_up_into_the_domain(tmp_path: Path) -> None:
    result = lint_copy(tmp_path, add={"guestlist.plex.records": "import guestlist.members.models"})

    assert result.returncode == 1, result.stdout
    assert "One-way layers: entry points, domain, the Plex link, core, lib BROKEN" in result.stdout
    assert "guestlist.plex is not allowed to import guestlist.members" in result.stdout


# Test support and the simulator stand outside the layers: the simulator has its own contract,
# and nothing in the product imports guestlist.testing.
OUTSIDE_THE_LAYERS = {"guestlist.plexsim", "guestlist.testing"}


def test_every_part_of_the_package_has_a_place_in_the_layers() -> None:
    # A new app that no contract names would escape every rule without anyone noticing.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["type"] == "layers")["layers"]
    # Siblings in a layer are separated by ":" (may import each other) or "|" (independent).
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    parts = {
        f"guestlist.{path.stem}"
        for path in (ROOT / "guestlist").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }

    assert parts - OUTSIDE_THE_LAYERS - placed == set()
