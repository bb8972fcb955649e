"""Generate a synthetic but realistic AIMS graph in the aimsgraph ontology, deterministic for a seed.

    python bench/generate.py --systems 1000 --seed 7 --out /tmp/aims-1000.nt

Each AI system gets an owner, a scope, risks with owners, levels and treatments, an implemented
control with evidence, and a few get impact assessments and oversight measures; the organisation
gets the AIMS, its scope and context, a full Statement of Applicability with implementations and
evidence, the documented information, audits, a management review, nonconformities and
corrective actions. About one in ten of each kind of item carries a deliberate gap (a missing
owner, treatment, evidence date, oversight measure; an expired item; an overdue action), the way a
large, imperfect AIMS looks. Output is N-Triples, which every RDF tool reads fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

AIMS = "https://w3id.org/aimsgraph/ns#"
ISO = "https://w3id.org/aimsgraph/iso-iec-42001-2023/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://synthetic.example/aims/"
AS_OF = dt.date(2026, 11, 26)
GAP_RATE = 0.1
CONTROLS = [
    "A.2.2", "A.2.3", "A.2.4", "A.3.2", "A.3.3", "A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6",
    "A.5.2", "A.5.3", "A.5.4", "A.5.5", "A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4",
    "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8", "A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6",
    "A.8.2", "A.8.3", "A.8.4", "A.8.5", "A.9.2", "A.9.3", "A.9.4", "A.10.2", "A.10.3", "A.10.4",
]  # fmt: skip
DOCUMENTED_INFORMATION = [
    "aims-scope", "ai-policy", "ai-risk-assessment-process", "ai-risk-treatment-process",
    "statement-of-applicability", "ai-system-impact-assessment-process", "ai-objectives",
    "competence-evidence", "ai-risk-assessment-results", "ai-risk-treatment-results",
    "ai-system-impact-assessment-results", "monitoring-and-measurement-results",
    "audit-programme-and-results", "management-review-results", "nonconformity-and-corrective-action",
]  # fmt: skip
REVIEW_INPUTS = [
    "PreviousActionsStatus", "ContextChanges", "InterestedPartyChanges", "PerformanceInformation",
    "ImprovementOpportunities",
]  # fmt: skip
RISK_CLASSES = ["HighRisk", "TransparencyRisk", "MinimalRisk", "MinimalRisk", "MinimalRisk"]
LEVELS = ["LowRisk", "MediumRisk", "HighRiskLevel"]


class Writer:
    """Collects N-Triples lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.lines.append(f"{subject} {predicate} {obj} .")


def iri(value: str) -> str:
    return f"<{value}>"


def node(local: str) -> str:
    return iri(BASE + local)


def term(local: str) -> str:
    return iri(AIMS + local)


def date(value: dt.date) -> str:
    return f'"{value.isoformat()}"^^<{XSD}date>'


def text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


def boolean(value: bool) -> str:
    return f'"{str(value).lower()}"^^<{XSD}boolean>'


def generate(systems: int, seed: int) -> Iterator[str]:
    """Yield the N-Triples lines of an AIMS with ``systems`` AI systems."""
    rng = random.Random(seed)
    out = Writer()
    gap = lambda: rng.random() < GAP_RATE  # noqa: E731 (a one-word question asked many times)
    teams = [node(f"team-{i}") for i in range(max(3, systems // 20))]
    scope = _organisation(out, teams)
    _statement_of_applicability(out, rng, teams, gap)
    for i in range(systems):
        _system(out, i, (rng, teams, scope), gap)
    _audits(out, rng, teams, systems, gap)
    yield from out.lines


def _organisation(out: Writer, teams: list[str]) -> str:
    a, t = iri(RDF_TYPE), term
    org, ms, scope = node("org"), node("aims"), node("scope")
    out.add(org, a, t("Organisation"))
    out.add(ms, a, t("ManagementSystem"))
    out.add(ms, t("operatedBy"), org)
    out.add(ms, t("hasScope"), scope)
    out.add(scope, a, t("Scope"))
    out.add(scope, t("boundary"), text("All AI systems of the synthetic group"))
    for kind in ("InternalIssue", "ExternalIssue"):
        issue = node(f"issue-{kind}")
        out.add(issue, a, t(kind))
        out.add(ms, t("considersIssue"), issue)
    party = node("regulator")
    out.add(party, a, t("InterestedParty"))
    out.add(party, t("hasRequirement"), node("regulator-requirement"))
    out.add(ms, t("hasInterestedParty"), party)
    for index, team in enumerate(teams):
        out.add(team, a, t("Team"))
        out.add(team, iri(LABEL), text(f"Team {index}"))
    out.add(node("quality-manual"), a, t("QualityManagementSystem"))  # the provider's QMS (EU AI Act Art. 17)
    for name in DOCUMENTED_INFORMATION:
        document = node(f"doc-{name}")
        out.add(document, a, t("DocumentedInformation"))
        out.add(document, t("fulfils"), iri(f"{ISO}documented-information/{name}"))
    return scope


def _statement_of_applicability(out: Writer, rng: random.Random, teams: list[str], gap: Callable[[], bool]) -> None:
    a, t = iri(RDF_TYPE), term
    soa = node("soa")
    out.add(soa, a, t("StatementOfApplicability"))
    for control in CONTROLS:
        decision, implementation, evidence = node(f"soa-{control}"), node(f"ctrl-{control}"), node(f"ev-{control}")
        out.add(soa, t("decision"), decision)
        out.add(decision, a, t("ApplicabilityDecision"))
        out.add(decision, t("control"), iri(ISO + control))
        out.add(decision, t("applicable"), boolean(True))
        out.add(decision, t("justification"), text(f"Required by the risk treatment plan for {control}."))
        out.add(decision, t("implementationStatus"), t("Implemented"))
        out.add(implementation, a, t("ImplementedControl"))
        out.add(implementation, t("implementsRequirement"), iri(ISO + control))
        out.add(implementation, t("controlOwner"), rng.choice(teams))
        _evidence(out, evidence, implementation, rng, teams, expired=gap())


def _audits(out: Writer, rng: random.Random, teams: list[str], systems: int, gap: Callable[[], bool]) -> None:
    a, t = iri(RDF_TYPE), term
    programme = node("audit-programme")
    out.add(programme, a, t("AuditProgramme"))
    out.add(programme, t("auditIntervalMonths"), integer(12))
    audit = node("audit-2026")
    out.add(audit, a, t("InternalAudit"))
    out.add(audit, t("partOfProgramme"), programme)
    out.add(audit, t("auditedOn"), date(dt.date(2026, 6, 15)))
    out.add(audit, t("auditor"), teams[0])
    review = node("review-2026")
    out.add(review, a, t("ManagementReview"))
    out.add(review, t("heldOn"), date(dt.date(2026, 3, 10)))
    out.add(review, t("reviewDecision"), text("Keep the AIMS as it is."))
    for topic in REVIEW_INPUTS:
        out.add(review, t("consideredInput"), t(topic))
    for i in range(max(2, systems // 50)):
        finding, nonconformity, action = node(f"finding-{i}"), node(f"nc-{i}"), node(f"ca-{i}")
        out.add(audit, t("hasFinding"), finding)
        out.add(finding, a, t("AuditFinding"))
        out.add(finding, t("grade"), t("MinorNonconformity"))
        out.add(nonconformity, a, t("Nonconformity"))
        out.add(nonconformity, t("raisedFrom"), finding)
        out.add(nonconformity, t("grade"), t("MinorNonconformity"))
        out.add(nonconformity, t("concernsSystem"), node(f"system-{rng.randrange(systems)}"))
        if not gap():
            out.add(nonconformity, t("rootCause"), text("A step of the procedure had no owner."))
        out.add(nonconformity, t("correctiveAction"), action)
        out.add(action, a, t("CorrectiveAction"))
        out.add(action, t("actionOwner"), rng.choice(teams))
        out.add(action, t("dueDate"), date(AS_OF - dt.timedelta(days=30) if gap() else AS_OF + dt.timedelta(days=60)))


def _system(out: Writer, i: int, shared: tuple[random.Random, list[str], str], gap: Callable[[], bool]) -> None:
    rng, teams, scope = shared
    a, t = iri(RDF_TYPE), term
    system = node(f"system-{i}")
    risk_class = rng.choice(RISK_CLASSES)
    out.add(system, a, t("AISystem"))
    out.add(system, iri(LABEL), text(f"AI system {i}"))
    out.add(system, t("intendedPurpose"), text(f"Supports business process {i % 97}."))
    out.add(system, t("lifecycleStage"), t("OperationStage"))
    role = rng.choice(["DeveloperRole", "DeployerRole", "ProviderRole"])
    out.add(system, t("organisationRole"), t(role))
    out.add(system, t("euAIActRiskClass"), t(risk_class))
    out.add(system, t("withinScope"), scope)
    if not gap():
        out.add(system, t("accountableOwner"), rng.choice(teams))
    assessment = node(f"risk-assessment-{i}")
    out.add(assessment, a, t("RiskAssessment"))
    out.add(assessment, t("assessedOn"), date(dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(200))))
    control = node(f"system-control-{i}")
    out.add(control, a, t("ImplementedControl"))
    out.add(control, t("concernsSystem"), system)
    out.add(control, t("implementsRequirement"), iri(ISO + rng.choice(CONTROLS)))
    out.add(control, t("controlOwner"), rng.choice(teams))
    _evidence(out, node(f"system-evidence-{i}"), control, rng, teams, expired=gap())
    for r in range(3):
        risk, treatment = node(f"risk-{i}-{r}"), node(f"treatment-{i}-{r}")
        out.add(risk, a, t("Risk"))
        out.add(risk, t("concernsSystem"), system)
        out.add(risk, t("assessedIn"), assessment)
        out.add(risk, t("riskLevel"), t(rng.choice(LEVELS)))
        if not gap():
            out.add(risk, t("riskOwner"), rng.choice(teams))
        if gap():
            continue
        out.add(risk, t("treatedBy"), treatment)
        out.add(treatment, a, t("RiskTreatment"))
        out.add(treatment, t("treatmentOption"), t("ModifyRisk"))
        out.add(treatment, t("reliesOnControl"), control)
        out.add(treatment, t("residualRiskLevel"), t("LowRisk"))
    if risk_class == "HighRisk":
        assessment_of_impact, oversight = node(f"impact-{i}"), node(f"oversight-{i}")
        out.add(assessment_of_impact, a, t("ImpactAssessment"))
        out.add(assessment_of_impact, t("concernsSystem"), system)
        if not gap():
            out.add(oversight, a, t("HumanOversightMeasure"))
            out.add(oversight, t("concernsSystem"), system)
    _eu_ai_act(out, i, risk_class, role, gap)


# What a provider of a high-risk system keeps for it under the EU AI Act (Art. 11-15, 72).
PROVIDER_RECORDS = (
    "TechnicalDocumentation",
    "InstructionsForUse",
    "AccuracyRobustnessEvaluation",
    "PostMarketMonitoringPlan",
)


def _eu_ai_act(out: Writer, i: int, risk_class: str, role: str, gap: Callable[[], bool]) -> None:
    """The system's EU AI Act records (shapes/eu-ai-act.ttl), each missing at the gap rate."""
    a, t = iri(RDF_TYPE), term
    system = node(f"system-{i}")
    if risk_class == "TransparencyRisk" and not gap():
        out.add(node(f"euaia-notice-{i}"), a, t("TransparencyNotice"))
        out.add(node(f"euaia-notice-{i}"), t("concernsSystem"), system)
    if risk_class != "HighRisk" or role == "DeveloperRole":
        return
    logging = node(f"euaia-logging-{i}")
    out.add(logging, a, t("EventLogging"))
    out.add(logging, t("concernsSystem"), system)
    out.add(logging, t("logRetentionMonths"), f'"{3 if gap() else 12}"^^<{XSD}integer>')
    if role == "DeployerRole":
        if not gap():
            out.add(system, t("friaRequired"), boolean(False))
        return
    data = node(f"euaia-data-{i}")
    out.add(system, t("usesDataResource"), data)
    out.add(data, a, t("DataResource"))
    out.add(data, t("provenance"), text("Collected by the business process the system supports."))
    if not gap():
        out.add(data, t("biasExamination"), text("Checked for skew across customer segments."))
    for kind in PROVIDER_RECORDS:
        if not gap():
            record = node(f"euaia-{kind}-{i}")
            out.add(record, a, t(kind))
            out.add(record, t("concernsSystem"), system)


def _evidence(
    out: Writer, evidence: str, supported: str, rng: random.Random, teams: list[str], *, expired: bool
) -> None:
    a, t = iri(RDF_TYPE), term
    collected = AS_OF - dt.timedelta(days=rng.randrange(20, 300))
    out.add(evidence, a, t("Evidence"))
    out.add(evidence, t("supports"), supported)
    out.add(evidence, t("collectedOn"), date(collected))
    out.add(
        evidence,
        t("validUntil"),
        date(AS_OF - dt.timedelta(days=5) if expired else AS_OF + dt.timedelta(days=rng.randrange(10, 300))),
    )
    out.add(evidence, t("attributedTo"), rng.choice(teams))
    out.add(evidence, t("location"), f'"https://dms.synthetic.example/{rng.getrandbits(40):x}"^^<{XSD}anyURI>')


def split_system(lines: list[str], i: int) -> tuple[list[str], list[str]]:
    """Split generated statements into those about AI system ``i`` and the resources made for it
    alone (its risk assessment, control, evidence, risks, treatments, impact assessment, oversight
    measure and EU AI Act records), as one system's file in a repository would hold them, and the rest."""
    own = re.compile(
        rf"^<{re.escape(BASE)}(?:(?:system|risk-assessment|system-control|system-evidence|impact|oversight)-{i}"
        rf"|(?:risk|treatment)-{i}-\d+|euaia-[A-Za-z]+-{i})> "
    )
    mine = [line for line in lines if own.match(line)]
    return mine, [line for line in lines if not own.match(line)]


def main() -> None:
    """Write a synthetic AIMS to a file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = list(generate(args.systems, args.seed))
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {args.systems} AI systems, {len(lines)} triples")


if __name__ == "__main__":
    main()
