"""Proactive content negotiation on `Accept` (RFC 9110 §12.5.1).

An operation that answers in more than one media type offers them in its order of
preference; the caller's `Accept` picks. No `Accept` (or an empty one) accepts anything.
Among the offered types the one with the highest quality wins — the quality of a type
is that of the most specific range matching it (`text/html` before `text/*` before
`*/*`) — and a tie goes to the first offered. Nothing acceptable (every match `q=0`, or
no match) is `406`.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import NotAcceptable

_MAX_RANGES = 64  # an Accept header is short; a longer one is not read further


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an `Accept` value: (type, subtype, quality), malformed ones
    left out."""
    out = []
    for part in accept.split(",")[:_MAX_RANGES]:
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        out.append((kind, sub, quality))
    return out


def _quality(offered: str, ranges: list[tuple[str, str, float]]) -> float:
    kind, _, sub = offered.partition("/")
    best: tuple[int, float] | None = None  # (specificity, quality)
    for range_kind, range_sub, quality in ranges:
        if (range_kind, range_sub) == (kind, sub):
            specificity = 2
        elif range_kind == kind and range_sub == "*":
            specificity = 1
        elif (range_kind, range_sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best is not None else 0.0


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """The offered media type the caller accepts best; `NotAcceptable` (406) if none."""
    if accept is None or not accept.strip():
        return offered[0]
    ranges = _ranges(accept)
    if not ranges:
        return offered[0]  # nothing readable in it: as if absent (RFC 9110 §12.5.1)
    scored = [(_quality(media, ranges), -index, media) for index, media in enumerate(offered)]
    quality, _, media = max(scored)
    if quality <= 0:
        raise NotAcceptable(f"This resource is available as {', '.join(offered)}.")
    return media
