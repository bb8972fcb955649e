"""API keys and their scopes: read (query, validate, report) and write (load, update, delete).

A key is sent as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``. Without keys configured,
reads are open (the demo binds to loopback) and writes are refused; the operator adds keys with
AIMSGRAPH_API_KEYS.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request

from aimsgraph.settings import Scope, Settings


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _scope_of(settings: Settings, key: str | None) -> Scope | None:
    if key is None:
        return None
    for known, scope in settings.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return scope
    raise HTTPException(status_code=401, detail="unknown API key", headers={"WWW-Authenticate": "Bearer"})


def require_read(request: Request) -> None:
    """Let the request through if it may read."""
    settings: Settings = request.app.state.settings
    scope = _scope_of(settings, _presented_key(request))
    if scope is None and not settings.anonymous_read:
        raise HTTPException(status_code=401, detail="an API key is needed", headers={"WWW-Authenticate": "Bearer"})


def require_write(request: Request) -> None:
    """Let the request through only with a key that has the write scope."""
    settings: Settings = request.app.state.settings
    scope = _scope_of(settings, _presented_key(request))
    if scope is None:
        raise HTTPException(
            status_code=401,
            detail="writing needs an API key with the write scope",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if scope is not Scope.WRITE:
        raise HTTPException(status_code=403, detail="this API key may only read")


def actor(request: Request) -> str:
    """Give who is writing, for the change log: the fingerprint of the API key (the first 16 hex
    digits of its SHA-256), never the key itself."""
    key = _presented_key(request) or ""
    return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
