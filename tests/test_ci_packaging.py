"""The pre-commit hook and the GitHub Action call aimsgraph with options that exist, and the
Action's script, run the way a GitHub runner runs it, validates, annotates and writes its files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLE_AS_OF, EXAMPLE_FINDINGS, EXAMPLES, ROOT

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


ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0.json").read_text())


def _run_validate_step(workdir: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    """Run the Action's Validate step as a runner would: inputs resolved into the step's env
    (defaults from action.yml), the script under `bash --noprofile --norc -eo pipefail`."""
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    step = next(step for step in ACTION["runs"]["steps"] if step.get("name") == "Validate")
    env = {
        name: re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], expression)
        for name, expression in step["env"].items()
    }
    script = workdir / "validate-step.sh"
    script.write_text(step["run"])
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workdir,
        env={**os.environ, **env, "PATH": path, "GITHUB_STEP_SUMMARY": str(workdir / "summary.md")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("fail_on", "status"), [("violation", 1), ("never", 0)])
def test_the_action_step_annotates_writes_sarif_junit_and_a_summary(tmp_path: Path, fail_on: str, status: int) -> None:
    run = _run_validate_step(
        tmp_path,
        paths=str(EXAMPLES / "kestrel"),
        **{"fail-on": fail_on, "as-of": EXAMPLE_AS_OF.isoformat(), "junit": "aimsgraph.xml"},
    )
    assert run.returncode == status, run.stderr
    assert re.search(r"^::error file=[^,]*soa\.ttl,line=18,title=SoADecidesEveryControl::", run.stdout, re.MULTILINE)
    sarif = json.loads((tmp_path / "aimsgraph.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == EXAMPLE_FINDINGS
    assert "<testsuite" in (tmp_path / "aimsgraph.xml").read_text()
    assert "SoADecidesEveryControl" in (tmp_path / "summary.md").read_text()


def test_the_action_step_with_a_baseline_passes_on_known_findings(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    kestrel = str(EXAMPLES / "kestrel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aimsgraph",
            "validate",
            kestrel,
            "--as-of",
            EXAMPLE_AS_OF.isoformat(),
            "--create-baseline",
            str(baseline),
        ],
        check=True,
        capture_output=True,
    )
    run = _run_validate_step(tmp_path, paths=kestrel, **{"as-of": EXAMPLE_AS_OF.isoformat(), "baseline": str(baseline)})
    assert run.returncode == 0, run.stdout + run.stderr
