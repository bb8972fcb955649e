"""The one place aimsgraph reads its configuration: flags over ``AIMSGRAPH_*`` environment over defaults."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from aimsgraph.errors import UsageError
from aimsgraph.model import Engine, FailOn, Inference


class Scope(enum.Enum):
    """What an API key may do: read (query, validate, report) or also write (load, update, delete)."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Settings:
    """Defaults for every face; a command-line flag or API parameter overrides them per call."""

    # Default "none": the bundled shapes are written for asserted data (sh:class already follows
    # rdfs:subClassOf), and the ontology uses no rdfs:domain/range, so inference only matters for
    # data that uses its own subproperties or subclasses of ours. It also keeps CI runs fast.
    inference: Inference = Inference.NONE
    # SPARQL on Oxigraph by default (the same findings, many times faster); pySHACL, the
    # reference, on request, and always for a shape the translation does not cover.
    engine: Engine = Engine.SPARQL
    fail_on: FailOn = FailOn.VIOLATION
    # The service. The defaults are safe for a demo: loopback only, reads open to whoever can
    # reach loopback, and no write at all until the operator sets a key with the write scope.
    data_dir: Path = Path(".aimsgraph/store")
    # A SPARQL server instead of the embedded store: its base URL (Oxigraph server's paths), or
    # the three endpoints for Fuseki, GraphDB and others.
    store_url: str | None = None
    query_url: str | None = None
    update_url: str | None = None
    graph_store_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8642
    api_keys: dict[str, Scope] = field(default_factory=dict)
    anonymous_read: bool = True
    max_body_bytes: int = 10 * 1024 * 1024
    query_timeout: int = 30  # seconds; a query from the network that runs longer is stopped
    query_workers: int = 2
    # Validation, gap analysis and reports of what the service is sent or holds: heavier, so one
    # worker and a longer limit (1,000 AI systems take about 30 s).
    analysis_timeout: int = 120
    analysis_workers: int = 1
    max_rows: int = 100_000  # a larger result is refused with a message, never cut short

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, *, given: Mapping[str, object] | None = None
    ) -> Settings:
        """Give settings with the ``AIMSGRAPH_*`` variables applied over the defaults, and the
        values in ``given`` (flags the user passed; None for one not passed) over both.

        A variable whose setting is given is not read at all, so a bad value in the environment
        cannot fail a command whose flag overrides it.

        :raises UsageError: an environment variable that is read holds a value that is not allowed.
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        flags = {name: value for name, value in (given or {}).items() if value is not None}

        def setting(name: str, read: Callable[[], _T]) -> _T:
            return cast(_T, flags[name]) if name in flags else read()

        def number(name: str, variable: str) -> int:
            # a whole-number setting: the flag, else the variable, else the default
            return setting(name, lambda: _integer(env, variable, cast(int, getattr(defaults, name))))

        return cls(
            inference=setting("inference", lambda: _choice(env, "AIMSGRAPH_INFERENCE", Inference, defaults.inference)),
            engine=setting("engine", lambda: _choice(env, "AIMSGRAPH_SHACL_ENGINE", Engine, defaults.engine)),
            fail_on=setting("fail_on", lambda: _choice(env, "AIMSGRAPH_FAIL_ON", FailOn, defaults.fail_on)),
            data_dir=setting("data_dir", lambda: Path(env.get("AIMSGRAPH_DATA_DIR") or defaults.data_dir)),
            store_url=setting("store_url", lambda: env.get("AIMSGRAPH_STORE_URL") or None),
            query_url=setting("query_url", lambda: env.get("AIMSGRAPH_QUERY_URL") or None),
            update_url=setting("update_url", lambda: env.get("AIMSGRAPH_UPDATE_URL") or None),
            graph_store_url=setting("graph_store_url", lambda: env.get("AIMSGRAPH_GRAPH_STORE_URL") or None),
            host=setting("host", lambda: env.get("AIMSGRAPH_HOST") or defaults.host),
            port=number("port", "AIMSGRAPH_PORT"),
            api_keys=setting("api_keys", lambda: _api_keys(env.get("AIMSGRAPH_API_KEYS", ""))),
            anonymous_read=setting(
                "anonymous_read", lambda: _flag(env, "AIMSGRAPH_ANONYMOUS_READ", defaults.anonymous_read)
            ),
            max_body_bytes=number("max_body_bytes", "AIMSGRAPH_MAX_BODY_BYTES"),
            query_timeout=number("query_timeout", "AIMSGRAPH_QUERY_TIMEOUT"),
            query_workers=number("query_workers", "AIMSGRAPH_QUERY_WORKERS"),
            analysis_timeout=number("analysis_timeout", "AIMSGRAPH_ANALYSIS_TIMEOUT"),
            analysis_workers=number("analysis_workers", "AIMSGRAPH_ANALYSIS_WORKERS"),
            max_rows=number("max_rows", "AIMSGRAPH_MAX_ROWS"),
        )


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise UsageError(f"{name}={raw!r} is not a whole number")
    return int(raw)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").lower()
    if not raw:
        return default
    if raw not in ("true", "false", "1", "0"):
        raise UsageError(f"{name}={raw!r} is not true or false")
    return raw in ("true", "1")


def _api_keys(raw: str) -> dict[str, Scope]:
    """Read ``key=scope`` pairs separated by commas (a key of at least 16 characters; scope read or write)."""
    keys: dict[str, Scope] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, scope = entry.rpartition("=")
        if not sep or len(key) < 16 or scope not in ("read", "write"):
            raise UsageError("AIMSGRAPH_API_KEYS holds key=read or key=write pairs, each key at least 16 characters")
        keys[key] = Scope(scope)
    return keys


_Choice = TypeVar("_Choice", Inference, FailOn, Engine)
_T = TypeVar("_T")


def _choice(env: Mapping[str, str], name: str, kind: type[_Choice], default: _Choice) -> _Choice:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise UsageError(f"{name}={raw!r} is not one of: {allowed}") from None
