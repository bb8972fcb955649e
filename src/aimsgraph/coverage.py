"""The statuses a gap analysis gives a requirement, and what one ISO/IEC 42001 requirement's status rests on."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from aimsgraph.model import Finding, Requirement


class CoverageStatus(enum.Enum):
    """How far the AIMS meets one requirement."""

    MET = "met"
    PARTLY_MET = "partly met"
    NOT_MET = "not met"
    NOT_APPLICABLE = "not applicable"
    NOT_ASSESSED = "not assessed"


class RequirementKind(enum.Enum):
    """Whether a requirement is a clause (always applies) or an Annex A control (applies per the SoA)."""

    CLAUSE = "clause"
    CONTROL = "control"


@dataclass(frozen=True)
class RequirementCoverage:
    """One requirement's status and what it rests on."""

    requirement: Requirement
    kind: RequirementKind
    status: CoverageStatus
    applicable: bool | None
    implementation_status: str | None
    implementations: tuple[str, ...]
    evidence: tuple[str, ...]
    documents: tuple[str, ...]
    findings: tuple[Finding, ...]
