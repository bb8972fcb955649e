"""Shared test helpers: paths to the project's data folders and the fixtures."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from rdflib import Graph

from aimsgraph.validate import bundled_knowledge

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHAPE_FIXTURES = FIXTURES / "shapes"
EXAMPLES = ROOT / "examples"
# The reference facts live beside the project (../shared/reference), as laid out for every
# session and for CI; a checkout without them skips the tests that need them.
REFERENCE = ROOT.parent / "shared" / "reference"
FIXTURE_AS_OF = dt.date(2026, 6, 30)
EXAMPLE_AS_OF = dt.date(2026, 11, 26)
# What validating examples/kestrel as of EXAMPLE_AS_OF finds (examples/kestrel/README.md): fifteen
# gaps, one of them caught by two rules, of which one finding is a warning.
EXAMPLE_FINDINGS = 16
EXAMPLE_VIOLATIONS = 15


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        # CI always lays shared/ beside the clone: there, a missing reference is a failure.
        if os.environ.get("CI"):
            pytest.fail(f"reference facts not found at {REFERENCE}")
        pytest.skip(f"reference facts not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def knowledge() -> Graph:
    """The bundled ontology and catalogues, as the engine loads them."""
    return bundled_knowledge()
