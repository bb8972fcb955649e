"""The pre-commit hook and the GitHub Action call aimsgraph with options that exist."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _options(text: str) -> set[str]:
    return set(re.findall(r"(--[a-z][a-z-]+)", text))


def test_the_action_uses_real_options_and_its_inputs_are_documented() -> None:
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    script = action[action.index("run: |") :]
    used = _options(script) - {"--quiet"}
    assert used == {"--fail-on", "--format", "--output", "--shapes", "--as-of", "--baseline"}
    assert used <= _options(README)
    for name in re.findall(r"^  ([a-z-]+):\n    description:", action, re.MULTILINE):
        assert f"`{name}`" in README, name


def test_the_pre_commit_hook_runs_validate_on_folders() -> None:
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: aimsgraph validate" in hook
    assert "pass_filenames: false" in hook
