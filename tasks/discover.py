"""Landing folder -> the files to take, in the contract's order (section 2)."""

from __future__ import annotations

import hashlib
import time
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
    stat: str = ""      # size, modification and change times, inode: see file_stat


RACY_SECONDS = 2.0      # a file changed this recently could change again within one clock tick


def file_stat(path: Path) -> tuple[int, str]:
    """Size, and what tells that the file is unchanged since it was hashed: any write moves its
    change time (ctime), which, unlike the modification time, no copy or sync tool can set back.
    A file changed in the last RACY_SECONDS gets no stat (as git treats a racily clean file): a
    second write within the same tick of the file system's clock would leave the times as they were."""
    st = path.stat()
    if time.time() - st.st_ctime < RACY_SECONDS:
        return st.st_size, ""
    return st.st_size, f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(landing: Path, hashed: dict[str, tuple[str, str]] | None = None) -> list[LandingFile]:
    """Every submission file, form by form (zone_events, enterprises, ...), then by path.
    `hashed`: path -> (file_stat, sha256) as last registered; a file whose stat is the same is not
    read again (a landing folder holds years of files, and a run takes a few new ones)."""
    hashed = hashed or {}
    found = []
    for form in FORM_ORDER:
        folder = landing / form
        if not folder.is_dir():
            continue
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(landing).parts))
        for path in sorted(paths, key=lambda p: p.relative_to(landing).as_posix()):
            rel_path, (size, stat) = path.relative_to(landing).as_posix(), file_stat(path)
            known_stat, known_sha = hashed.get(rel_path, ("", ""))
            sha = known_sha if stat and stat == known_stat else sha256_of(path)
            found.append(LandingFile(form, path, rel_path, sha, size, stat))
    return found
