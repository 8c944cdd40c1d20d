"""The console's words in Swedish and English.

Each module listed in `MESSAGE_MODULES` has two dicts, `SV` and `EN`, of message keys to
texts (`str.format` placeholders allowed). They are merged here; a key defined twice is
an error at import, and every key must exist in both languages (tested).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")
DEFAULT_LANG: Lang = "sv"

MESSAGE_MODULES = [
    "app.console.messages.common",
    "app.console.messages.queue",
    "app.console.messages.requests",
    "app.console.messages.subjects",
    "app.console.messages.settings",
    "app.console.messages.audit",
]

Translator = Callable[..., str]


def _load() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {"sv": {}, "en": {}}
    for name in MESSAGE_MODULES:
        module = importlib.import_module(name)
        for lang, texts in (("sv", module.SV), ("en", module.EN)):
            clash = set(texts) & set(catalogue[lang])
            if clash:
                raise RuntimeError(f"{name} redefines message keys {sorted(clash)}")
            catalogue[lang].update(texts)
    return catalogue


CATALOGUE = _load()


def as_lang(value: str | None) -> Lang | None:
    """`value` if it is a language of the console, else None."""
    if value == "sv":
        return "sv"
    if value == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> Lang:
    """The first of the console's languages the browser asks for (by quality), else Swedish."""
    if not header:
        return DEFAULT_LANG
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, tag.strip().lower()[:2]))
    for negative_quality, _index, tag in sorted(choices):
        lang = as_lang(tag)
        if lang is not None and negative_quality < 0:
            return lang
    return DEFAULT_LANG


def translator(lang: Lang) -> Translator:
    """`t(key, **params)` in `lang`; an unknown key shows as itself (and fails the tests)."""
    texts = CATALOGUE[lang]

    def t(key: str, **params: Any) -> str:
        text = texts.get(key, key)
        return text.format(**params) if params else text

    return t
