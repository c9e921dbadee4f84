"""Text as the atlas compares and accepts it.

Words are compared folded (no case, no accents) and stemmed by the Snowball stemmer of
the store's language (PyStemmer), so "Doctors" meets "doctor" and "Café" meets "cafe".
Text that reaches the store is checked first: mojibake ("CafÃ©", from a file read in the
wrong encoding, found by ftfy), control characters and the Unicode replacement
character are refused rather than stored, and so are names that are too long or that
are another program's data (a JSON object) rather than a name.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable

import Stemmer
from ftfy.badness import is_bad

LANGUAGES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
    "pl": "polish", "pt": "portuguese", "da": "danish", "sv": "swedish", "no": "norwegian", "fi": "finnish",
    "cs": "czech", "hu": "hungarian", "ro": "romanian", "lt": "lithuanian", "el": "greek", "ca": "catalan",
}
"""ISO 639-1 codes of the languages whose word endings the atlas knows (Snowball's)."""

_WORD = re.compile(r"\w+", re.UNICODE)
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""Characters no text of the atlas holds (NUL and the like; tab and line breaks are fine),
as a regular expression that Python and Arrow (RE2) both read."""
_CONTROL = re.compile(CONTROL_CHARACTERS)


def fold(text: str) -> str:
    """Lower case without accents: "Café Kavarna" -> "cafe kavarna"."""
    if text.isascii():  # most text: nothing to decompose, and ten times quicker
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=16)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = LANGUAGES.get(language)
    return Stemmer.Stemmer(name) if name else None


def stems(text: str, language: str = "en") -> list[str]:
    """The words of ``text``, folded and stemmed, in order."""
    words = _WORD.findall(fold(text))
    stemmer = _stemmer(language)
    return stemmer.stemWords(words) if stemmer else words


def analyzer(language: str = "en", stop_words: frozenset[str] = frozenset()) -> Callable[[str], list[str]]:
    """A function from text to its stemmed words less ``stop_words`` (given unstemmed)."""
    stemmer = _stemmer(language)

    def analyse(text: str) -> list[str]:
        words = [w for w in _WORD.findall(fold(text)) if w not in stop_words and not w.isdigit()]
        return stemmer.stemWords(words) if stemmer else words

    return analyse


def garbled(text: str) -> str | None:
    """Why ``text`` must not be stored as it is, or None when it is fine."""
    if "\ufffd" in text:
        return "it holds the replacement character �, left where a file's encoding was misread"
    if _CONTROL.search(text):
        return "it holds control characters"
    if is_bad(text):
        return "it looks garbled (mojibake such as 'CafÃ©' from a file read in the wrong encoding)"
    return None


def too_long(text: str, max_chars: int) -> str | None:
    """Why ``text`` is too long to store (more than ``max_chars`` characters), or None."""
    if len(text) <= max_chars:
        return None
    return f"it is {len(text):,} characters long, more than the {max_chars:,} allowed; shorten it"


def looks_like_data(text: str) -> str | None:
    """Why ``text`` is not a name but data (a JSON object or list, as a program exports a
    record it could not flatten), or None."""
    stripped = text.strip()
    if (stripped[:1], stripped[-1:]) not in (("{", "}"), ("[", "]")):
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, (dict, list)):
        return None
    return (f"it is a JSON {'object' if isinstance(value, dict) else 'list'}, not a name: the column holds "
            "another program's data; export the file again with this field as plain text")


def unfit(text: str, *, max_chars: int, name: bool = False) -> str | None:
    """Why ``text`` must not be stored (too long, garbled, or, for a ``name``, data
    rather than a name), or None when it is fine."""
    return too_long(text, max_chars) or garbled(text) or (looks_like_data(text) if name else None)
