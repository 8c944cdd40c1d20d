"""Cross-field rules of request bodies, written into their JSON Schema.

A body's validator (pydantic `model_validator`) enforces a rule such as "exactly one of
`subject_id` or `requester`"; the document must say it too, or tools built from it
(schemathesis, generated clients) send bodies the server refuses. The rules are written
as `if`/`then`/`else` rather than `oneOf`/`anyOf` beside `properties`: generators such
as openapi-python-client read `oneOf` beside `properties` as a union of types and drop
the operation, while they ignore `if`/`then`/`else` and keep the plain object.

"Given" means present and not null, as the validators read it (`None` is "not given").
Each function returns a schema fragment; `rules(...)` puts several into one model's
`json_schema_extra` (under `allOf`, each fragment its own `if`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, StrictInt

Fragment = dict[str, Any]


def given(name: str, value: Fragment | None = None) -> Fragment:
    """`name` is present and not null (and, with `value`, matches it)."""
    constraint: Fragment = {"not": {"type": "null"}}
    if value is not None:
        constraint = {"allOf": [constraint, value]}
    return {"required": [name], "properties": {name: constraint}}


def not_given(name: str) -> Fragment:
    """`name` is absent or null."""
    return {"not": given(name)}


def exactly_one_of(*names: str) -> Fragment:
    """Exactly one of `names` is given."""
    first, *rest = names
    if not rest:
        return given(first)
    return {
        "if": given(first),
        "then": {"allOf": [not_given(name) for name in rest]},
        "else": exactly_one_of(*rest),
    }


def at_least_one_of(*names: str, non_empty: bool = False) -> Fragment:
    """At least one of `names` is given (with `non_empty`: as a non-empty list)."""

    def present(name: str) -> Fragment:
        return given(name, {"type": "array", "minItems": 1}) if non_empty else given(name)

    *others, last = names
    return {"if": {"allOf": [{"not": present(name)} for name in others]}, "then": present(last)}


def when(condition: Fragment, then: Fragment) -> Fragment:
    return {"if": condition, "then": then}


def equals(name: str, values: Sequence[Any]) -> Fragment:
    """`name` is present with one of `values`."""
    return {"required": [name], "properties": {name: {"enum": list(values)}}}


def rules(*fragments: Fragment) -> Fragment:
    """The fragments for one model's `json_schema_extra`."""
    if len(fragments) == 1:
        return fragments[0]
    return {"allOf": list(fragments)}


def _integral_float_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A JSON integer: JSON Schema's `integer` includes `36.0`, so the server takes it too;
# strings (`"36"`) and booleans stay refused, as the document says.
JsonInt = Annotated[StrictInt, BeforeValidator(_integral_float_as_int)]
