"""Shapes of the Helsinki profile GDPR API (open-city-profile `gdpr-api-openapi.yaml`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_TREE_EXAMPLE: dict[str, Any] = {
    "key": "SUBJECT",
    "children": [
        {"key": "ID", "value": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70"},
        {"key": "STATUS", "value": "active"},
        {"key": "EMAILS", "children": [{"key": "EMAIL", "value": "asa.oberg@example.se"}]},
        {
            "key": "CONTACTS",
            "children": [
                {
                    "key": "CONTACT",
                    "children": [
                        {"key": "ID", "value": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71"},
                        {"key": "SOURCE", "value": "crm"},
                        {"key": "NAME", "value": "Åsa Öberg"},
                        {"key": "TITLE", "value": "CFO"},
                    ],
                }
            ],
        },
    ],
}


class Node(BaseModel):
    """One node of the tree: a key with a value, or a key heading its children."""

    model_config = ConfigDict(json_schema_extra={"example": _TREE_EXAMPLE})

    key: str = Field(description="A technical name: the field or group, in upper case.")
    value: str | None = Field(default=None, description="The value, as text; absent on groups.")
    children: list[Node] | None = Field(default=None, description="The group's nodes.")


class LocalizedMessage(BaseModel):
    """A message for the person, in Finnish, Swedish and English."""

    fi: str
    sv: str
    en: str


class GdprError(BaseModel):
    code: str = Field(description="What kind of reason, for the platform's logs.")
    message: LocalizedMessage


class GdprErrorResponse(BaseModel):
    """Why the data cannot be removed (or the call is not allowed), for the person."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "errors": [
                    {
                        "code": "statutory_retention",
                        "message": {
                            "fi": "Osa tiedoistasi on säilytettävä 2031-12-31 asti, koska "
                            "laki edellyttää sitä (Bokföringslagen (1999:1078) 7 kap. 2 §). "
                            "Mitään ei poistettu. …",
                            "sv": "En del av dina uppgifter måste sparas till och med "
                            "2031-12-31 eftersom lagen kräver det (Bokföringslagen "
                            "(1999:1078) 7 kap. 2 §). Inget raderades. …",
                            "en": "Some of your data must be kept until 2031-12-31 because "
                            "the law requires it (Bokföringslagen (1999:1078) 7 kap. 2 §). "
                            "Nothing was deleted. …",
                        },
                    }
                ]
            }
        }
    )

    errors: list[GdprError]
