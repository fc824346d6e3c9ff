"""The project's top-level fixtures/ folder: the demo's definitions as JSON (fixtures/demo/) and the
small hand-made GIS files tests import (fixtures/gis/). Plain files beside the code, not a package:
the project runs from its checkout."""

import json
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def fixtures_dir() -> Path:
    return FIXTURES_DIR


def demo_fixture(name: str):
    """The parsed contents of fixtures/demo/<name>.json."""
    return json.loads((FIXTURES_DIR / "demo" / f"{name}.json").read_text(encoding="utf-8"))
