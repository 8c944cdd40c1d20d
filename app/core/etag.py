"""ETags are versions; `If-Match` with a stale one is refused before anything changes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header

from app.core.errors import BadRequest, PreconditionFailed

# RFC 9110 §13.1.1: If-Match = "*" / #entity-tag; entity-tag = [ "W/" ] DQUOTE *etagc
# DQUOTE, etagc = %x21 / %x23-7E (obs-text, bytes above 7E, is not accepted: no ETag
# of ours has it). Written with plain character ranges so that tools generating values
# from the document (schemathesis) read it as the server does.
_ENTITY_TAG = r'(W/)?"[!#-~]*"'
IF_MATCH_PATTERN = rf"^(\*|{_ENTITY_TAG}( *, *{_ENTITY_TAG})*)$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
MAX_IF_MATCH = 1024


def if_match_header(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag you last read (e.g. `"3"`, or `*`); a stale one answers '
            "412 and changes nothing, a malformed one 400.",
            # Documented for clients; checked below, as a 400 rather than a 422.
            json_schema_extra={
                "pattern": IF_MATCH_PATTERN,
                "maxLength": MAX_IF_MATCH,
                "examples": ['"1"', 'W/"1"', '"1", "2"', "*"],
            },
        ),
    ] = None,
) -> str | None:
    """`If-Match` as sent, checked for its syntax before anything is read: a value that
    is not `*` or a list of entity tags is a malformed request (400, RFC 9110 §15.5.1),
    not a stale one (412)."""
    if if_match is not None and (
        len(if_match) > MAX_IF_MATCH or not _IF_MATCH.fullmatch(if_match.strip(" \t"))
    ):
        raise BadRequest(
            "`If-Match` is malformed: send `*` or the entity tag you read, quoted as in "
            'the `ETag` header (e.g. `"3"`).'
        )
    return if_match


IfMatch = Annotated[str | None, Depends(if_match_header)]


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
