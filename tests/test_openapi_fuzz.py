"""schemathesis against the service's own OpenAPI document: whatever a client sends within (or
just outside) the documented schema, the service answers without a 5xx and only with statuses
and media types it documents, and a 405 names every method the path allows."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

from aimsgraph import load
from aimsgraph.api import create_app
from aimsgraph.settings import Scope, Settings
from aimsgraph.store import EmbeddedStore
from aimsgraph.validate import bundled_knowledge_quads
from tests.conftest import EXAMPLES

KEY = "schemathesis-key-0123456789"


def _app(directory: Path) -> object:
    store = EmbeddedStore(None, bundled_knowledge_quads())  # in memory: the work runs in-process
    for source in load.collect([str(EXAMPLES / "kestrel" / "systems.ttl")]):
        store.replace_graph(source.base_iri, load.parse_quads(source))
    del directory
    return create_app(Settings(api_keys={KEY: Scope.WRITE}, max_body_bytes=200_000), store)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app(Path()))
schema.config.headers = {"Authorization": f"Bearer {KEY}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.filterwarnings("ignore")
def test_the_api_keeps_to_its_documentation(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, allow_header_conformance]
    )
