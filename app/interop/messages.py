"""What the GDPR API tells the person when their data cannot be removed, in fi/sv/en.

The Helsinki profile shows these messages to the person who asked to delete their
profile, so they are the controller's answer to an erasure request it does not act on:
they give the reasons and the right to complain and to a judicial remedy (GDPR Art
12(4)). Ids, dates and law references only — a legal hold's own reason is the desk's
free text and is never quoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.interop.schemas import GdprError, LocalizedMessage

STATUTORY_RETENTION = "statutory_retention"
LEGAL_HOLD = "legal_hold"
INSUFFICIENT_SCOPE = "insufficient_scope"

NOTHING_DELETED = LocalizedMessage(
    fi="Mitään ei poistettu.", sv="Inget raderades.", en="Nothing was deleted."
)
# Art 12(4): the person is told of the complaint (Art 77) and the judicial remedy (Art 79).
REMEDIES = LocalizedMessage(
    fi="Voit tehdä valituksen tietosuojavalvontaviranomaiselle ja käyttää "
    "oikeussuojakeinoja tuomioistuimessa (tietosuoja-asetuksen 77 ja 79 artikla).",
    sv="Du kan lämna in klagomål till en tillsynsmyndighet för dataskydd och begära "
    "prövning i domstol (artiklarna 77 och 79 i dataskyddsförordningen).",
    en="You may lodge a complaint with a data protection supervisory authority and seek "
    "a judicial remedy (GDPR Art 77 and 79).",
)


@dataclass(frozen=True)
class HeldFor:
    """One hold that keeps some of the data: its kind, rule code or hold id, the law it
    applies (statutory holds only), and the last day any record is kept (None: no end)."""

    kind: str
    id: str
    reference: str | None
    until: date | None


def holds_keeping(reports: Iterable[Mapping[str, Any]]) -> list[HeldFor]:
    """The holds that keep records in erasure reports (`app.erasure.service.report`),
    one per rule or legal hold, with the latest day it keeps any record. Records kept
    without a hold any more (awaiting the next purge) keep nothing."""
    found: dict[tuple[str, str], HeldFor] = {}
    for report in reports:
        for kept in report["kept"]:
            for hold in kept["holds"]:
                until = date.fromisoformat(hold["until"]) if hold["until"] else None
                key = (hold["kind"], hold["id"])
                seen = found.get(key)
                if seen is not None:
                    until = _later(until, seen.until)
                found[key] = HeldFor(
                    kind=hold["kind"],
                    id=hold["id"],
                    reference=hold["reference"] if hold["kind"] == "statutory" else None,
                    until=until,
                )
    return sorted(found.values(), key=lambda h: (h.kind, h.id))


def _later(one: date | None, other: date | None) -> date | None:
    """The later of two last days; None (no end) outlasts any day."""
    if one is None or other is None:
        return None
    return max(one, other)


def refusal_errors(holds: Iterable[HeldFor]) -> list[GdprError]:
    """One error per hold, each a whole answer: why, that nothing was deleted, and the
    remedies."""
    return [
        GdprError(
            code=STATUTORY_RETENTION if hold.kind == "statutory" else LEGAL_HOLD,
            message=_joined(_reason(hold), NOTHING_DELETED, REMEDIES),
        )
        for hold in holds
    ]


def _reason(hold: HeldFor) -> LocalizedMessage:
    until = hold.until.isoformat() if hold.until else None
    if hold.kind == "statutory":
        # Art 17(3)(b): kept for compliance with a legal obligation (e.g. bookkeeping).
        law = hold.reference
        if until:
            return LocalizedMessage(
                fi=f"Osa tiedoistasi on säilytettävä {until} asti, koska laki edellyttää "
                f"sitä ({law}).",
                sv=f"En del av dina uppgifter måste sparas till och med {until} eftersom "
                f"lagen kräver det ({law}).",
                en=f"Some of your data must be kept until {until} because the law "
                f"requires it ({law}).",
            )
        return LocalizedMessage(
            fi=f"Osa tiedoistasi on säilytettävä niin kauan kuin laki edellyttää ({law}).",
            sv=f"En del av dina uppgifter måste sparas så länge lagen kräver det ({law}).",
            en=f"Some of your data must be kept for as long as the law requires ({law}).",
        )
    # Art 17(3)(e): kept for the establishment, exercise or defence of legal claims.
    if until:
        return LocalizedMessage(
            fi=f"Osa tiedoistasi säilytetään {until} asti oikeusvaateen laatimiseksi, "
            "esittämiseksi tai puolustamiseksi (tietosuoja-asetuksen 17 artiklan 3 kohdan "
            "e alakohta).",
            sv=f"En del av dina uppgifter sparas till och med {until} för att rättsliga "
            "anspråk ska kunna fastställas, göras gällande eller försvaras (artikel 17.3 e "
            "i dataskyddsförordningen).",
            en=f"Some of your data is kept until {until} for the establishment, exercise "
            "or defence of legal claims (GDPR Art 17(3)(e)).",
        )
    return LocalizedMessage(
        fi="Osa tiedoistasi säilytetään niin kauan kuin sitä tarvitaan oikeusvaateen "
        "laatimiseksi, esittämiseksi tai puolustamiseksi (tietosuoja-asetuksen 17 artiklan "
        "3 kohdan e alakohta).",
        sv="En del av dina uppgifter sparas så länge de behövs för att rättsliga anspråk "
        "ska kunna fastställas, göras gällande eller försvaras (artikel 17.3 e i "
        "dataskyddsförordningen).",
        en="Some of your data is kept for as long as it is needed for the establishment, "
        "exercise or defence of legal claims (GDPR Art 17(3)(e)).",
    )


def _joined(*parts: LocalizedMessage) -> LocalizedMessage:
    return LocalizedMessage(
        fi=" ".join(p.fi for p in parts),
        sv=" ".join(p.sv for p in parts),
        en=" ".join(p.en for p in parts),
    )


def insufficient_scope() -> GdprError:
    return GdprError(
        code=INSUFFICIENT_SCOPE,
        message=LocalizedMessage(
            fi="Kutsun käyttöoikeustunnus ei salli tätä toimintoa.",
            sv="Anropets åtkomsttoken tillåter inte den här åtgärden.",
            en="The call's access token does not allow this operation.",
        ),
    )


MAX_REASONS_LISTED = 20


def refusal_reasons(holds: list[HeldFor]) -> str:
    """The reasons recorded on the rights request (Art 12(4)), ids and references only."""
    named = [
        f"{hold.id} ({hold.reference})" if hold.reference else f"legal hold {hold.id}"
        for hold in holds[:MAX_REASONS_LISTED]
    ]
    listed = "; ".join(
        f"{name} until {hold.until.isoformat() if hold.until else 'no end yet'}"
        for name, hold in zip(named, holds, strict=False)
    )
    more = len(holds) - MAX_REASONS_LISTED
    if more > 0:
        listed += f"; and {more} more"
    return (
        "Nothing was erased: the Helsinki profile GDPR API deletes all of a profile's data "
        "or none, and some of it must be kept (GDPR Art 17(3)(b) legal obligation, 17(3)(e) "
        f"legal claims): {listed}. The person was told why, and of the right to complain "
        "and to a judicial remedy, in the answer to the call (403)."
    )
