"""The remediation plan: each finding graded as a certification audit grades it, with who answers
for it and by when.

Grades follow audit practice:

- a violation is a **major nonconformity** when its rule finds a required element missing
  altogether (the shape says ``aims:systemic true``: no scope, no management review in a year, no
  internal audit, mandatory documented information absent, an AI system with no assessed risk), or
  when it is one of ``PATTERN`` or more counting violations against the same requirement, which an
  auditor reads as a breakdown of that requirement rather than a lapse; otherwise it is a **minor
  nonconformity**;
- a warning is an **observation**, a note an **opportunity for improvement**.

The owner is whoever the data makes answerable for the finding's resource (any owner property,
or the owner of a nonconformity's corrective action), else the accountable owner of the AI system
it is about, else the management system's. The due date is one the data sets (the resource's own,
or its corrective action's); the plan never invents one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph

from aimsgraph import assets, sparql
from aimsgraph.model import Finding, Severity

PATTERN = 3
MAJOR, MINOR = "major nonconformity", "minor nonconformity"
_OTHER_GRADES = {Severity.WARNING: "observation", Severity.INFO: "opportunity for improvement"}
_QUERY = "internal/remediation-owners.rq"


@dataclass(frozen=True)
class PlanItem:
    """What the plan says of one finding."""

    grade: str
    owners: tuple[str, ...]  # IRIs of the answerable actors; empty when the data names nobody
    due: str | None  # an xsd:date from the data, or None


def grades(findings: Sequence[Finding]) -> dict[str, str]:
    """Give each finding's audit grade, by fingerprint."""
    counting = [f for f in findings if f.severity is Severity.VIOLATION and f.suppressed is None]
    per_requirement = Counter(r.iri for f in counting for r in set(f.requirements))
    graded = {}
    for finding in findings:
        if finding.severity is not Severity.VIOLATION:
            graded[finding.fingerprint] = _OTHER_GRADES[finding.severity]
        elif finding.systemic or any(per_requirement[r.iri] >= PATTERN for r in finding.requirements):
            graded[finding.fingerprint] = MAJOR
        else:
            graded[finding.fingerprint] = MINOR
    return graded


def plan(store: pyoxigraph.Store, findings: Sequence[Finding]) -> dict[str, PlanItem]:
    """Give the remediation plan of ``findings`` (graded, owned, dated from the data in ``store``), by fingerprint."""
    result = sparql.run(store, assets.query_text(_QUERY), source=_QUERY)
    assert isinstance(result, sparql.SelectResult)
    owners: dict[str, set[str]] = {}
    dues: dict[str, set[str]] = {}
    top: set[str] = set()
    for node, owner, due, kind in result.rows:
        if node is None:
            continue
        if owner is not None:
            (top if kind is not None else owners.setdefault(node.value, set())).add(owner.value)
        if due is not None:
            dues.setdefault(node.value, set()).add(due.value)
    graded = grades(findings)
    items = {}
    for finding in findings:
        answerable = owners.get(finding.focus_node) or owners.get(finding.ai_system or "") or top
        dated = dues.get(finding.focus_node)
        items[finding.fingerprint] = PlanItem(
            graded[finding.fingerprint], tuple(sorted(answerable)), min(dated) if dated else None
        )
    return items
