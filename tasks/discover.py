"""Landing folder -> the files to take, in the contract's order (section 2)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tasks.forms import FORM_ORDER

SUFFIXES = {".csv", ".xlsx", ".json"}


@dataclass(frozen=True)
class LandingFile:
    form: str
    path: Path          # absolute
    rel_path: str       # under the landing folder, with forward slashes
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(landing: Path) -> list[LandingFile]:
    """Every submission file, form by form (zone_events, enterprises, ...), then by path."""
    found = []
    for form in FORM_ORDER:
        folder = landing / form
        if not folder.is_dir():
            continue
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(landing).parts))
        for path in sorted(paths, key=lambda p: p.relative_to(landing).as_posix()):
            found.append(LandingFile(form, path, path.relative_to(landing).as_posix(),
                                     sha256_of(path), path.stat().st_size))
    return found
