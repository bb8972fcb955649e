"""Coverage of any catalogued framework: the EU AI Act, the GDPR, NIST AI RMF or ISO/IEC 42001 itself.

A requirement of another framework gets its status from, in this order:

1. applicability: a decision recorded for it (``aims:RequirementApplicability`` with
   ``aims:concernsRequirement``), else the conditions its catalogue entry states (the role and EU
   AI Act class of an AI system that bring the duty; for the GDPR, personal data): nothing brings
   the duty, *not applicable*;
2. the rules that check it directly (shapes that name it in ``aims:enforces``), counting for a
   duty an AI system brings only the findings about the AI systems that bring it: a violation
   makes it *not met*, only warnings or notes *partly met*;
3. controls implemented for it directly: *met* when one is in place (``aims:Implemented``, with
   evidence nothing supersedes), else *partly met*; evidence that supports it directly and is
   current as of the date: *met*;
4. the rules, when they checked it and found nothing: *met*.

   A *met* from 3 or 4 is *partly met* when an ISO/IEC 42001 requirement mapped to it (not
   weakly) is not met: the direct evidence shows part of the requirement, the mapping a failure;
5. the ISO/IEC 42001 requirements mapped to it by a crosswalk, each through its relation: an
   equivalent mapping carries the ISO status as it is; one whose ISO side is a superset carries
   *met* only (a failure may lie in the part outside); a subset or an intersection carries *partly
   met* for met or partly met, *not met* for not met. An equivalent or superset mapping decides
   (the worst, if several disagree); otherwise *partly met* if any partial mapping carries it,
   else *not met*;
6. mappings whose ISO side is itself not assessed or not applicable: *not assessed*; only weak
   mappings (related, or low confidence): *not assessed*, with the mappings shown, never *met*;
   nothing at all: *not assessed*.

Every entry keeps the path its status came by: the findings, or each mapping with its relation,
confidence, rationale, sources and the status of the ISO requirement on its other side.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Sequence
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
    EVIDENCE = "evidence"
    RULES_AND_MAPPINGS = "rules and mappings"  # the rules found nothing, a mapped ISO requirement is not met
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
    (coverage,) = coverages_of([key], iso=iso, validation=validation, store=store, catalog=catalog)
    return coverage


def coverages_of(
    keys: Sequence[str],
    *,
    iso: tuple[RequirementCoverage, ...],
    validation: ValidationReport,
    store: pyoxigraph.Store,
    catalog: Catalog,
) -> tuple[FrameworkCoverage, ...]:
    """Give the coverage of each framework in ``keys``, as :func:`coverage_of` does, reading what
    they share (what brings each duty, which findings concern which requirement) once.

    :raises UsageError: a key is not a catalogued framework's.
    """
    frameworks = [catalog.framework(key) for key in keys]
    if not frameworks:
        return ()
    conditions = _conditions(store)
    findings_about: dict[str, list[Finding]] = {}
    for finding in validation.findings:
        for iri in dict.fromkeys(r.iri for r in finding.requirements):
            findings_about.setdefault(iri, []).append(finding)
    shared = _Shared(
        store,
        catalog,
        conditions,
        findings_about,
        {entry.requirement.iri: entry for entry in iso},
        validation.checked_requirements,
        validation.as_of,
    )
    return tuple(_coverage(framework, shared) for framework in frameworks)


@dataclass(frozen=True)
class _Shared:
    """What the coverage of every framework reads: the store and catalogue, what brings each duty,
    the findings about each requirement, ISO/IEC 42001's coverage and the requirements rules check."""

    store: pyoxigraph.Store
    catalog: Catalog
    conditions: dict[str, _Condition]
    findings_about: dict[str, list[Finding]]
    iso: dict[str, RequirementCoverage]
    checked: frozenset[str]
    as_of: dt.date


def _coverage(framework: Framework, shared: _Shared) -> FrameworkCoverage:
    store, catalog = shared.store, shared.catalog
    definition = library.find("framework-coverage")
    given = {"framework": framework.key, "asOf": shared.as_of.isoformat()}
    values = library.bind_values(definition, given, today=shared.as_of)
    rows = _select(store, definition.text, values, definition.lists)
    mapped = _derivations(store, framework, shared.iso, catalog)
    entries = []
    for row in rows:
        iri = sparql.value(row["requirement"])
        condition = shared.conditions.get(iri)
        applicable, applicability = _applicability(row, condition)
        findings = shared.findings_about.get(iri, [])
        if condition is not None and condition.by_ai_systems and condition.all_named and row["applicable"] is None:
            # a rule checks all AI systems, but a duty binds only those whose role and class bring it
            # (unless the organisation decided it applies, or a blank node brings it, unnamed)
            bringers = frozenset(condition.bringers)
            findings = [f for f in findings if _brought(f, bringers, store)]
        entries.append(
            _entry(
                catalog.requirements[iri],
                applicable=applicable,
                applicability=applicability,
                findings=tuple(findings),
                checked=iri in shared.checked,
                derivations=tuple(mapped.get(iri, ())),
                implementations=sparql.members(row["implementations"]),
                implemented=sparql.members(row["implemented"]),
                evidence=sparql.members(row["evidence"]) + sparql.members(row["currentEvidence"]),
                current=sparql.members(row["currentEvidence"]),
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
    implemented: tuple[str, ...],
    evidence: tuple[str, ...],
    current: tuple[str, ...],
) -> FrameworkRequirementCoverage:
    direct = _Direct(implementations, implemented, current)
    severities = {f.severity for f in findings}
    status, basis = _decide(applicable, severities, direct, checked=checked, derivations=derivations)
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


@dataclass(frozen=True)
class _Direct:
    """What the data holds for a requirement itself: the implemented controls that name it, those of
    them in place (aims:Implemented and evidenced), and the current evidence of the requirement."""

    implementations: tuple[str, ...]
    implemented: tuple[str, ...]
    current: tuple[str, ...]


def _decide(
    applicable: bool | None,
    severities: set[Severity],
    direct: _Direct,
    *,
    checked: bool,
    derivations: tuple[Derivation, ...],
) -> tuple[CoverageStatus, Basis]:
    """Give the status and its basis, in the order the module's docstring gives."""
    if applicable is False:
        return CoverageStatus.NOT_APPLICABLE, Basis.APPLICABILITY
    if severities:
        return (CoverageStatus.NOT_MET if Severity.VIOLATION in severities else CoverageStatus.PARTLY_MET), Basis.RULES
    unmet = any(d.carries is CoverageStatus.NOT_MET for d in derivations)
    if direct.implementations:
        # met only with a control in place, and no mapped ISO requirement that is not met
        met = bool(direct.implemented) and not unmet
        return (CoverageStatus.MET if met else CoverageStatus.PARTLY_MET), Basis.CONTROLS
    if direct.current:
        return (CoverageStatus.PARTLY_MET if unmet else CoverageStatus.MET), Basis.EVIDENCE
    return _mapped(derivations, checked=checked)


def _mapped(derivations: tuple[Derivation, ...], *, checked: bool) -> tuple[CoverageStatus, Basis]:
    carried = [d for d in derivations if d.carries is not None]
    if checked:
        if any(d.carries is CoverageStatus.NOT_MET for d in carried):
            return CoverageStatus.PARTLY_MET, Basis.RULES_AND_MAPPINGS
        return CoverageStatus.MET, Basis.RULES
    if carried:
        return combined(carried), Basis.MAPPINGS
    if any(d.strength is not Strength.WEAK for d in derivations):
        return CoverageStatus.NOT_ASSESSED, Basis.MAPPINGS  # the ISO side is not assessed or not applicable
    return CoverageStatus.NOT_ASSESSED, Basis.WEAK_MAPPINGS if derivations else Basis.NOTHING


_WORST_FIRST = (CoverageStatus.NOT_MET, CoverageStatus.PARTLY_MET, CoverageStatus.MET)


def combined(carried: list[Derivation]) -> CoverageStatus:
    """Give the status that mappings which carry one give together: an equivalent or superset
    mapping decides (the worst if several disagree); else partial mappings give partly met if any
    carries it, and not met if all carry not met."""
    full = {d.carries for d in carried if d.strength is Strength.FULL}
    if full:
        return next(status for status in _WORST_FIRST if status in full)
    partial = {d.carries for d in carried}
    return CoverageStatus.PARTLY_MET if CoverageStatus.PARTLY_MET in partial else CoverageStatus.NOT_MET


def carried_status(via_status: CoverageStatus, strength: Strength, relation: str) -> CoverageStatus | None:
    """Give the status a mapping carries from an ISO requirement with ``via_status``: ``relation``
    is read from the ISO requirement ("superset": the ISO requirement covers all of the other)."""
    if strength is Strength.WEAK or via_status not in _WORST_FIRST:
        return None  # an ISO control not applicable, or not assessed, says nothing of the other
    if relation == "superset":
        # meeting all of the ISO requirement meets the other; failing it may fail only its rest
        return via_status if via_status is CoverageStatus.MET else None
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
        source, target = sparql.value(row["from"]), sparql.value(row["to"])
        relation = sparql.value(row["relation"]).removeprefix(AIMS)
        if source in iso and target not in iso:
            via, other = iso[source], target
        elif target in iso and source not in iso:
            via, other, relation = iso[target], source, _CONVERSE.get(relation, relation)
        else:
            continue  # between two other frameworks: no ISO status to carry
        if relation not in _STRENGTH or other not in catalog.requirements:
            continue  # a relation outside NIST IR 8477's set, or a requirement no catalogue has: nothing to carry
        confidence = sparql.value(row["confidence"]).removeprefix(AIMS)
        strength = Strength.WEAK if confidence == "LowConfidence" else _STRENGTH[relation]
        found.setdefault(other, []).append(
            Derivation(
                mapping=sparql.value(row["mapping"]),
                crosswalk=sparql.value(row["crosswalk"]),
                relation=_LABEL[relation],
                confidence=confidence.removesuffix("Confidence").lower(),
                strength=strength,
                rationale=row["rationale"].value if row["rationale"] is not None else "",
                sources=sparql.members(row["sources"]),
                via=via.requirement,
                via_status=via.status,
                carries=carried_status(via.status, strength, _LABEL[relation]),
                via_implementations=via.implementations,
                via_evidence=via.evidence,
            )
        )
    order = catalog.order
    for derivations in found.values():
        derivations.sort(key=lambda d: (d.strength is Strength.WEAK, order.get(d.via.iri, 0)))
    return found


@dataclass(frozen=True)
class _Condition:
    """What a provision applies under, in words, and what in the data brings it (AI systems, when
    ``by_ai_systems``): ``bringers`` names them, ``count`` counts blank nodes too."""

    what: str
    bringers: tuple[str, ...]
    by_ai_systems: bool
    count: int

    @property
    def all_named(self) -> bool:
        """Whether every one that brings the duty has a name (an IRI), so findings can be matched."""
        return self.count == len(self.bringers)


def _conditions(store: pyoxigraph.Store) -> dict[str, _Condition]:
    """Give, for each provision that applies only under conditions, what in the data brings it."""
    rows = _select(store, assets.query_text(_APPLICABILITY), {})
    return {
        sparql.value(row["requirement"]): _Condition(
            sparql.value(row["condition"]),
            sparql.members(row["bringers"]),
            sparql.value(row["kind"]) == "ai-system",
            int(sparql.value(row["count"])),
        )
        for row in rows
    }


_CONCERNS_SYSTEM = pyoxigraph.NamedNode(AIMS + "concernsSystem")


def _brought(finding: Finding, bringers: frozenset[str], store: pyoxigraph.Store) -> bool:
    """Give whether a finding is about an AI system that brings a duty: its own AI system, or for a
    finding about something that concerns several (an incident), any of them; a finding tied to no
    AI system counts."""
    if finding.ai_system is not None:
        return finding.ai_system in bringers
    if finding.focus_node.startswith("_:"):
        return True
    systems = {
        quad.object.value
        for quad in store.quads_for_pattern(pyoxigraph.NamedNode(finding.focus_node), _CONCERNS_SYSTEM, None)
        if isinstance(quad.object, pyoxigraph.NamedNode)
    }
    return not systems or bool(systems & bringers)


def _applicability(row: dict[str, Term | None], condition: _Condition | None) -> tuple[bool | None, str]:
    decided = row["applicable"]
    if decided is not None:
        why = row["justification"].value if row["justification"] is not None else "no justification recorded"
        verdict = "applicable" if decided.value == "true" else "not applicable"
        return decided.value == "true", f"decided {verdict}: {why}"
    if condition is None:
        return None, "applies to every organisation in scope"
    if not condition.count:
        return False, f"applies only with {condition.what}, and the data has none"
    named = ", ".join(condition.bringers[:_NAMED] or ("a blank node",))
    more = condition.count - min(len(condition.bringers), _NAMED) - (0 if condition.bringers else 1)
    return True, f"applies with {condition.what}: {named}" + (f" and {more:,} more" if more > 0 else "")


_NAMED = 5  # what brings a duty is named up to this many; at scale, thousands of AI systems may


_MAPPINGS = "internal/mappings.rq"
_APPLICABILITY = "internal/framework-applicability.rq"


def _select(
    store: pyoxigraph.Store,
    text: str,
    values: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal],
    lists: tuple[str, ...] = ("sources", "bringers"),
) -> list[dict[str, Term | None]]:
    return sparql.select(store, sparql.bind(text, values), source="frameworks", lists=lists)
