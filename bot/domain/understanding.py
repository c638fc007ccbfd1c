"""What a message says: the places it names, what its writer wants, the language it is in.

Pure functions over a `SearchIndex` and the lexicon (`bot/data/lexicon.yaml`, read once): the
words are folded and matched against the lexicon with Azerbaijani, English and Russian endings;
the other words are looked up as place names, also with case endings, joined or split; the
cues then give the intent and the language. How, and how to extend it: docs/understanding.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.domain.search import STRICT_SCORE, Match, SearchIndex, normalize

__all__ = [
    "Intent",
    "Lexicon",
    "PlaceMention",
    "Understanding",
    "default_lexicon",
    "detect_language",
    "understand",
]

LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicon.yaml"
LANGUAGES = ("az", "en", "ru")
DISTRICT, SETTLEMENT = "district", "settlement"  # search keys are "<kind>:<slug>"
STOP = "stop"

MAX_TEXT = 1000  # characters of a message looked at
MAX_TOKENS = 64  # words of a message looked at
MAX_SPAN = 3  # words of one place name
MAX_BARE = 4  # words of a message that may be a place name alone
MIN_PLACE_KEY = 3  # shortest folded key looked up as a place
MIN_FUZZY_KEY = 5  # shortest folded word matched loosely to a place
FUZZY_CUTOFF = 82.0  # score a loose place match needs inside a sentence
FUZZY_GAP = 5.0  # lead a loose place match needs over the next place
MIN_TYPO_WORD = 6  # shortest word matched to a lexicon word with one typo (en, ru)
MIN_HEAVY_WORD = 5  # shortest lexicon word also matched through place-name folding
MIN_PREFIX = 3  # shortest "stem*" entry
ASCII_SCORE = 99.0  # a name as written but for its Azerbaijani letters: Susa for Şuşa
STRIPPED_PENALTY = 2.0  # a place found through a case ending ranks after a bare one
STRONG = 2  # weight of a plain cue; "~" cues weigh 1
MIN_EVIDENCE = 2  # words of one language needed to call a message written in it


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


# Precedence (docs/understanding.md): requests first, then a named place, then the social rest.
REQUESTS = (
    Intent.UNSUBSCRIBE,
    Intent.HUMAN,
    Intent.SUBSCRIBE,
    Intent.CALENDAR,
    Intent.CARAVANS,
    Intent.HOMES,
)
SOCIAL = (Intent.THANKS, Intent.HELP, Intent.GREETING)  # thanks for the help: thanks


@dataclass(frozen=True)
class PlaceMention:
    """A place a message names: its `SearchIndex` key, how well it matched, where it was."""

    key: str  # "settlement:sos", "district:khojavand"
    score: float  # 0..100, as `SearchIndex` scores
    exact: bool  # the words (without a case ending) fold to one of the place's names
    span: str  # the words it was found in, as written


@dataclass(frozen=True)
class Understanding:
    """What `understand` made of a message."""

    intent: Intent
    places: tuple[PlaceMention, ...]  # best first; several: ask which
    language: str | None  # "az", "en" or "ru" when the message is clearly written in it
    fuzzy: bool  # a place was matched loosely: "did you mean something else?"
    intents: tuple[Intent, ...] = ()  # every request and social cue seen, in precedence order


# --- words -----------------------------------------------------------------------------------

# Azerbaijani letters (and a few others) to ASCII, ё to е: one character for one, so that a
# folded word and the word as written have the same length.
_LIGHT = str.maketrans("əışçğöüâîûéèëäñё", "eiscgouaiueeeanе")
_APOSTROPHES = "'’ʼ`"
_WORD = r"[^\W_]+(?:['’ʼ`][^\W_]+)*"
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_AZ_LETTERS = frozenset("əğışçöüәғҝһөүҹј")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class _Token:
    text: str  # as written
    raw: str  # case-folded
    light: str  # raw with Azerbaijani letters in ASCII (same length as raw)
    cyrillic: bool

    @property
    def az_letters(self) -> bool:
        return not _AZ_LETTERS.isdisjoint(self.raw)


@lru_cache(maxsize=16384)
def _fold(word: str) -> str:
    """`normalize` without spaces: a word's key as the search index keys names."""
    return normalize(word).replace(" ", "")


def _tokenize(text: str, lexicon: Lexicon) -> list[_Token]:
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT])
    tokens = []
    for found in lexicon.word_pattern.finditer(text):
        word = found.group()
        if any(mark in word for mark in _APOSTROPHES):
            word = re.sub(r"['’ʼ`]s$", "", word)  # English possessive: Sos's
            word = "".join(ch for ch in word if ch not in _APOSTROPHES)  # Şuşa'da, don't
        if _DIGITS.fullmatch(word):
            continue
        raw = word.replace("İ", "i").casefold()
        tokens.append(_Token(word, raw, raw.translate(_LIGHT), bool(_CYRILLIC.search(raw))))
        if len(tokens) >= MAX_TOKENS:
            break
    return tokens


# --- the lexicon -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    kind: str  # an Intent value, STOP, DISTRICT or SETTLEMENT
    weight: int
    language: str


@dataclass(frozen=True)
class _Pattern:
    text: str  # light form
    heavy: str  # folded form
    prefix: bool


@dataclass(frozen=True)
class _Morphology:
    suffixes: frozenset[str]
    longest: int
    max_strips: int
    min_stem: int
    reflexive: tuple[str, ...] = ()
    nominative: tuple[str, ...] = ()
    adjective: tuple[str, ...] = ()
    adjective_links: tuple[str, ...] = ()
    adjective_nominatives: tuple[str, ...] = ()
    typos: bool = False  # a long word may be one letter off a cue

    def stems(self, word: str) -> list[int]:
        """Lengths of the stems `word` may have (itself first, then longest first)."""
        found, frontier = {len(word)}, [word]
        for _ in range(self.max_strips):
            following = []
            for stem in frontier:
                stem = self._unreflexive(stem)
                for size in range(1, min(self.longest, len(stem) - self.min_stem) + 1):
                    if stem[-size:] in self.suffixes and len(stem) - size not in found:
                        found.add(len(stem) - size)
                        following.append(stem[:-size])
            frontier = following
        return sorted(found, reverse=True)

    def _unreflexive(self, word: str) -> str:
        for ending in self.reflexive:
            if word.endswith(ending) and len(word) - len(ending) >= self.min_stem:
                return word[: -len(ending)]
        return word


@dataclass(frozen=True)
class _Hit:
    cue: _Cue
    exact: bool  # the word itself is the entry
    length: int  # letters matched


class Lexicon:
    """The lexicon, compiled for matching (see bot/data/lexicon.yaml for its format)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.words: dict[str, dict[str, _Cue]] = {lang: {} for lang in LANGUAGES}
        self.heavy: dict[str, dict[str, _Cue]] = {lang: {} for lang in LANGUAGES}
        self.prefixes: dict[str, dict[str, _Cue]] = {lang: {} for lang in LANGUAGES}
        self.heavy_prefixes: dict[str, dict[str, _Cue]] = {lang: {} for lang in LANGUAGES}
        self.phrases: dict[str, dict[str, list[tuple[tuple[_Pattern, ...], _Cue]]]] = {
            lang: {} for lang in LANGUAGES
        }
        self.symbols: dict[str, _Cue] = {}
        sections = [(kind, by_lang) for kind, by_lang in data["intents"].items()]
        sections += [(kind, by_lang) for kind, by_lang in data["places"].items()]
        sections.append((STOP, data["stopwords"]))
        for kind, by_lang in sections:
            if kind not in (STOP, DISTRICT, SETTLEMENT):
                Intent(kind)  # a misspelt intent fails here
            for lang, entries in by_lang.items():
                for entry in entries:
                    if not isinstance(entry, str):
                        raise ValueError(f"lexicon: {kind}/{lang}: quote {entry!r}")
                    self._add(entry, kind, lang)
        self.morphology = {lang: _morphology(rules) for lang, rules in data["morphology"].items()}
        typos = [lang for lang, rules in self.morphology.items() if rules.typos]
        self.typo_words = {
            lang: [
                w
                for w, cue in self.words[lang].items()
                if len(w) >= MIN_TYPO_WORD and cue.kind != STOP
            ]
            for lang in typos
        }
        self.typo_prefixes = {
            lang: [stem for stem in self.prefixes[lang] if len(stem) >= MIN_TYPO_WORD - 1]
            for lang in typos
        }
        symbols = "|".join(re.escape(symbol) for symbol in self.symbols)
        self.word_pattern = re.compile(_WORD + (f"|{symbols}" if symbols else ""))

    def _add(self, entry: str, kind: str, lang: str) -> None:
        weight = STRONG
        if entry.startswith("~"):
            entry, weight = entry[1:], 1
        cue = _Cue(kind, weight, lang)
        light = unicodedata.normalize("NFKC", entry).casefold().translate(_LIGHT)
        words = [_pattern(word) for word in light.split()]
        if not words:
            return
        if len(words) == 1 and not _WORD_CHARS.search(light):
            self.symbols.setdefault(light, cue)
        elif len(words) > 1:
            self.phrases[lang].setdefault(words[0].text, []).append((tuple(words), cue))
        elif words[0].prefix:
            self.prefixes[lang].setdefault(words[0].text, cue)
            if len(words[0].heavy) >= MIN_HEAVY_WORD:
                self.heavy_prefixes[lang].setdefault(words[0].heavy, cue)
        else:
            self.words[lang].setdefault(words[0].text, cue)
            if len(words[0].heavy) >= MIN_HEAVY_WORD:
                self.heavy[lang].setdefault(words[0].heavy, cue)

    def entries(self) -> Iterable[tuple[str, str, str]]:
        """(language, kind, light word) of every one-word entry, prefixes with their "*"."""
        for lang in LANGUAGES:
            for word, cue in self.words[lang].items():
                yield lang, cue.kind, word
            for stem, cue in self.prefixes[lang].items():
                yield lang, cue.kind, stem + "*"


_WORD_CHARS = re.compile(r"[^\W_]")


def _pattern(word: str) -> _Pattern:
    prefix = word.endswith("*")
    text = word.rstrip("*")
    if prefix and len(text) < MIN_PREFIX:
        raise ValueError(f"lexicon: the stem of {word!r} is shorter than {MIN_PREFIX} letters")
    return _Pattern(text, _fold(text), prefix)


def _morphology(rules: dict[str, Any]) -> _Morphology:
    suffixes = frozenset(rules.get("suffixes", ()))
    return _Morphology(
        suffixes=suffixes,
        longest=max(map(len, suffixes), default=0),
        max_strips=int(rules.get("max_strips", 1)),
        min_stem=int(rules.get("min_stem", 2)),
        reflexive=tuple(rules.get("reflexive", ())),
        nominative=tuple(rules.get("nominative", ())),
        adjective=tuple(sorted(rules.get("district_adjective", ()), key=len, reverse=True)),
        adjective_links=tuple(rules.get("adjective_links", ())),
        adjective_nominatives=tuple(rules.get("adjective_nominatives", ())),
        typos=bool(rules.get("typos", False)),
    )


@cache
def default_lexicon() -> Lexicon:
    """The bundled lexicon, read on first use."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Lexicon(yaml.load(LEXICON.read_text(encoding="utf-8"), Loader=loader))


# --- one message -----------------------------------------------------------------------------


@dataclass
class _Found:
    start: int
    end: int  # exclusive
    matches: list[Match]
    stripped: bool  # found through a case ending
    district: bool = False  # a Russian district adjective: Ходжавендский
    fuzzy: bool = False


@dataclass
class _Message:
    """The words of one message and what the lexicon says of each."""

    tokens: list[_Token]
    lexicon: Lexicon
    hits: list[_Hit | None] = field(default_factory=list)
    languages: list[frozenset[str]] = field(default_factory=list)  # lexicons each word is in
    phrase: list[bool] = field(default_factory=list)  # part of a phrase entry
    _stems: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        count = len(self.tokens)
        self.hits, self.phrase = [None] * count, [False] * count
        self.languages = [frozenset()] * count
        self._match_phrases()
        for i, token in enumerate(self.tokens):
            if not self.phrase[i]:
                self.hits[i], self.languages[i] = self._match_word(token, i)

    def scripts(self, i: int) -> tuple[str, ...]:
        return ("ru",) if self.tokens[i].cyrillic else ("az", "en")

    def stems(self, i: int, lang: str) -> list[int]:
        key = (i, lang)
        if key not in self._stems:
            self._stems[key] = self.lexicon.morphology[lang].stems(self.tokens[i].light)
        return self._stems[key]

    def matches(self, i: int, lang: str, pattern: _Pattern) -> bool:
        token = self.tokens[i]
        if pattern.prefix:
            return token.light.startswith(pattern.text) or (
                len(pattern.heavy) >= MIN_HEAVY_WORD and _fold(token.raw).startswith(pattern.heavy)
            )
        if any(token.light[:n] == pattern.text for n in self.stems(i, lang)):
            return True
        return len(pattern.heavy) >= MIN_HEAVY_WORD and _fold(token.raw) == pattern.heavy

    def _match_phrases(self) -> None:
        i = 0
        while i < len(self.tokens):
            best: tuple[int, _Cue, set[str]] | None = None
            for lang in self.scripts(i):
                for n in self.stems(i, lang):
                    for words, cue in self.lexicon.phrases[lang].get(self.tokens[i].light[:n], ()):
                        size = len(words)
                        if (best is None or size > best[0]) and self._phrase_at(i, lang, words):
                            best = (size, cue, {lang})
                        elif best is not None and size == best[0] and cue.language != lang:
                            best[2].add(lang)
            if best is None:
                i += 1
                continue
            size, cue, langs = best
            for k in range(i, i + size):
                self.phrase[k] = True
                self.languages[k] = frozenset(langs)
            self.hits[i] = _Hit(cue, True, sum(len(t.light) for t in self.tokens[i : i + size]))
            i += size

    def _phrase_at(self, i: int, lang: str, words: tuple[_Pattern, ...]) -> bool:
        if i + len(words) > len(self.tokens):
            return False
        return all(self.matches(i + k, lang, words[k]) for k in range(1, len(words)))

    def _match_word(self, token: _Token, i: int) -> tuple[_Hit | None, frozenset[str]]:
        lexicon, found, langs = self.lexicon, [], set()
        symbol = lexicon.symbols.get(token.light)
        if symbol is not None:
            return _Hit(symbol, True, 1), frozenset({symbol.language})
        for lang in self.scripts(i):
            hit = _best_hit(token, lexicon, lang, self.stems(i, lang))
            if hit is not None:
                found.append(hit)
                langs.add(lang)
        if not found:
            return None, frozenset()
        best = max(found, key=lambda hit: (hit.exact, hit.length, hit.cue.kind != STOP))
        return best, frozenset(langs)

    def typo(self, i: int) -> _Hit | None:
        """A cue the word is one letter off (for long words nothing else matched; en, ru)."""
        token, lexicon = self.tokens[i], self.lexicon
        if len(token.light) < MIN_TYPO_WORD:
            return None
        for lang in self.scripts(i):
            if lang not in lexicon.typo_words:
                continue
            for n in self.stems(i, lang)[:2]:
                found = process.extractOne(
                    token.light[:n],
                    lexicon.typo_words[lang],
                    scorer=Levenshtein.distance,
                    score_cutoff=1,
                )
                if found is not None:
                    return _Hit(lexicon.words[lang][found[0]], False, n)
            for stem in lexicon.typo_prefixes[lang]:
                size = len(stem)
                if any(
                    Levenshtein.distance(token.light[:k], stem, score_cutoff=1) <= 1
                    for k in (size - 1, size, size + 1)
                ):
                    return _Hit(lexicon.prefixes[lang][stem], False, size)
        return None


def _best_hit(token: _Token, lexicon: Lexicon, lang: str, stems: list[int]) -> _Hit | None:
    """The entry matching most letters of the word: itself or a stem of it, a prefix, then the
    same through place-name folding."""
    light, found = token.light, []
    words, prefixes = lexicon.words[lang], lexicon.prefixes[lang]
    found += [_Hit(words[light[:n]], n == len(light), n) for n in stems if light[:n] in words]
    found += [
        _Hit(prefixes[light[:n]], n == len(light), n)
        for n in range(len(light), MIN_PREFIX - 1, -1)
        if light[:n] in prefixes
    ]
    if not found:
        heavy_words, heavy_prefixes = lexicon.heavy[lang], lexicon.heavy_prefixes[lang]
        for n in stems:
            if n >= MIN_HEAVY_WORD and (cue := heavy_words.get(_fold(token.raw[:n]))):
                found.append(_Hit(cue, False, n))
        heavy = _fold(token.raw)
        found += [
            _Hit(heavy_prefixes[heavy[:n]], False, n)
            for n in range(len(heavy), MIN_HEAVY_WORD - 1, -1)
            if heavy[:n] in heavy_prefixes
        ]
    return max(found, key=lambda hit: (hit.length, hit.exact), default=None)


# --- places ----------------------------------------------------------------------------------


def _kind(msg: _Message, i: int) -> str | None:
    hit = msg.hits[i]
    return None if hit is None else hit.cue.kind


def _open(msg: _Message, i: int) -> bool:
    """The word may be (part of) a place name: no lexicon entry is exactly this word."""
    hit = msg.hits[i]
    if msg.phrase[i]:
        return False
    return hit is None or not hit.exact or hit.cue.kind in (DISTRICT, SETTLEMENT)


def _place_stems(msg: _Message, i: int) -> list[tuple[int, str, bool]]:
    """(letters kept, letters added, a district adjective) for each form of word `i` that
    may be a place name's: itself, then without case endings."""
    token = msg.tokens[i]
    if not token.cyrillic:
        return [(n, "", False) for n in msg.stems(i, "az")]
    rules = msg.lexicon.morphology["ru"]
    forms = [(n, "", False) for n in msg.stems(i, "ru")]
    forms += [(n, tail, False) for n, _, _ in forms[1:] for tail in rules.nominative]
    word = token.light
    for ending in rules.adjective:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = len(word) - len(ending)
            bases = [base] + [
                base - len(link) for link in rules.adjective_links if word[:base].endswith(link)
            ]
            for n in bases:
                forms.append((n, "", True))
                forms += [(n, tail, True) for tail in rules.adjective_nominatives]
            break
    return forms


def _exact_places(msg: _Message, index: SearchIndex) -> list[_Found]:
    """Spans of up to MAX_SPAN open words that fold to a place name, longest first, left to
    right; the last word may carry case endings."""
    found, i, count = [], 0, len(msg.tokens)
    while i < count:
        if not _open(msg, i) or _kind(msg, i) in (DISTRICT, SETTLEMENT):
            i += 1
            continue
        for size in range(min(MAX_SPAN, count - i), 0, -1):
            if all(_open(msg, k) for k in range(i, i + size)):
                span = _span(msg, index, i, i + size)
                if span is not None:
                    found.append(span)
                    i += size
                    break
        else:
            i += 1
    return found


def _span(msg: _Message, index: SearchIndex, start: int, end: int) -> _Found | None:
    """The places words `start`..`end` name, through the best form of the last word: a name as
    written beats one spelt without Azerbaijani letters, which beats one that only folds alike
    ("Сусе" is Sus in the locative before it is "Шуша" folded); an ending costs a little."""
    head = [token.raw for token in msg.tokens[start : end - 1]]
    head_key = "".join(_fold(word) for word in head)
    last, best = msg.tokens[end - 1], None
    for n, tail, adjective in _place_stems(msg, end - 1):
        stem = last.raw[:n] + tail
        key = head_key + _fold(stem)
        if len(key) < MIN_PLACE_KEY:
            continue
        query = " ".join([*head, stem])
        stripped = n != len(last.raw) or bool(tail)
        scored = [
            (_tier(match, query) - (STRIPPED_PENALTY if stripped else 0.0), match)
            for match in index.exact(query, folded=key)
        ]
        top = max((score for score, _ in scored), default=0.0)
        if scored and (best is None or top > best[0]):
            matches = [match for score, match in scored if score >= top]
            best = (top, _Found(start, end, matches, stripped, district=adjective))
    return None if best is None else best[1]


def _tier(match: Match, query: str) -> float:
    if match.score >= STRICT_SCORE:
        return STRICT_SCORE
    same = _ascii(match.name) == _ascii(query)
    return ASCII_SCORE if same else match.score


def _ascii(text: str) -> str:
    return "".join(
        unicodedata.normalize("NFKC", text.replace("İ", "i")).casefold().translate(_LIGHT).split()
    )


def _loose_places(msg: _Message, index: SearchIndex, used: list[bool]) -> list[_Found]:
    """Words nothing else explained, close to a place name (a typo): pairs, then single words."""
    free = [
        not used[i] and msg.hits[i] is None and len(_fold(msg.tokens[i].raw)) >= MIN_FUZZY_KEY - 2
        for i in range(len(msg.tokens))
    ]
    found = []
    for size in (2, 1):
        for i in range(len(msg.tokens) - size + 1):
            if all(free[i : i + size]):
                span = _loose_span(msg, index, i, i + size)
                if span is not None:
                    found.append(span)
                    free[i : i + size] = [False] * size
    return found


def _loose_span(msg: _Message, index: SearchIndex, start: int, end: int) -> _Found | None:
    head_key = "".join(_fold(token.raw) for token in msg.tokens[start : end - 1])
    last, best = msg.tokens[end - 1], None
    for n, tail, adjective in _place_stems(msg, end - 1):
        key = head_key + _fold(last.raw[:n] + tail)
        if len(key) < MIN_FUZZY_KEY:
            continue
        matches = index.similar(key, cutoff=FUZZY_CUTOFF)
        if matches and (best is None or matches[0].score > best[0][0].score):
            best = (matches, adjective)
    if best is None:
        return None
    matches, adjective = best
    top = matches[0].score
    group = [m for m in matches if m.score >= top]
    rest = [m.score for m in matches if m.score < top]
    if rest and rest[0] > top - FUZZY_GAP:
        return None
    return _Found(start, end, group, stripped=False, district=adjective, fuzzy=True)


def _kind_hint(msg: _Message, span: _Found) -> str | None:
    """District or settlement, when a word next to the name says so (after it first)."""
    if span.district:
        return DISTRICT
    for i in (span.end, span.start - 1):
        if 0 <= i < len(msg.tokens) and _kind(msg, i) in (DISTRICT, SETTLEMENT):
            return _kind(msg, i)
    return None


def _choose_kind(matches: list[Match], kind: str | None) -> list[Match]:
    if kind is None:
        return matches
    chosen = [m for m in matches if m.key.startswith(kind + ":")]
    return chosen or matches


def _mentions(msg: _Message, spans: list[_Found]) -> list[PlaceMention]:
    mentions = []
    for span in spans:
        words = " ".join(token.text for token in msg.tokens[span.start : span.end])
        penalty = STRIPPED_PENALTY if span.stripped else 0.0
        for match in _choose_kind(span.matches, _kind_hint(msg, span)):
            score = round(match.score - penalty, 2)
            mentions.append(PlaceMention(match.key, score, not span.fuzzy, words))
    return _distinct(mentions)


def _distinct(mentions: list[PlaceMention]) -> list[PlaceMention]:
    """One mention per place, best first (the earlier of equals first)."""
    best: dict[str, PlaceMention] = {}
    for mention in sorted(mentions, key=lambda m: -m.score):
        best.setdefault(mention.key, mention)
    return list(best.values())


# --- intent and language ---------------------------------------------------------------------


def _scores(msg: _Message, used: list[bool]) -> dict[Intent, int]:
    scores = dict.fromkeys(Intent, 0)
    for i, hit in enumerate(msg.hits):
        if hit is not None and not used[i] and hit.cue.kind not in (STOP, DISTRICT, SETTLEMENT):
            scores[Intent(hit.cue.kind)] += hit.cue.weight
    if scores[Intent.UNSUBSCRIBE] and scores[Intent.SUBSCRIBE]:
        scores[Intent.UNSUBSCRIBE] += STRONG  # "stop" + "news": stop the news
    return scores


def _intent(scores: dict[Intent, int], has_places: bool) -> Intent:
    for intent in REQUESTS:
        if scores[intent] >= STRONG:
            return intent
    weak = [intent for intent in REQUESTS if scores[intent]]
    if weak:
        return max(weak, key=lambda intent: scores[intent])
    if has_places:
        return Intent.PLACE
    return next((intent for intent in SOCIAL if scores[intent]), Intent.UNKNOWN)


def _language(msg: _Message, used: list[bool]) -> str | None:
    counts = dict.fromkeys(LANGUAGES, 0)
    for i, token in enumerate(msg.tokens):
        if used[i]:
            continue
        if token.az_letters:
            counts["az"] += 1
        elif msg.languages[i]:
            for lang in msg.languages[i]:
                counts[lang] += 1
        elif token.cyrillic:
            counts["ru"] += 1
    (top, most), (_, second) = sorted(counts.items(), key=lambda item: -item[1])[:2]
    return top if most >= MIN_EVIDENCE and most >= 2 * second else None


def detect_language(text: str, lexicon: Lexicon | None = None) -> str | None:
    """ "az", "en" or "ru" when `text` is clearly written in it (two words of that language or
    more, twice as many as of any other), else None: a lone word, "ok", emoji. Unlike
    `understand`, place names count as words here."""
    lexicon = lexicon or default_lexicon()
    msg = _Message(_tokenize(text if isinstance(text, str) else "", lexicon), lexicon)
    return _language(msg, [False] * len(msg.tokens))


def understand(text: str, index: SearchIndex, lexicon: Lexicon | None = None) -> Understanding:
    """The places `text` names, what it asks for and its language (see the module doc)."""
    lexicon = lexicon or default_lexicon()
    msg = _Message(_tokenize(text if isinstance(text, str) else "", lexicon), lexicon)
    count = len(msg.tokens)
    spans = _exact_places(msg, index)
    used = [False] * count
    for span in spans:
        used[span.start : span.end] = [True] * (span.end - span.start)
    places: list[PlaceMention] = []
    fuzzy = False
    if _bare(msg) and _plain(msg, spans):
        # A place name alone is searched as before, prefixes and typos included.
        kind = _kind_hint(msg, spans[0]) if spans else None
        places, fuzzy = _resolved(msg, index, " ".join(text.split()), kind)
        if places:
            used = [True] * count
    if not places:
        for i in range(count):
            if not used[i] and msg.hits[i] is None and (hit := msg.typo(i)) is not None:
                msg.hits[i], msg.languages[i] = hit, frozenset({hit.cue.language})
        loose = _loose_places(msg, index, used)
        for span in loose:
            used[span.start : span.end] = [True] * (span.end - span.start)
        places, fuzzy = _mentions(msg, spans + loose), bool(loose)
    scores = _scores(msg, used)
    return Understanding(
        intent=_intent(scores, bool(places)),
        places=tuple(places),
        language=_language(msg, used),
        fuzzy=fuzzy,
        intents=tuple(intent for intent in (*REQUESTS, *SOCIAL) if scores[intent]),
    )


def _bare(msg: _Message) -> bool:
    """A few words, none of them in the lexicon but words like "kəndi" or "район"."""
    return 0 < len(msg.tokens) <= MAX_BARE and all(
        hit is None or hit.cue.kind in (DISTRICT, SETTLEMENT) for hit in msg.hits
    )


def _plain(msg: _Message, spans: list[_Found]) -> bool:
    """Nothing found, or one name as it is, alone but for words like "kəndi" or "село"."""
    if not spans:
        return True
    if len(spans) > 1 or spans[0].stripped:
        return False
    span = spans[0]
    others = [i for i in range(len(msg.tokens)) if not span.start <= i < span.end]
    inside = range(span.start, span.end)
    return all(_kind(msg, i) in (DISTRICT, SETTLEMENT) for i in others) and not any(
        _kind(msg, i) in (DISTRICT, SETTLEMENT) for i in inside
    )


def _resolved(
    msg: _Message, index: SearchIndex, text: str, kind: str | None
) -> tuple[list[PlaceMention], bool]:
    best, candidates = index.resolve(text)
    chosen = _choose_kind([best] if best is not None else candidates, kind)
    words = " ".join(token.text for token in msg.tokens)
    mentions = [PlaceMention(m.key, m.score, m.exact, words) for m in chosen]
    return mentions, any(not m.exact for m in chosen)
