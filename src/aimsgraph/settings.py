"""The one place aimsgraph reads its configuration: flags over ``AIMSGRAPH_*`` environment over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from aimsgraph.errors import UsageError
from aimsgraph.model import FailOn, Inference


@dataclass(frozen=True)
class Settings:
    """Defaults for every face; a command-line flag or API parameter overrides them per call."""

    # Default "none": the bundled shapes are written for asserted data (sh:class already follows
    # rdfs:subClassOf), and the ontology uses no rdfs:domain/range, so inference only matters for
    # data that uses its own subproperties or subclasses of ours. It also keeps CI runs fast.
    inference: Inference = Inference.NONE
    fail_on: FailOn = FailOn.VIOLATION

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Give settings with ``AIMSGRAPH_INFERENCE`` and ``AIMSGRAPH_FAIL_ON`` applied over the defaults.

        :raises UsageError: an environment variable holds a value that is not allowed.
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            inference=_choice(env, "AIMSGRAPH_INFERENCE", Inference, defaults.inference),
            fail_on=_choice(env, "AIMSGRAPH_FAIL_ON", FailOn, defaults.fail_on),
        )


_Choice = TypeVar("_Choice", Inference, FailOn)


def _choice(env: Mapping[str, str], name: str, kind: type[_Choice], default: _Choice) -> _Choice:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise UsageError(f"{name}={raw!r} is not one of: {allowed}") from None
