"""Words of a rights request's pages."""

SV: dict[str, str] = {}

EN: dict[str, str] = {}
