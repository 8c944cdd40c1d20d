"""ETags are versions; `If-Match` with a stale one is refused before anything changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from app.core.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you last read; a stale one answers 412 and changes nothing.",
    ),
]


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 412 unless `If-Match` is absent, `*`, or names the current version."""
    if if_match is None:
        return
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",") if tag.strip()}
    if "*" in tags or etag_for(version) in tags:
        return
    raise PreconditionFailed(
        "The resource has changed since it was read (stale `If-Match`); nothing was changed. "
        "Read it again and retry."
    )
