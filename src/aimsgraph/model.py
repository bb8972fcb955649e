"""Typed, immutable results of the core: findings and validation reports.

Records know nothing of output formats; renderers in :mod:`aimsgraph.render` turn them into text
or JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """SHACL severities, ordered so that a threshold compares with ``>=``."""

    INFO = 1
    WARNING = 2
    VIOLATION = 3

    @property
    def label(self) -> str:
        """Give the lower-case name used in outputs and on the command line."""
        return self.name.lower()


class FailOn(enum.Enum):
    """The lowest severity that makes a validation run fail (``never`` disables failing)."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"

    @property
    def threshold(self) -> Severity | None:
        """Give the severity at or above which the run fails, or ``None`` for never."""
        return None if self is FailOn.NEVER else Severity[self.name]


# Told how a long run is going: the stage ("parse", "check"), how much of it is done, out of how much.
Progress = Callable[[str, int, int], None]


class Engine(enum.Enum):
    """What runs the shapes: SPARQL queries on Oxigraph (shapes it cannot translate go to pySHACL),
    or pySHACL for all of them, the reference implementation."""

    SPARQL = "sparql"
    PYSHACL = "pyshacl"


class Inference(enum.Enum):
    """Which entailment to compute on a copy of the data before validation."""

    NONE = "none"
    RDFS = "rdfs"
    OWLRL = "owlrl"


@dataclass(frozen=True)
class Requirement:
    """A catalogued clause or control that a finding is about."""

    iri: str
    notation: str
    title: str
    framework: str


class TermKind(enum.Enum):
    """The kinds of RDF term, named as the SPARQL 1.1 JSON results format names them."""

    IRI = "uri"
    LITERAL = "literal"
    BLANK = "bnode"


@dataclass(frozen=True)
class Term:
    """An RDF term as a finding reports it: an IRI, a blank node or a literal with its datatype."""

    kind: TermKind
    value: str
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class SourceLocation:
    """Where in the input a resource is defined, and the line of the offending property if known."""

    file: str
    line: int
    property_line: int | None = None

    @property
    def best_line(self) -> int:
        """Give the line to point at: the offending property's, else the resource's."""
        return self.property_line or self.line


# Findings that no waiver or baseline can suppress (see integrity.py).
UNSUPPRESSIBLE_RULES = frozenset({"DataRedefinesTerms"})


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result, enriched with its rule's metadata and its source location."""

    rule: str
    rule_title: str
    severity: Severity
    message: str
    focus_node: str
    path: str | None
    value: Term | None
    requirements: tuple[Requirement, ...]
    remediation: str
    location: SourceLocation | None
    ai_system: str | None
    ai_system_label: str | None
    focus_label: str | None = None
    suppressed: str | None = None  # why the finding does not count: "waiver" or "baseline"
    systemic: bool = False  # its rule finds a required element missing altogether (aims:systemic)

    @property
    def suppressible(self) -> bool:
        """Whether a waiver or a baseline may suppress this finding: not one that shows the data
        trying to change the rules it is judged by."""
        return self.rule not in UNSUPPRESSIBLE_RULES

    @property
    def fingerprint(self) -> str:
        """Give a stable identity of the finding across runs: a hash of rule, focus node, path and value."""
        value = self.value.value if self.value else ""
        text = "\x1f".join((self.rule, self.focus_node, self.path or "", value))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def sort_key(self) -> tuple[str, str, str, str, str]:
        """Give a key that orders findings reproducibly across runs."""
        return (
            self.ai_system or "",
            self.rule,
            self.focus_node,
            self.path or "",
            self.value.value if self.value else "",
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating an AIMS graph as of a date."""

    as_of: dt.date
    sources: tuple[str, ...]
    findings: tuple[Finding, ...]
    triples: int
    shapes: int
    inference: Inference
    counts: dict[Severity, int] = field(default_factory=dict)
    prefixes: tuple[tuple[str, str], ...] = ()
    checked_requirements: frozenset[str] = frozenset()
    suppressed: int = 0  # findings that do not count (waived, or in a baseline); `counts` leaves them out
    unused_waivers: tuple[str, ...] = ()  # current waivers that accepted no finding
    engine_notes: tuple[str, ...] = ()  # shapes the SPARQL engine left to pySHACL, and why

    @property
    def conforms(self) -> bool:
        """Give whether the data has no finding at all, as SHACL defines conformance."""
        return not self.findings

    def fails(self, fail_on: FailOn) -> bool:
        """Give whether any finding that counts (not suppressed) is at or above the ``fail_on`` threshold."""
        threshold = fail_on.threshold
        return threshold is not None and any(f.severity >= threshold for f in self.findings if f.suppressed is None)
