"""Coverage of any catalogued framework: the EU AI Act, the GDPR, NIST AI RMF or ISO/IEC 42001 itself.

A requirement of another framework gets its status from, in this order:

1. applicability: a decision recorded for it (``aims:RequirementApplicability`` with
   ``aims:concernsRequirement``),
   else the conditions its catalogue entry states (the role and EU AI Act class of an AI system
   that bring the duty; personal data for the GDPR): nothing brings the duty, *not applicable*;
2. the rules that check it directly (shapes that name it in ``aims:enforces``): a violation makes
   it *not met*, only warnings or notes *partly met*;
3. controls implemented for it directly: *met* with evidence, *partly met* without;
4. the rules, when they checked it and found nothing: *met*;
5. the ISO/IEC 42001 requirements mapped to it by a crosswalk, each through its relation: an
   equivalent mapping, or one whose ISO side is a superset, carries the ISO status as it is; a
   subset or an intersection carries at most *partly met* (and *not met* as it is); the best
   carried status wins;
6. mappings whose ISO side is itself not assessed or not applicable: *not assessed*; only weak
   mappings (related, or low confidence): *not assessed*, with the mappings shown, never *met*;
   nothing at all: *not assessed*.

Every entry keeps the path its status came by: the findings, or each mapping with its relation,
confidence, rationale, sources and the status of the ISO requirement on its other side.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

import pyoxigraph

from aimsgraph import assets, library, sparql
from aimsgraph.catalog import Catalog, Framework
from aimsgraph.coverage import CoverageStatus, RequirementCoverage
from aimsgraph.model import Finding, Requirement, Severity, Term, ValidationReport

AIMS = "https://w3id.org/aimsgraph/ns#"
ISO_42001 = "iso42001"


class Strength(enum.Enum):
    """What a mapping can carry from the ISO/IEC 42001 side to the other."""

    FULL = "full"  # equivalent, or the ISO requirement covers all of the other
    PARTIAL = "partial"  # a subset or an intersection: at most partly met
    WEAK = "weak"  # related, or low confidence: carries nothing


class Basis(enum.Enum):
    """What a requirement's status rests on."""

    APPLICABILITY = "applicability"
    RULES = "rules"
    CONTROLS = "controls"
    MAPPINGS = "mappings"
    WEAK_MAPPINGS = "weak mappings only"
    NOTHING = "nothing"


# Read "ISO requirement <relation> other requirement"; a mapping written the other way round is
# turned around (a subset one way is a superset the other).
_STRENGTH = {
    "EquivalentTo": Strength.FULL,
    "SupersetOf": Strength.FULL,
    "SubsetOf": Strength.PARTIAL,
    "Intersects": Strength.PARTIAL,
    "RelatedTo": Strength.WEAK,
}
_CONVERSE = {"SubsetOf": "SupersetOf", "SupersetOf": "SubsetOf"}
_LABEL = {
    "EquivalentTo": "equivalent",
    "SupersetOf": "superset",
    "SubsetOf": "subset",
    "Intersects": "intersects",
    "RelatedTo": "related",
}


@dataclass(frozen=True)
class Derivation:
    """One mapping from an ISO/IEC 42001 requirement, and the status it carries (None: none)."""

    mapping: str
    crosswalk: str
    relation: str  # read from the ISO requirement: "6.1.2 intersects AIA Art. 9"
    confidence: str
    strength: Strength
    rationale: str
    sources: tuple[str, ...]
    via: Requirement
    via_status: CoverageStatus
    carries: CoverageStatus | None
    # the controls and evidence behind the ISO requirement, counted for the other when it carries
    via_implementations: tuple[str, ...] = ()
    via_evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class FrameworkRequirementCoverage:
    """One requirement of a framework: its status, what the status rests on, and the path to it."""

    requirement: Requirement
    status: CoverageStatus
    basis: Basis
    applicable: bool | None
    applicability: str
    findings: tuple[Finding, ...]
    derivations: tuple[Derivation, ...]
    implementations: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkCoverage:
    """The coverage of one framework as of the gap report's date."""

    framework: Framework
    coverage: tuple[FrameworkRequirementCoverage, ...]

    @property
    def tally(self) -> dict[CoverageStatus, int]:
        """Give how many requirements have each status."""
        counts = Counter(entry.status for entry in self.coverage)
        return {status: counts.get(status, 0) for status in CoverageStatus}


def coverage_of(
    key: str,
    *,
    iso: tuple[RequirementCoverage, ...],
    validation: ValidationReport,
    store: pyoxigraph.Store,
    catalog: Catalog,
) -> FrameworkCoverage:
    """Give the coverage of the framework ``key`` (not ISO/IEC 42001, whose statuses are ``iso``),
    from the store the validation ran on.

    :raises UsageError: no catalogued framework has that key.
    """
    framework = catalog.framework(key)
    definition = library.find("framework-coverage")
    rows = _select(store, definition.text, {"framework": pyoxigraph.Literal(key)}, definition.lists)
    conditions = _conditions(store)
    mapped = _derivations(store, framework, {entry.requirement.iri: entry for entry in iso}, catalog)
    findings_about: dict[str, list[Finding]] = {}
    for finding in validation.findings:
        for iri in dict.fromkeys(r.iri for r in finding.requirements):
            findings_about.setdefault(iri, []).append(finding)
    entries = []
    for row in rows:
        iri = _text(row["requirement"])
        applicable, applicability = _applicability(row, conditions.get(iri))
        entries.append(
            _entry(
                catalog.requirements[iri],
                applicable=applicable,
                applicability=applicability,
                findings=tuple(findings_about.get(iri, ())),
                checked=iri in validation.checked_requirements,
                derivations=tuple(mapped.get(iri, ())),
                implementations=_members(row["implementations"]),
                evidence=tuple(m for m in _members(row["evidence"]) if m),
            )
        )
    return FrameworkCoverage(framework, tuple(entries))


def _entry(
    requirement: Requirement,
    *,
    applicable: bool | None,
    applicability: str,
    findings: tuple[Finding, ...],
    checked: bool,
    derivations: tuple[Derivation, ...],
    implementations: tuple[str, ...],
    evidence: tuple[str, ...],
) -> FrameworkRequirementCoverage:
    severities = {f.severity for f in findings}
    carried = [d.carries for d in derivations if d.carries is not None]
    status, basis = CoverageStatus.NOT_ASSESSED, Basis.NOTHING
    if applicable is False:
        status, basis = CoverageStatus.NOT_APPLICABLE, Basis.APPLICABILITY
    elif Severity.VIOLATION in severities:
        status, basis = CoverageStatus.NOT_MET, Basis.RULES
    elif severities:
        status, basis = CoverageStatus.PARTLY_MET, Basis.RULES
    elif implementations:
        status = CoverageStatus.MET if evidence else CoverageStatus.PARTLY_MET
        basis = Basis.CONTROLS
    elif checked:
        status, basis = CoverageStatus.MET, Basis.RULES
    elif carried:
        status, basis = _best(carried), Basis.MAPPINGS
    elif any(d.strength is not Strength.WEAK for d in derivations):
        basis = Basis.MAPPINGS  # but the ISO side is itself not assessed, or not applicable
    elif derivations:
        basis = Basis.WEAK_MAPPINGS
    if basis is Basis.MAPPINGS:
        # what the carried statuses rest on counts for this requirement too
        for derivation in derivations:
            if derivation.carries in (CoverageStatus.MET, CoverageStatus.PARTLY_MET):
                implementations += derivation.via_implementations
                evidence += derivation.via_evidence
    return FrameworkRequirementCoverage(
        requirement=requirement,
        status=status,
        basis=basis,
        applicable=applicable,
        applicability=applicability,
        findings=findings,
        derivations=derivations,
        implementations=tuple(dict.fromkeys(implementations)),
        evidence=tuple(dict.fromkeys(evidence)),
    )


def _best(carried: list[CoverageStatus]) -> CoverageStatus:
    for status in (CoverageStatus.MET, CoverageStatus.PARTLY_MET, CoverageStatus.NOT_MET):
        if status in carried:
            return status
    raise AssertionError(f"only met, partly met or not met are carried, not {carried}")


def carried_status(via_status: CoverageStatus, strength: Strength) -> CoverageStatus | None:
    """Give the status a mapping of ``strength`` carries from an ISO requirement with ``via_status``."""
    if strength is Strength.WEAK or via_status not in (
        CoverageStatus.MET,
        CoverageStatus.PARTLY_MET,
        CoverageStatus.NOT_MET,
    ):
        return None  # an ISO control not applicable, or not assessed, says nothing of the other
    if strength is Strength.PARTIAL and via_status is CoverageStatus.MET:
        return CoverageStatus.PARTLY_MET
    return via_status


def _derivations(
    store: pyoxigraph.Store,
    framework: Framework,
    iso: dict[str, RequirementCoverage],
    catalog: Catalog,
) -> dict[str, list[Derivation]]:
    rows = _select(store, assets.query_text(_MAPPINGS), {"scheme": pyoxigraph.NamedNode(framework.iri)})
    found: dict[str, list[Derivation]] = {}
    for row in rows:
        source, target = _text(row["from"]), _text(row["to"])
        relation = _text(row["relation"]).removeprefix(AIMS)
        if source in iso and target not in iso:
            via, other = iso[source], target
        elif target in iso and source not in iso:
            via, other, relation = iso[target], source, _CONVERSE.get(relation, relation)
        else:
            continue  # between two other frameworks: no ISO status to carry
        if relation not in _STRENGTH or other not in catalog.requirements:
            continue  # an unknown relation carries nothing; a shape reports the mapping
        confidence = _text(row["confidence"]).removeprefix(AIMS)
        strength = Strength.WEAK if confidence == "LowConfidence" else _STRENGTH[relation]
        found.setdefault(other, []).append(
            Derivation(
                mapping=_text(row["mapping"]),
                crosswalk=_text(row["crosswalk"]),
                relation=_LABEL[relation],
                confidence=confidence.removesuffix("Confidence").lower(),
                strength=strength,
                rationale=row["rationale"].value if row["rationale"] is not None else "",
                sources=_members(row["sources"]),
                via=via.requirement,
                via_status=via.status,
                carries=carried_status(via.status, strength),
                via_implementations=via.implementations,
                via_evidence=tuple(e for e in via.evidence if e),
            )
        )
    order = catalog.order
    for derivations in found.values():
        derivations.sort(key=lambda d: (d.strength is Strength.WEAK, order.get(d.via.iri, 0)))
    return found


@dataclass(frozen=True)
class _Condition:
    """What a provision applies under, in words, and what in the data brings it."""

    what: str
    bringers: tuple[str, ...]


def _conditions(store: pyoxigraph.Store) -> dict[str, _Condition]:
    """Give, for each provision that applies only under conditions, what in the data brings it."""
    rows = _select(store, assets.query_text(_APPLICABILITY), {})
    return {_text(row["requirement"]): _Condition(_text(row["condition"]), _members(row["bringers"])) for row in rows}


def _applicability(row: dict[str, Term | None], condition: _Condition | None) -> tuple[bool | None, str]:
    decided = row["applicable"]
    if decided is not None:
        why = row["justification"].value if row["justification"] is not None else "no justification recorded"
        verdict = "applicable" if decided.value == "true" else "not applicable"
        return decided.value == "true", f"decided {verdict}: {why}"
    if condition is None:
        return None, "applies to every organisation in scope"
    if not condition.bringers:
        return False, f"applies only with {condition.what}, and the data has none"
    return True, f"applies with {condition.what}: " + ", ".join(condition.bringers)


_MAPPINGS = "internal/mappings.rq"
_APPLICABILITY = "internal/framework-applicability.rq"


def _select(
    store: pyoxigraph.Store,
    text: str,
    values: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal],
    lists: tuple[str, ...] = ("sources", "bringers"),
) -> list[dict[str, Term | None]]:
    result = sparql.run(store, sparql.bind(text, values), source="frameworks", lists=lists)
    assert isinstance(result, sparql.SelectResult)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _text(term: Term | None) -> str:
    assert term is not None
    return term.value


def _members(term: Term | None) -> tuple[str, ...]:
    return tuple(term.value.split("|")) if term is not None and term.value else ()
