"""The import rule of docs/architecture.md: the project on top, the toolkit at the bottom, apps
in one direction between them.

- `gisplatform` (the project: settings, urls, wsgi) imports apps; nothing imports it.
- `toolkit` imports no app.
- An app imports only apps below it in APP_ORDER, so no two apps import each other.

Imports are read from the source (every `import` and `from ... import`, also those inside
functions); tests and migrations are left out.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import any app before it in this list, never one after it.
APP_ORDER = [
    "toolkit", "accounts", "wards", "assets", "residents", "notices", "triage", "channels", "directory",
    "heatmaps", "layers",
]
PROJECT = "gisplatform"
PACKAGES = [*APP_ORDER, PROJECT]


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def source_files(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def package_imports(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the files that make that import."""
    edges: dict[tuple[str, str], list[str]] = {}
    for package in PACKAGES:
        for path in source_files(package):
            for module in imported_modules(path):
                top = module.split(".")[0]
                if top in PACKAGES and top != package:
                    edges.setdefault((package, top), []).append(f"{path.relative_to(root)} imports {module}")
    return edges


def violations(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    found = []
    for (importer, imported), where in sorted(edges.items()):
        if imported == PROJECT:
            found += [f"{line}: no app imports the project package" for line in where]
        elif importer == PROJECT:
            continue
        elif APP_ORDER.index(imported) > APP_ORDER.index(importer):
            found += [f"{line}: {importer} may not import {imported}, which is above it" for line in where]
    return found


def test_every_app_imports_only_apps_below_it_and_never_the_project():
    assert violations(package_imports()) == []


def test_every_python_package_of_the_project_is_placed_in_the_order():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= set(PACKAGES), f"place {sorted(packages - set(PACKAGES))} in APP_ORDER"


@pytest.mark.parametrize("importer, imported, expected", [
    ("wards", "layers", "wards may not import layers, which is above it"),
    ("toolkit", "accounts", "toolkit may not import accounts, which is above it"),
    ("triage", "gisplatform", "no app imports the project package"),
])
def test_an_upward_import_is_named(importer, imported, expected):
    # The rule itself, on a made-up edge: an upward or project import is reported with its file.
    found = violations({(importer, imported): [f"{importer}/x.py imports {imported}.y"]})
    assert found == [f"{importer}/x.py imports {imported}.y: {expected}"]


def test_a_cycle_between_two_apps_is_an_upward_import():
    edges = {("wards", "layers"): ["wards/a.py imports layers.b"], ("layers", "wards"): ["layers/b.py imports wards.a"]}
    assert violations(edges) == ["wards/a.py imports layers.b: wards may not import layers, which is above it"]
