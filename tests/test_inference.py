"""Inference is optional, runs on a copy, and never makes a type check pass by inventing a type."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimsgraph.model import Inference
from aimsgraph.validate import validate
from tests.conftest import FIXTURE_AS_OF

# The organisation's own vocabulary, passed as an extension: in the data itself it would be set
# aside as an attempt to redefine aimsgraph's terms (see integrity.py).
EXTENSION = """@prefix aims: <https://w3id.org/aimsgraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix acme: <https://acme.example/ns#> .
acme:productOwner rdfs:subPropertyOf aims:accountableOwner .
"""
DATA = """@prefix aims: <https://w3id.org/aimsgraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix acme: <https://acme.example/ns#> .
@prefix ex: <https://fixture.example/> .


ex:untyped-owner a aims:AISystem ; aims:accountableOwner ex:somebody .
ex:via-subproperty a aims:AISystem ; acme:productOwner ex:ana .
ex:ana a aims:Person .
"""


def _owner_findings(tmp_path: Path, inference: Inference) -> set[str]:
    path, extension = tmp_path / "data.ttl", tmp_path / "acme.ttl"
    path.write_text(DATA)
    extension.write_text(EXTENSION)
    report = validate([str(path)], as_of=FIXTURE_AS_OF, inference=inference, extensions=[str(extension)])
    return {f.focus_node for f in report.findings if f.rule == "AISystemAccountableOwner"}


@pytest.mark.parametrize("inference", list(Inference), ids=lambda i: i.value)
def test_an_untyped_owner_fails_whatever_the_inference(tmp_path: Path, inference: Inference) -> None:
    assert "https://fixture.example/untyped-owner" in _owner_findings(tmp_path, inference)


def test_a_users_subproperty_counts_only_with_inference(tmp_path: Path) -> None:
    assert "https://fixture.example/via-subproperty" in _owner_findings(tmp_path, Inference.NONE)
    assert "https://fixture.example/via-subproperty" not in _owner_findings(tmp_path, Inference.RDFS)
    assert "https://fixture.example/via-subproperty" not in _owner_findings(tmp_path, Inference.OWLRL)
