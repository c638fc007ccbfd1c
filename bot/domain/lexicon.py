"""The lexicon of `bot.domain.understanding`: which words say what, in az, en and ru.

`Lexicon` compiles `bot/data/lexicon.yaml` (the file describes its format). `Lexicon.word`
analyses one word once — its stems under each language's endings, the entry that matches most
of it, the phrases it may begin, the forms a place name may take in it — and keeps the
analysis, so that a message only puts its words' analyses together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.domain.search import normalize

__all__ = [
    "LANGUAGES",
    "Cue",
    "Hit",
    "Intent",
    "Lexicon",
    "PlaceForm",
    "Word",
    "default_lexicon",
    "fold",
]

LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicon.yaml"
LANGUAGES = ("az", "en", "ru")
STOP, DISTRICT, TOWN, VILLAGE = "stop", "district", "town", "village"  # kinds, with intents
PLACE_WORDS = frozenset({DISTRICT, TOWN, VILLAGE})
# the settlement kinds (`db.models.Settlement.kind`) a place word stands for
SETTLEMENT_KINDS = {TOWN: frozenset({"township", "city"}), VILLAGE: frozenset({"village"})}
STRONG = 2  # weight of a plain cue; "~" cues weigh 1

MAX_TEXT = 1000  # characters of a message looked at
MAX_TOKENS = 64  # words of a message looked at
MIN_PREFIX = 3  # shortest "stem*" entry
MIN_HEAVY = 5  # shortest entry also matched through place-name folding (teshekkur: təşəkkür)
MIN_TYPO = 6  # shortest word matched to an entry one letter off (in languages with typos)
WORDS_KEPT = 4096  # analysed words kept: about 6 MB when full

# Azerbaijani letters (and a few others) to ASCII, ё to е: one character for one, so that a
# word folded this way and the word as written have the same length.
_LIGHT = str.maketrans("əışçğöüâîûéèëäñё", "eiscgouaiueeeanе")
_AZ_LETTERS = frozenset("əğışçöüәғҝһөүҹј")  # Latin, and Cyrillic of pre-1991 spellings
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = r"[^\W_]+(?:['’ʼ`][^\W_]+)*"
_APOSTROPHES = re.compile(r"['’ʼ`]")
_POSSESSIVE = re.compile(r"['’ʼ`]s$")  # Sos's
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W_]")


class Intent(StrEnum):
    """What a message asks for. PLACE: a place is named and nothing more specific is asked."""

    UNSUBSCRIBE = "unsubscribe"
    HUMAN = "human"
    SUBSCRIBE = "subscribe"
    CALENDAR = "calendar"
    CARAVANS = "caravans"
    HOMES = "homes"
    PLACE = "place"
    HELP = "help"
    THANKS = "thanks"
    GREETING = "greeting"
    UNKNOWN = "unknown"


@lru_cache(maxsize=WORDS_KEPT)
def fold(text: str) -> str:
    """`bot.domain.search.normalize` without spaces: the key the search index files names by."""
    return normalize(text).replace(" ", "")


def casefold(text: str) -> str:
    """Case folded as the search folds it (İ is i), width too."""
    return unicodedata.normalize("NFKC", text.replace("İ", "i")).casefold()


def light(text: str) -> str:
    """Case folded, Azerbaijani letters in ASCII, ё as е: how keyboards without them spell."""
    return casefold(text).translate(_LIGHT)


@dataclass(frozen=True)
class Cue:
    """What an entry says: an Intent value, STOP or a place word; how much; in which language."""

    kind: str  # an Intent (a str too) for the entries of intents
    weight: int
    language: str


@dataclass(frozen=True)
class Hit:
    """An entry a word (or a phrase of words) matched."""

    cue: Cue
    exact: bool  # the word is the entry itself, not a stem or a prefix of it
    length: int  # letters matched


@dataclass(frozen=True)
class Pattern:
    """One word of an entry."""

    text: str  # light form
    heavy: str  # folded form
    prefix: bool  # "stem*"


@dataclass(frozen=True)
class PlaceForm:
    """A form of a word that a place name may take: the word, or a stem of it."""

    raw: str  # case-folded letters, as written but for the ending
    key: str  # folded
    stripped: bool  # an ending was taken off (or a nominative put back)
    district: bool  # a Russian district adjective: Ходжавендский


@dataclass(frozen=True)
class Word:
    """What the lexicon makes of one word, the same in every message."""

    raw: str  # case-folded
    light: str  # `light` form, as long as raw
    key: str  # folded as place names are
    cyrillic: bool
    az_letters: bool
    hit: Hit | None  # the entry matching most of it
    languages: frozenset[str]  # the lexicons it is in
    stems: dict[str, tuple[int, ...]]  # language → lengths of its stems, itself first
    phrases: tuple[tuple[tuple[Pattern, ...], Cue], ...]  # phrase entries it may begin
    places: tuple[PlaceForm, ...]  # forms a place name may take in it, itself first

    @property
    def scripts(self) -> tuple[str, ...]:
        """The languages its letters may be written in."""
        return ("ru",) if self.cyrillic else ("az", "en")


@dataclass(frozen=True)
class _Morphology:
    suffixes: frozenset[str]
    longest: int
    max_strips: int
    min_stem: int
    typos: bool
    reflexive: tuple[str, ...]
    nominative: tuple[str, ...]
    adjective: tuple[str, ...]
    adjective_links: tuple[str, ...]
    adjective_nominatives: tuple[str, ...]

    @classmethod
    def read(cls, rules: dict[str, Any]) -> _Morphology:
        suffixes = frozenset(rules.get("suffixes", ()))
        return cls(
            suffixes=suffixes,
            longest=max(map(len, suffixes), default=0),
            max_strips=int(rules.get("max_strips", 1)),
            min_stem=int(rules.get("min_stem", 2)),
            typos=bool(rules.get("typos", False)),
            reflexive=tuple(rules.get("reflexive", ())),
            nominative=tuple(rules.get("nominative", ())),
            adjective=tuple(sorted(rules.get("district_adjective", ()), key=len, reverse=True)),
            adjective_links=tuple(rules.get("adjective_links", ())),
            adjective_nominatives=tuple(rules.get("adjective_nominatives", ())),
        )

    def stems(self, word: str) -> tuple[int, ...]:
        """Lengths of the stems of `word` (a light form): itself, then longest first. Endings
        come off again and again, up to `max_strips` times (kəndindənəm → kəndindən → kəndin →
        kənd), a reflexive -ся first."""
        found, frontier = {len(word)}, [word]
        for _ in range(self.max_strips):
            following = []
            for stem in frontier:
                for ending in self.reflexive:
                    if stem.endswith(ending) and len(stem) - len(ending) >= self.min_stem:
                        stem = stem[: -len(ending)]
                        break
                for size in range(1, min(self.longest, len(stem) - self.min_stem) + 1):
                    if stem[-size:] in self.suffixes and len(stem) - size not in found:
                        found.add(len(stem) - size)
                        following.append(stem[:-size])
            frontier = following
        return tuple(sorted(found, reverse=True))

    def adjective_bases(self, word: str) -> list[int]:
        """Lengths of the name inside a district adjective: шушинском → шушин, шуш."""
        for ending in self.adjective:
            if word.endswith(ending) and len(word) > len(ending) + 2:
                base = len(word) - len(ending)
                links = [len(link) for link in self.adjective_links if word[:base].endswith(link)]
                return [base] + [base - size for size in links]
        return []


class Lexicon:
    """`bot/data/lexicon.yaml` compiled for matching words."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.words: dict[str, dict[str, Cue]] = {lang: {} for lang in LANGUAGES}
        self.heavy: dict[str, dict[str, Cue]] = {lang: {} for lang in LANGUAGES}
        self.prefixes: dict[str, dict[str, Cue]] = {lang: {} for lang in LANGUAGES}
        self.heavy_prefixes: dict[str, dict[str, Cue]] = {lang: {} for lang in LANGUAGES}
        self.phrases: dict[str, dict[str, list[tuple[tuple[Pattern, ...], Cue]]]] = {
            lang: {} for lang in LANGUAGES
        }
        self.symbols: dict[str, Cue] = {}
        self.morphology = {
            lang: _Morphology.read(data["morphology"].get(lang, {})) for lang in LANGUAGES
        }
        sections = [*data["intents"].items(), *data["places"].items(), (STOP, data["stopwords"])]
        for kind, by_language in sections:
            if kind not in (STOP, *PLACE_WORDS):
                kind = Intent(kind)  # ValueError for a misspelt intent
            for lang, entries in by_language.items():
                for entry in entries:
                    if not isinstance(entry, str):
                        raise ValueError(f"lexicon: {kind}/{lang}: quote {entry!r}")
                    self._add(entry, kind, lang)
        self._typo_words = {
            lang: [
                text
                for text, cue in self.words[lang].items()
                if len(text) >= MIN_TYPO and cue.kind != STOP
            ]
            for lang in LANGUAGES
        }
        self._typo_prefixes: dict[str, dict[int, list[str]]] = {lang: {} for lang in LANGUAGES}
        for lang in LANGUAGES:
            for stem in self.prefixes[lang]:
                if len(stem) >= MIN_TYPO:
                    self._typo_prefixes[lang].setdefault(len(stem), []).append(stem)
        symbols = "".join(f"|{re.escape(symbol)}" for symbol in self.symbols)
        self._word_pattern = re.compile(_WORD + symbols)
        # The analysis of a case-folded word, made once and kept (the last WORDS_KEPT words).
        self.word: Callable[[str], Word] = lru_cache(maxsize=WORDS_KEPT)(self._analyse)
        self._typos: Callable[[str], Hit | None] = lru_cache(maxsize=WORDS_KEPT)(
            lambda raw: self._typo(self.word(raw))
        )

    def _add(self, entry: str, kind: str, lang: str) -> None:
        weight = STRONG
        if entry.startswith("~"):
            entry, weight = entry[1:], 1
        cue = Cue(kind, weight, lang)
        words = [_pattern(word, first=k == 0) for k, word in enumerate(light(entry).split())]
        if len(words) > 1:
            if words[0].prefix:
                raise ValueError(f"lexicon: {entry!r}: a phrase starts with a whole word")
            self.phrases[lang].setdefault(words[0].text, []).append((tuple(words), cue))
        elif words and not _LETTER.search(words[0].text):
            self.symbols.setdefault(words[0].text, cue)
        elif words and words[0].prefix:
            self.prefixes[lang].setdefault(words[0].text, cue)
            if len(words[0].heavy) >= MIN_HEAVY:
                self.heavy_prefixes[lang].setdefault(words[0].heavy, cue)
        elif words:
            self.words[lang].setdefault(words[0].text, cue)
            if len(words[0].heavy) >= MIN_HEAVY:
                self.heavy[lang].setdefault(words[0].heavy, cue)

    def entries(self) -> list[tuple[str, str, str]]:
        """(language, kind, word) of the one-word entries; prefixes end in "*"."""
        found = []
        for lang in LANGUAGES:
            found += [(lang, cue.kind, text) for text, cue in self.words[lang].items()]
            found += [(lang, cue.kind, text + "*") for text, cue in self.prefixes[lang].items()]
        return found

    def tokens(self, text: str) -> list[tuple[str, Word]]:
        """The words of a message (at most MAX_TOKENS, numbers left out), each as written and
        analysed."""
        found = []
        for match in self._word_pattern.finditer(unicodedata.normalize("NFKC", text[:MAX_TEXT])):
            written = match.group()
            if _APOSTROPHES.search(written):
                written = _APOSTROPHES.sub("", _POSSESSIVE.sub("", written))  # Sos's, Şuşa'da
            if _DIGITS.fullmatch(written):
                continue
            found.append((written, self.word(casefold(written))))
            if len(found) >= MAX_TOKENS:
                break
        return found

    def matches(self, word: Word, lang: str, pattern: Pattern) -> bool:
        """Whether `word` is `pattern` in language `lang` (with its endings, or as a prefix)."""
        heavy = len(pattern.heavy) >= MIN_HEAVY
        if pattern.prefix:
            return word.light.startswith(pattern.text) or (
                heavy and word.key.startswith(pattern.heavy)
            )
        stems = word.stems.get(lang, ())
        return any(word.light[:n] == pattern.text for n in stems) or (
            heavy and word.key == pattern.heavy
        )

    def _analyse(self, raw: str) -> Word:
        cyrillic = bool(_CYRILLIC.search(raw))
        scripts = ("ru",) if cyrillic else ("az", "en")
        text = raw.translate(_LIGHT)
        stems = {lang: self.morphology[lang].stems(text) for lang in scripts}
        hits = {
            lang: hit for lang in scripts if (hit := self._best_hit(raw, text, lang, stems[lang]))
        }
        if not hits and not cyrillic:  # Russian typed in Latin letters: spasibo, kogda
            hit = self._latin_russian(raw)
            hits = {"ru": hit} if hit is not None else hits
        symbol = self.symbols.get(text)
        if symbol is not None:
            hits = {symbol.language: Hit(symbol, True, len(text))}
        hit = max(
            hits.values(), key=lambda h: (h.exact, h.length, h.cue.kind != STOP), default=None
        )
        phrases = tuple(
            phrase
            for lang in scripts
            for n in stems[lang]
            for phrase in self.phrases[lang].get(text[:n], ())
        )
        return Word(
            raw=raw,
            light=text,
            key=fold(raw),
            cyrillic=cyrillic,
            az_letters=not _AZ_LETTERS.isdisjoint(raw),
            hit=hit,
            languages=frozenset(hits),
            stems=stems,
            phrases=phrases,
            places=self._place_forms(raw, text, cyrillic, stems),
        )

    def _best_hit(self, raw: str, text: str, lang: str, stems: tuple[int, ...]) -> Hit | None:
        """The entry matching most letters of the word: itself or a stem of it, or a prefix;
        failing those, the same through place-name folding."""
        words, prefixes = self.words[lang], self.prefixes[lang]
        found = [Hit(words[text[:n]], n == len(text), n) for n in stems if text[:n] in words]
        found += [
            Hit(prefixes[text[:n]], n == len(text), n)
            for n in range(len(text), MIN_PREFIX - 1, -1)
            if text[:n] in prefixes
        ]
        if not found:
            heavy_words, heavy_prefixes, key = (
                self.heavy[lang],
                self.heavy_prefixes[lang],
                fold(raw),
            )
            found = [
                Hit(heavy_words[fold(raw[:n])], False, n)
                for n in stems
                if n >= MIN_HEAVY and fold(raw[:n]) in heavy_words
            ]
            found += [
                Hit(heavy_prefixes[key[:n]], False, n)
                for n in range(len(key), MIN_HEAVY - 1, -1)
                if key[:n] in heavy_prefixes
            ]
        return max(found, key=lambda hit: (hit.length, hit.exact), default=None)

    def _latin_russian(self, raw: str) -> Hit | None:
        """A Russian entry the word spells in Latin letters, through place-name folding, which
        writes Cyrillic in Latin (спасибо and spasibo fold alike); only long entries count."""
        key = fold(raw)
        if len(key) < MIN_HEAVY:
            return None
        if (cue := self.heavy["ru"].get(key)) is not None:
            return Hit(cue, False, len(raw))
        found = (
            Hit(self.heavy_prefixes["ru"][key[:n]], False, n)
            for n in range(len(key), MIN_HEAVY - 1, -1)
            if key[:n] in self.heavy_prefixes["ru"]
        )
        return next(found, None)

    def _place_forms(
        self, raw: str, text: str, cyrillic: bool, stems: dict[str, tuple[int, ...]]
    ) -> tuple[PlaceForm, ...]:
        """The word, then its stems under Azerbaijani endings (Latin letters) or Russian ones
        (Cyrillic: also with the nominative put back, and the names in district adjectives)."""
        lang = "ru" if cyrillic else "az"
        rules = self.morphology[lang]
        forms = [(n, "", False) for n in stems[lang]]
        if cyrillic:
            forms += [(n, tail, False) for n, _, _ in forms[1:] for tail in rules.nominative]
            for n in rules.adjective_bases(text):
                forms += [(n, tail, True) for tail in ("", *rules.adjective_nominatives)]
        return tuple(
            PlaceForm(raw[:n] + tail, fold(raw[:n] + tail), n != len(raw) or bool(tail), district)
            for n, tail, district in forms
        )

    def typo(self, word: Word) -> Hit | None:
        """A cue a long word nothing matched is one letter off (caravn, спосибо)."""
        return self._typos(word.raw)

    def _typo(self, word: Word) -> Hit | None:
        """One letter wrong, missing or extra, before the last letter of the entry (a word that
        differs only at its end is another word or another form: update, updates)."""
        if word.hit is not None or len(word.light) < MIN_TYPO:
            return None
        for lang in word.scripts:
            if not self.morphology[lang].typos:
                continue
            tries = [(word.light[:n], self._typo_words[lang]) for n in word.stems[lang][:2]]
            tries += [
                (word.light[:k], stems)
                for size, stems in self._typo_prefixes[lang].items()
                for k in (size - 1, size, size + 1)
            ]
            for start, entries in tries:
                found = process.extractOne(
                    start, entries, scorer=Levenshtein.distance, score_cutoff=1
                )
                if found is not None and not _differ_at_end(start, found[0]):
                    table = self.words if entries is self._typo_words[lang] else self.prefixes
                    return Hit(table[lang][found[0]], False, len(start))
        return None


def _differ_at_end(start: str, entry: str) -> bool:
    """`start` is a prefix of `entry`, or the reverse, or they first differ at its last letter."""
    first = next((i for i, (a, b) in enumerate(zip(start, entry, strict=False)) if a != b), None)
    return first is None or first >= len(entry) - 1


def _pattern(word: str, first: bool) -> Pattern:
    prefix = word.endswith("*")
    text = word.rstrip("*")
    shortest = MIN_PREFIX if first else MIN_PREFIX - 1  # "xəbər et*"
    if prefix and len(text) < shortest:
        raise ValueError(f"lexicon: the stem of {word!r} is shorter than {shortest} letters")
    return Pattern(text, fold(text) if len(text) >= MIN_HEAVY - 1 else text, prefix)


@cache
def default_lexicon() -> Lexicon:
    """The bundled lexicon, read on first use (a few milliseconds; PyYAML is imported then,
    so that starting the bot does not load it)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Lexicon(yaml.load(LEXICON.read_text(encoding="utf-8"), Loader=loader))
