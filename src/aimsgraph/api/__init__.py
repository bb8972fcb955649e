"""The HTTP face: a FastAPI application over one store, built by :func:`create_app`."""

from __future__ import annotations

from aimsgraph.api.app import create_app

__all__ = ["create_app"]
