"""What makes a notice complete beyond the shape of each field.

Each check names the field (`loc`) and why, so a refused notice (422) says exactly what
to add or fix:

- every category of personal data is described (Art 14(1)(d), 15(1)(b));
- every purpose a category names exists, and every purpose serves some category
  (Art 13(1)(c): a purpose without data is not a processing);
- purpose codes are unique, so that an objection (Art 21(1)) names one purpose;
- a retention rule named for a category is a rule in force for the tenant and covers
  that category (Art 13(2)(a));
- every right of Art 13(2)(b) is described; withdrawal of consent where consent is a
  basis (Art 13(2)(c));
- Swedish and English say the same thing: the same purpose codes with the same legal
  bases, the same purposes and retention rules per category, the same transfer
  destinations and mechanisms, the same answer on automated decision-making.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from app.notices.schemas import Lang, LegalBasis, NoticeDocument, NoticeText, Right
from app.retention.rules import RuleLike
from app.subjects.categories import Category

Issue = dict[str, Any]
LANGS: tuple[Lang, Lang] = ("sv", "en")


def check_document(document: NoticeDocument, rules: Sequence[RuleLike]) -> list[Issue]:
    """Every problem of the notice, located under `body`; empty when it is complete."""
    issues: list[Issue] = []
    for lang in LANGS:
        issues += _check_text(document.text(lang), lang, rules)
    issues += _check_same(document.sv, document.en)
    return issues


def _issue(loc: list[str | int], msg: str) -> Issue:
    return {"loc": ["body", *loc], "msg": msg}


def _check_text(text: NoticeText, lang: Lang, rules: Sequence[RuleLike]) -> list[Issue]:
    issues: list[Issue] = []
    codes = [p.code for p in text.purposes]
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            issues.append(_issue([lang, "purposes", index, "code"], "a purpose code is used twice"))
        seen.add(code)
    for category in Category:
        if category not in text.categories:
            issues.append(
                _issue(
                    [lang, "categories", category.value],
                    "missing: describe every category of personal data (Art 14(1)(d))",
                )
            )
    used: set[str] = set()
    rules_by_code = {rule.code: rule for rule in rules}
    for category, described in text.categories.items():
        for index, code in enumerate(described.purposes):
            used.add(code)
            if code not in codes:
                issues.append(
                    _issue(
                        [lang, "categories", category.value, "purposes", index],
                        "no purpose with this code in `purposes`",
                    )
                )
        for index, code in enumerate(described.retention.rules):
            rule = rules_by_code.get(code)
            if rule is None:
                issues.append(
                    _issue(
                        [lang, "categories", category.value, "retention", "rules", index],
                        "no retention rule in force with this code (GET /v1/retention-rules)",
                    )
                )
            elif rule.category != category.value:
                issues.append(
                    _issue(
                        [lang, "categories", category.value, "retention", "rules", index],
                        f"this retention rule covers `{rule.category}`, not this category",
                    )
                )
    for index, purpose in enumerate(text.purposes):
        if purpose.code not in used:
            issues.append(
                _issue(
                    [lang, "purposes", index, "code"],
                    "no category of personal data is processed for this purpose",
                )
            )
    named = Counter(r.right for r in text.rights)
    for right in Right:
        if named[right] == 0:
            issues.append(_issue([lang, "rights"], f"missing: the right `{right.value}`"))
        elif named[right] > 1:
            issues.append(_issue([lang, "rights"], f"the right `{right.value}` is named twice"))
    if text.consent_withdrawal is None and any(
        p.legal_basis == LegalBasis.consent for p in text.purposes
    ):
        issues.append(
            _issue(
                [lang, "consent_withdrawal"],
                "required: a purpose rests on consent, which may be withdrawn at any time "
                "(Art 13(2)(c))",
            )
        )
    return issues


def _check_same(sv: NoticeText, en: NoticeText) -> list[Issue]:
    """Both languages describe the same processing; differences are located in `en`."""
    issues: list[Issue] = []
    sv_bases = {p.code: p.legal_basis for p in sv.purposes}
    en_bases = {p.code: p.legal_basis for p in en.purposes}
    if set(sv_bases) != set(en_bases):
        issues.append(_issue(["en", "purposes"], "the purpose codes differ from those in `sv`"))
    for index, purpose in enumerate(en.purposes):
        basis = sv_bases.get(purpose.code)
        if basis is not None and basis != purpose.legal_basis:
            issues.append(
                _issue(
                    ["en", "purposes", index, "legal_basis"],
                    "the legal basis differs from the same purpose in `sv`",
                )
            )
    for category, described in en.categories.items():
        other = sv.categories.get(category)
        if other is None:
            continue
        if set(described.purposes) != set(other.purposes):
            issues.append(
                _issue(
                    ["en", "categories", category.value, "purposes"],
                    "the purposes differ from the same category in `sv`",
                )
            )
        if set(described.retention.rules) != set(other.retention.rules):
            issues.append(
                _issue(
                    ["en", "categories", category.value, "retention", "rules"],
                    "the retention rules differ from the same category in `sv`",
                )
            )
    if sorted((t.country, t.mechanism) for t in en.transfers) != sorted(
        (t.country, t.mechanism) for t in sv.transfers
    ):
        issues.append(
            _issue(
                ["en", "transfers"],
                "the destinations and mechanisms differ from those in `sv`",
            )
        )
    if en.automated_decision_making.used != sv.automated_decision_making.used:
        issues.append(_issue(["en", "automated_decision_making", "used"], "differs from `sv`"))
    if en.controller.organisation_number != sv.controller.organisation_number:
        issues.append(_issue(["en", "controller", "organisation_number"], "differs from `sv`"))
    return issues
