"""The gap report: every ISO/IEC 42001 requirement with a status, and the audit-readiness summary.

It joins two views of the same data, loaded once: the SHACL findings (what is wrong, and which
clause or control each finding concerns) and the library queries ``clause-coverage`` and
``audit-readiness`` (what the data holds for each requirement). The CLI, the API and the HTML
report all serve this one object.

How a status is decided (the one piece of judgement here, kept in one function):

- an Annex A control without a decision in the Statement of Applicability is *not assessed*; one
  decided not applicable is *not applicable*;
- an applicable control with a violation against it is *not met* when nothing implements it and
  *partly met* when something does; without violations it is *met* when it is implemented
  (status aims:Implemented) by a control with evidence, and *partly met* otherwise (still in
  progress, or only warnings against it);
- a clause requirement with a violation against it is *not met*, with only warnings or notes
  *partly met*; without findings it is *met* when a rule checks it or the data holds evidence,
  an implementation or documented information for it, and *not assessed* when nothing does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pyoxigraph

from aimsgraph import library, load, sparql
from aimsgraph.coverage import CoverageStatus, RequirementCoverage, RequirementKind
from aimsgraph.formats import RdfFormat
from aimsgraph.frameworks import ISO_42001, FrameworkCoverage, coverages_of
from aimsgraph.model import Engine, Finding, Inference, Severity, Term, ValidationReport
from aimsgraph.validate import bundled_catalog, read, validation_of

AIMS = "https://w3id.org/aimsgraph/ns#"


@dataclass(frozen=True)
class Readiness:
    """The audit-readiness summary."""

    applicable_controls: int
    controls_met: int
    implemented_controls: int
    controls_with_current_evidence: int
    open_nonconformities: dict[str, int]
    overdue_corrective_actions: int
    clauses: dict[CoverageStatus, int]
    controls: dict[CoverageStatus, int]

    @property
    def share_ready(self) -> float:
        """Give the share of applicable controls implemented with current evidence (0 when none apply)."""
        if self.applicable_controls == 0:
            return 0.0
        return self.controls_with_current_evidence / self.applicable_controls


@dataclass(frozen=True)
class GapReport:
    """The gap analysis of an AIMS as of a date."""

    as_of: dt.date
    validation: ValidationReport
    coverage: tuple[RequirementCoverage, ...]
    readiness: Readiness
    frameworks: tuple[FrameworkCoverage, ...] = ()  # the other frameworks asked for, in that order

    def framework(self, key: str) -> FrameworkCoverage:
        """Give the coverage of the framework ``key``, one of those the report was asked for."""
        for coverage in self.frameworks:
            if coverage.framework.key == key:
                return coverage
        raise KeyError(key)


def gaps(
    paths: Sequence[str],
    *,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    input_format: RdfFormat | None = None,
    shapes: Sequence[str] = (),
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    frameworks: Sequence[str] = (),
) -> GapReport:
    """Give the gap report of the AIMS data at ``paths`` as of ``as_of``; ``extensions`` as for
    :func:`aimsgraph.validate.validate`; with the coverage of each framework in ``frameworks``
    (catalogue keys such as ``gdpr``, see :mod:`aimsgraph.frameworks`) besides ISO/IEC 42001's.

    :raises UsageError: a path is missing, empty or of unknown format.
    :raises InputError: a data, shapes or extension file is not well-formed.
    :raises ShapesError: a shapes file is not valid SHACL.
    :raises UsageError: a framework key is not in the catalogues.
    """
    data, store = read(load.collect(paths, input_format=input_format), engine=engine, inference=inference)
    return gaps_loaded(
        data,
        store=store,
        as_of=as_of,
        inference=inference,
        shapes=shapes,
        extensions=extensions,
        engine=engine,
        frameworks=frameworks,
    )


def gaps_loaded(
    data: load.LoadedData,
    *,
    store: pyoxigraph.Store | None = None,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    shapes: Sequence[str] = (),
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    frameworks: Sequence[str] = (),
) -> GapReport:
    """Give the gap report of already loaded AIMS data as of ``as_of`` (see :func:`gaps`);
    ``store``: the one the data was parsed into, if it was (see :func:`aimsgraph.validate.read`)."""
    # The coverage queries see what the shapes saw: the data less what redefines our terms, the
    # extensions, and the same entailments; so they run on the store validation ran on.
    validation = validation_of(
        data, store=store, as_of=as_of, inference=inference, shapes=shapes, extensions=extensions, engine=engine
    )
    return gaps_of(validation.report(), validation.context.store, frameworks=frameworks)


def gaps_of(validation: ValidationReport, store: pyoxigraph.Store, *, frameworks: Sequence[str] = ()) -> GapReport:
    """Give the gap report of a validation, from the store it ran on (as :func:`aimsgraph.validate.validation_of`
    or an incremental session leaves it), with the coverage of each framework in ``frameworks``."""
    as_of = validation.as_of
    coverage_rows = _select(store, "clause-coverage", as_of)
    readiness_rows = _select(store, "audit-readiness", as_of)

    catalog = bundled_catalog()
    checked = validation.checked_requirements
    findings_about: dict[str, list[Finding]] = {}
    for finding in validation.findings:
        for iri in dict.fromkeys(r.iri for r in finding.requirements):
            findings_about.setdefault(iri, []).append(finding)
    coverage = []
    for row in coverage_rows:
        requirement = catalog.requirements[sparql.value(row["requirement"])]
        kind = RequirementKind(sparql.value(row["kind"]))
        about = tuple(findings_about.get(requirement.iri, ()))
        applicable = None if row["applicable"] is None else sparql.value(row["applicable"]) == "true"
        entry = RequirementCoverage(
            requirement=requirement,
            kind=kind,
            status=CoverageStatus.NOT_ASSESSED,
            applicable=applicable,
            implementation_status=sparql.value(row["status"]) if row["status"] is not None else None,
            implementations=sparql.members(row["implementations"]),
            evidence=sparql.members(row["evidence"]),
            documents=sparql.members(row["documents"]),
            findings=about,
        )
        coverage.append(_with_status(entry, checked=requirement.iri in checked))
    measures = {sparql.value(row["measure"]): int(sparql.value(row["count"])) for row in readiness_rows}
    others = coverages_of(
        [key for key in dict.fromkeys(frameworks) if key != ISO_42001],  # ISO's coverage is the report's own
        iso=tuple(coverage),
        validation=validation,
        store=store,
        catalog=catalog,
    )
    return GapReport(
        as_of=as_of,
        validation=validation,
        coverage=tuple(coverage),
        readiness=_readiness(coverage, measures),
        frameworks=others,
    )


def _with_status(entry: RequirementCoverage, *, checked: bool) -> RequirementCoverage:
    severities = {f.severity for f in entry.findings}
    violated = Severity.VIOLATION in severities
    if entry.kind is RequirementKind.CONTROL:
        if entry.applicable is None:
            status = CoverageStatus.NOT_ASSESSED
        elif not entry.applicable:
            status = CoverageStatus.NOT_APPLICABLE
        elif violated:
            status = CoverageStatus.PARTLY_MET if entry.implementations else CoverageStatus.NOT_MET
        elif (
            entry.implementations
            and entry.evidence
            and entry.implementation_status == AIMS + "Implemented"
            and not severities
        ):
            status = CoverageStatus.MET
        else:
            status = CoverageStatus.PARTLY_MET if entry.implementations else CoverageStatus.NOT_MET
    elif violated:
        status = CoverageStatus.NOT_MET
    elif severities:
        status = CoverageStatus.PARTLY_MET
    elif checked or entry.evidence or entry.implementations or entry.documents:
        status = CoverageStatus.MET
    else:
        status = CoverageStatus.NOT_ASSESSED
    return replace(entry, status=status)


def _readiness(coverage: list[RequirementCoverage], measures: dict[str, int]) -> Readiness:
    def tally(kind: RequirementKind) -> dict[CoverageStatus, int]:
        return {s: sum(1 for c in coverage if c.kind is kind and c.status is s) for s in CoverageStatus}

    prefix = "open nonconformities: "
    return Readiness(
        applicable_controls=measures.get("applicable controls", 0),
        controls_met=sum(1 for c in coverage if c.kind is RequirementKind.CONTROL and c.status is CoverageStatus.MET),
        implemented_controls=measures.get("implemented controls", 0),
        controls_with_current_evidence=measures.get("implemented controls with current evidence", 0),
        open_nonconformities={k.removeprefix(prefix): v for k, v in sorted(measures.items()) if k.startswith(prefix)},
        overdue_corrective_actions=measures.get("overdue corrective actions", 0),
        clauses=tally(RequirementKind.CLAUSE),
        controls=tally(RequirementKind.CONTROL),
    )


def _select(store: pyoxigraph.Store, query_id: str, as_of: dt.date) -> list[dict[str, Term | None]]:
    definition = library.find(query_id)
    values = library.bind_values(definition, {}, today=as_of)
    return sparql.select(store, sparql.bind(definition.text, values), source=definition.source, lists=definition.lists)
