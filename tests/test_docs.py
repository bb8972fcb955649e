"""Every command-line option and environment setting is documented in the README."""

from __future__ import annotations

import re

import typer.main

from aimsgraph.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_in_the_readme() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.main.TyperGroup)
    assert set(command.commands) == {
        "validate",
        "watch",
        "gaps",
        "query",
        "queries",
        "load",
        "serve",
        "report",
        "history",
    }
    for name, subcommand in command.commands.items():
        assert f"aimsgraph {name}" in README, name
        options = {o for parameter in subcommand.params for o in parameter.opts if o.startswith("--")}
        assert sorted(option for option in options if f"`{option}" not in README and f"[{option}" not in README) == []


def test_every_environment_setting_is_in_the_readme() -> None:
    source = (ROOT / "src" / "aimsgraph" / "settings.py").read_text(encoding="utf-8")
    settings = set(re.findall(r'"(AIMSGRAPH_[A-Z_]+)"', source))
    assert settings
    assert sorted(s for s in settings if s not in README) == []
