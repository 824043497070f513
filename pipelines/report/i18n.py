"""The report's two languages: words from ``text.yaml``, numbers in the language's format."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from pipelines.config_file import read_yaml
from pipelines.report import numbers

TEXT_FILE = Path(__file__).resolve().parent / "text.yaml"
LANGUAGES = ("da", "en")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    doc = read_yaml(TEXT_FILE)
    for key, entry in doc.items():
        if not isinstance(key, str):
            raise ValueError(f"{TEXT_FILE}: YAML read a key as {key!r}; quote it")
        missing = [lang for lang in LANGUAGES if not isinstance(entry, dict) or lang not in entry]
        if missing:
            raise ValueError(f"{TEXT_FILE}: text {key!r} has no {', '.join(missing)} version")
    return doc


@dataclass(frozen=True)
class Text:
    """``text('key', name=value)``: the key's words in this language, with fields filled in.

    ``common`` fields (the programme period of the release) fill every text that names them.
    """

    lang: str
    common: dict[str, Any] = field(default_factory=dict)

    def __call__(self, key: str, **fields: Any) -> str:
        try:
            words = catalogue()[key][self.lang]
        except KeyError:
            raise KeyError(f"{TEXT_FILE}: no text {key!r}") from None
        named = {k: v for k, v in self.common.items() if "{" + k + "}" in words}
        fields = {**named, **fields}
        return words.format(**fields) if fields else words

    def markup(self, key: str, **fields: Any) -> Markup:
        """The key's words as markup: fields that are markup (links) stay, others are escaped."""
        words = Markup(escape(self(key, **{k: "{" + k + "}" for k in fields})))
        return words.format(**fields)

    def has(self, key: str) -> bool:
        return key in catalogue()

    def num(self, value: Any, decimals: int = 0) -> str:
        return numbers.number(value, decimals, self.lang)

    def pct(self, value: Any, decimals: int = 1) -> str:
        return numbers.percent(value, decimals, self.lang)

    def pp(self, value: Any, decimals: int = 1, signed: bool = True) -> str:
        return numbers.points(value, decimals, self.lang, signed)

    def change(self, value: Any, decimals: int = 1) -> str:
        return numbers.signed_percent(value, decimals, self.lang)
