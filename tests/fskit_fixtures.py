"""Helpers for the FreeSWITCH kit tests: a private copy of the shipped kit
(freeswitch-conf/ and dialplans/ side by side, as in the repository) that a
test may break, and small editing helpers that fail loudly when the text they
edit is not there (so a test cannot silently stop testing anything)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "freeswitch-conf"
DIALPLANS = ROOT / "dialplans"


def copy_kit(destination: Path) -> Path:
    """Copy the kit under ``destination``; return the copy's freeswitch-conf directory."""
    ignore = shutil.ignore_patterns("*.xml.part")
    shutil.copytree(KIT, destination / "freeswitch-conf", ignore=ignore)
    shutil.copytree(DIALPLANS, destination / "dialplans")
    for generated in (destination / "freeswitch-conf" / "local").glob("*.xml"):
        generated.unlink()
    for generated in (destination / "freeswitch-conf" / "directory" / "users").glob("*.xml"):
        generated.unlink()
    return destination / "freeswitch-conf"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"expected exactly one {old!r} in {path}"
    path.write_text(text.replace(old, new))


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {path}")


def write_local_vars(kit: Path, name: str, **variables: str) -> Path:
    """Write kit/local/<name>.xml setting the given pre-processor variables."""
    lines = ["<include>"]
    lines += [f'  <X-PRE-PROCESS cmd="set" data="{key}={value}"/>' for key, value in variables.items()]
    lines += ["</include>", ""]
    path = kit / "local" / f"{name}.xml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def kit(tmp_path) -> Path:
    return copy_kit(tmp_path / "kit")
