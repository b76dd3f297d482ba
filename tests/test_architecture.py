"""The house keeps its rules: floors, no cycles, faces, small modules, a tidy package root.

The rules are ``tests.architecture``; the first tests hold Lifeline to them, the others
show on deliberately broken trees that the checker catches what it is meant to catch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.architecture import FLOORS, read, violations

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_MODULE_LINES = 400


def test_lifeline_keeps_its_import_rules() -> None:
    assert violations(read(SRC, "lifeline")) == []


def test_every_package_stands_on_a_floor() -> None:
    graph = read(SRC, "lifeline")
    assert {p.split(".")[1] for p in graph.packages()} == set(FLOORS)


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_package_root_holds_only_its_face_and_entry_point() -> None:
    loose = sorted(p.name for p in (SRC / "lifeline").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


# --- the checker on broken trees --------------------------------------------------------


def tree(root: Path, files: dict[str, str]) -> Path:
    """A package tree ``lifeline/…`` under ``root`` with these files (and their __init__s)."""
    for name, text in files.items():
        path = root / "lifeline" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for folder in [root / "lifeline", *(root / "lifeline").rglob("*")]:
        if folder.is_dir() and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("")
    return root


CLEAN = {
    "core/words.py": "LANGUAGES = ('de', 'en')\n",
    "channels/mail.py": "from lifeline.core.words import LANGUAGES\n",
    "members/model.py": "from lifeline.core import words\n",
    "members/store.py": "from .model import words\nfrom lifeline.channels import mail\n",
    "messages/render.py": "from lifeline.members.model import words\n",
    "delivery/batch.py": (
        "from lifeline.messages import render\nfrom lifeline.members import store\n"
    ),
    "bot/__init__.py": "from lifeline.bot.guard import check\n",
    "bot/guard.py": "def check() -> None: ...\n",
    "api/app.py": "from lifeline.bot import check\nfrom lifeline.delivery import batch\n",
}


def test_a_tree_that_keeps_the_rules_passes(tmp_path: Path) -> None:
    assert violations(read(tree(tmp_path, CLEAN), "lifeline")) == []


def test_a_cycle_between_modules_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {
        "members/model.py": "from lifeline.members import store\n",
        "members/store.py": "from lifeline.members.model import Member\n",
    }
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert found == [
        "import cycle between modules: lifeline.members.model → lifeline.members.store"
        " → lifeline.members.model"
    ]


def test_a_cycle_through_a_lazy_import_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {
        "messages/render.py": "def later():\n    from lifeline.messages import sms\n",
        "messages/sms.py": "from lifeline.messages.render import later\n",
    }
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert any(line.startswith("import cycle between modules") for line in found), found


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {"members/store.py": "from lifeline.delivery.batch import run\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    # delivery imports members too, so the upward import also closes a cycle.
    assert (
        "lifeline.members.store:1: imports lifeline.delivery.batch — upward, from members "
        "(floor 3) to delivery (floor 4)"
    ) in found


def test_core_importing_anything_of_lifeline_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {"core/words.py": "import lifeline.channels.mail\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert any("upward, from core (floor 0) to channels (floor 1)" in line for line in found)


def test_a_relative_upward_import_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {"channels/mail.py": "from ..members import model\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert (
        "lifeline.channels.mail:1: imports lifeline.members.model — upward, from channels "
        "(floor 1) to members (floor 3)"
    ) in found


def test_reaching_past_the_bots_face_is_caught(tmp_path: Path) -> None:
    files = CLEAN | {"api/app.py": "from lifeline.bot.guard import check\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert found == [
        "lifeline.api.app:1: imports lifeline.bot.guard — api may use bot only through lifeline.bot"
    ]


def test_two_domains_using_each_other_are_caught(tmp_path: Path) -> None:
    files = CLEAN | {"members/store.py": "from lifeline.messages import render\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert found == ["import cycle between packages: members → messages → members"]


@pytest.mark.parametrize("package", ["statuspage", "metrics"])
def test_a_package_without_a_floor_is_named(tmp_path: Path, package: str) -> None:
    files = CLEAN | {f"{package}/page.py": "from lifeline.core import words\n"}
    found = violations(read(tree(tmp_path, files), "lifeline"))
    assert found == [f"lifeline.{package}.page:1: package {package!r} has no floor"]
