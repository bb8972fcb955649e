"""The synthetic AIMS generator (bench/) is deterministic and speaks the ontology, gaps included."""

from __future__ import annotations

import sys
from pathlib import Path

from aimsgraph.validate import validate
from tests.conftest import EXAMPLE_AS_OF, ROOT

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate


def test_same_seed_same_graph_and_the_deliberate_gaps_are_found(tmp_path: Path) -> None:
    lines = list(generate(60, seed=3))
    assert lines == list(generate(60, seed=3))
    assert lines != list(generate(60, seed=4))
    path = tmp_path / "synthetic.nt"
    path.write_text("\n".join(lines) + "\n")
    rules = {f.rule for f in validate([str(path)], as_of=EXAMPLE_AS_OF).findings}
    assert "DeclaredTerms" not in rules and "KnownRequirement" not in rules
    assert {"RiskOwner", "RiskTreated", "AISystemAccountableOwner", "EvidenceCurrent"} <= rules
    # the EU AI Act records are there, each missing now and then; the quality manual is always there
    assert rules & {"TransparencyNoticeGiven", "HighRiskTechnicalDocumentation", "EventLogRetention"}
    assert "HighRiskQualityManagementSystem" not in rules
