"""What the API documents about its answers: the error statuses every route may give, in one
place, so that the OpenAPI document tells clients (and schemathesis) the truth."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query
from pydantic import BaseModel


class Problem(BaseModel):
    """An error: a message meant to be shown as it is, and where in the input, when known."""

    detail: str


def _error(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The request or what it carries is malformed; the message says what and where."),
    401: _error("No key, or a key the service does not know, where one is required."),
    403: _error("The key does not have the scope this needs (writing needs the write scope)."),
    404: _error("Nothing by that name."),
    405: _error("Not allowed on this resource (the default graph, a union, cannot be written)."),
    406: _error("None of the media types in Accept is offered here."),
    413: _error("The body is larger than AIMSGRAPH_MAX_BODY_BYTES."),
    415: _error("The body's Content-Type is not one this route reads."),
    503: _error("The work ran past the service's time limit and was stopped."),
}


def _as_of(
    as_of: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="Judge the AIMS as of this date, YYYY-MM-DD (default: today).",
            examples=["2026-11-26"],
        ),
    ] = None,
) -> dt.date:
    # A date parameter of FastAPI's would also take "0" (a Unix time); an audit date is a calendar date.
    if as_of is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"as_of={as_of!r} is not a calendar date") from None


AsOf = Annotated[dt.date, Depends(_as_of)]


def content(*media_types: str, description: str = "The result, in the negotiated media type.") -> dict[int | str, Any]:
    """Document a route's 200 answer as any of ``media_types``."""
    return {200: {"description": description, "content": {media: {} for media in media_types}}}
