"""The history import's mapping options: their categories, statuses and channels to ours, given
one pair at a time (`--status Closed=closed`), several in one option (`--map-status
"Closed=closed,Logged=submitted"`), or in a small CSV file (`--mapping-file`)."""

import csv
from pathlib import Path

MAPPED_FIELDS = ("category", "status", "channel")


class MappingError(ValueError):
    """A mapping option or file is wrong; the message names it."""


def _split(value: str) -> list[str]:
    """'A=a,B=b' is two pairs; 'Roads, verges=roads' (a comma inside their value) is one."""
    pieces = [piece for piece in value.split(",") if piece.strip()]
    return pieces if len(pieces) > 1 and all("=" in piece for piece in pieces) else [value]


def parse_pairs(pairs: list[str], option: str, allowed: list[str] | None = None) -> dict[str, str]:
    """['Potholes=pothole', 'Open=submitted,Done=resolved'] → {'potholes': 'pothole', ...}; a bad
    pair names the option."""
    mapping = {}
    for pair in (piece for value in pairs or [] for piece in _split(value)):
        theirs, sep, ours = pair.rpartition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise MappingError(f"{option} '{pair}': write it as THEIRS=OURS.")
        if allowed is not None and ours.strip() not in allowed:
            raise MappingError(f"{option} '{pair}': '{ours.strip()}' is not one of: {', '.join(allowed)}.")
        mapping[theirs.strip().lower()] = ours.strip()
    return mapping


def _read_rows(path: str, option: str) -> list[list[str]]:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{option} {path}: cannot be read as UTF-8 CSV ({exc}).") from None


def read_category_map(path: str) -> dict[str, str]:
    """A CSV of two columns with a header row: their category, our category code."""
    mapping = {}
    for line, row in enumerate(_read_rows(path, "--category-map")[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise MappingError(f"--category-map {Path(path).name} line {line}: needs their category and our code.")
        mapping[row[0].strip().lower()] = row[1].strip()
    return mapping


def read_mapping_file(path: str, allowed: dict[str, list[str] | None]) -> dict[str, dict[str, str]]:
    """A CSV with a header row and three columns: what (category, status or channel), theirs, ours.
    Returns {what: {their value in lower case: ours}}; `allowed` lists our values per `what`
    (None: checked later)."""
    mapping: dict[str, dict[str, str]] = {what: {} for what in MAPPED_FIELDS}
    name = Path(path).name
    for line, row in enumerate(_read_rows(path, "--mapping-file")[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 3 or not all(cell.strip() for cell in row[:3]):
            raise MappingError(f"--mapping-file {name} line {line}: needs three columns: what, theirs, ours.")
        what, theirs, ours = (cell.strip() for cell in row[:3])
        if what.lower() not in MAPPED_FIELDS:
            raise MappingError(f"--mapping-file {name} line {line}: '{what}' is not one of {', '.join(MAPPED_FIELDS)}.")
        choices = allowed.get(what.lower())
        if choices is not None and ours not in choices:
            raise MappingError(f"--mapping-file {name} line {line}: '{ours}' is not a {what.lower()} of ours "
                               f"({', '.join(choices)}).")
        mapping[what.lower()][theirs.lower()] = ours
    return mapping
