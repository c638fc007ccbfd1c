"""Fuzzy place-name search across Azerbaijani, English and Russian spellings: folding any
spelling to a key (`normalize`), then ranking names by tiers (strict, folded exact, prefix,
fuzzy) in a `SearchIndex` built once; pure, no I/O. The folding rules and the tiers are in
docs/search.md."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = ["Entry", "Match", "SearchIndex", "normalize"]

MAX_QUERY_RAW = 256  # characters of raw input looked at; bounds the work on hostile input
MAX_QUERY_KEY = 64  # characters of folded key used for matching
MIN_PREFIX_LEN = 2  # shortest folded query that may match as a prefix
MIN_FUZZY_LEN = 3  # shortest folded query that may match fuzzily
MIN_WORD_PREFIX_LEN = 3  # shortest folded query that may match a later word of a name

STRICT_SCORE = 100.0
EXACT_SCORE = 97.0
MAX_FUZZY_SCORE = 95.0
SEARCH_CUTOFF = 75.0
SUGGEST_CUTOFF = 60.0
RESOLVE_MIN_SCORE = 85.0
RESOLVE_GAP = 10.0

_PREFIX_BASE = 70.0
_PREFIX_SPAN = 25.0
_WORD_PREFIX_PENALTY = 10.0
_MAX_PREFIX_SCAN = 200  # names sharing a prefix examined per query
_FUZZY_LIMIT = 30  # fuzzy candidates pulled from rapidfuzz per query
_RESOLVE_LIMIT = 6  # candidates returned by resolve()
_RESOLVE_POOL = 20  # hits examined by resolve()

# Russian, plus the Azerbaijani Cyrillic letters of pre-1991 spellings (ә ғ ҝ һ ө ү ҹ ј).
_CYRILLIC = {
    **str.maketrans(
        "абвгдеёжзийклмнопрстуфхчшщыэюяәғҝһөүҹјі",
        "abvgdeojziyklmnoprstufxçşşıeuaəğghöücyi",
        "ъь",
    ),
    ord("ц"): "ts",
}
_LATIN_EXTRA = str.maketrans({"ə": "e", "ı": "i", "ß": "ss", "æ": "e", "ø": "o", "đ": "d"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGRAPHS = re.compile(r"dzh|zh|ch|sh|kh|gh")
_DIGRAPH_MAP = {"dzh": "j", "zh": "j", "ch": "j", "sh": "s", "kh": "k", "gh": "k"}
_DJ = re.compile(r"d+j")  # "dj", and "dc"/"dç" once c/ç became j
_CLASSES = str.maketrans("eucqgxhw", "aijkkkkv")
_Y_BEFORE_VOWEL = re.compile(r"y(?=[aio])")
_Y_AFTER_I = re.compile(r"(?<=i)y")
_Y_VOCALIC = re.compile(r"(?<![ao])y")
_DOUBLES = re.compile(r"(.)\1+")
_STRICT_SEPARATORS = re.compile(r"[\W_]+")
# Words that say what kind of place is meant, not which: "Sos kəndi", "село Сос", "Fuzuli city".
# A query is read without them unless it is a name as it stands ("Xocavənd kəndi", a village
# beside Xocavənd town).
GENERIC_WORDS = frozenset(
    [
        "kənd",
        "kəndi",
        "kend",
        "kendi",
        "qəsəbə",
        "qəsəbəsi",
        "qesebe",
        "şəhər",
        "şəhəri",
        "seher",
        "rayon",
        "rayonu",
        "village",
        "town",
        "township",
        "city",
        "district",
        "region",
        "село",
        "деревня",
        "посёлок",
        "поселок",
        "город",
        "район",
    ]
)


def normalize(text: str) -> str:
    """Fold a place name in any of az/en/ru spellings to its matching key (see module doc)."""
    if text.isascii():  # steps 1-3 but for the case are nothing to ASCII: skip them
        text = text.lower()
    else:
        text = text.replace("İ", "i").casefold()
        text = text.replace("дж", "c").translate(_CYRILLIC)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
        text = text.translate(_LATIN_EXTRA)
    text = _NON_ALNUM.sub(" ", text)
    text = _DIGRAPHS.sub(lambda m: _DIGRAPH_MAP[m.group()], text)
    text = _DOUBLES.sub(r"\1", _DJ.sub("j", text.translate(_CLASSES)))
    text = _Y_BEFORE_VOWEL.sub("", text)
    text = _Y_AFTER_I.sub("", text)
    text = _Y_VOCALIC.sub("i", text)
    return _DOUBLES.sub(r"\1", text).strip()


def _strict(text: str) -> str:
    """Light key: case, width and separators folded; letters kept as written."""
    text = unicodedata.normalize("NFKC", text.replace("İ", "i")).casefold()
    return _STRICT_SEPARATORS.sub(" ", text).strip()


def _without_generic_words(text: str) -> str:
    """Drop words like "kəndi" or "село" when a name remains."""
    words = _strict(text).split()
    kept = [word for word in words if word not in GENERIC_WORDS]
    return " ".join(kept) if kept and len(kept) < len(words) else text


@dataclass(frozen=True)
class Entry:
    """A searchable object: opaque ``key`` plus every name it is known by."""

    key: str
    names: tuple[str, ...]
    weight: float = 1.0
    kind: str = ""  # what the entry is (a settlement's kind, "district"…), for callers to filter


@dataclass(frozen=True)
class Match:
    """One search result.

    ``exact`` means the folded query equals a folded name (spaces ignored); ``name`` is the
    original spelling that matched best.
    """

    key: str
    score: float
    exact: bool
    name: str


@dataclass(frozen=True)
class _Posting:
    key: str  # Entry.key
    order: tuple[float, int]  # sort key among equal scores: higher weight, then input order
    name: str
    strict: str


class SearchIndex:
    """Precomputed index over entries; all query methods are pure and never raise on text."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        postings: dict[str, list[_Posting]] = {}
        starts: set[tuple[str, str, bool]] = set()
        self._kinds: dict[str, str] = {}
        for idx, entry in enumerate(entries):
            self._kinds[entry.key] = entry.kind
            for name in entry.names:
                words = normalize(name).split()
                if not words:
                    continue
                compact = "".join(words)
                posting = _Posting(entry.key, (-entry.weight, idx), name, _strict(name))
                postings.setdefault(compact, []).append(posting)
                for pos in range(len(words)):
                    starts.add(("".join(words[pos:]), compact, pos > 0))
        self._postings = postings
        self._keys: list[str] = list(postings)
        ordered = sorted(starts)
        self._prefix_keys: list[str] = [suffix for suffix, _, _ in ordered]
        self._prefix_meta: list[tuple[str, bool]] = [(full, later) for _, full, later in ordered]

    def kind(self, key: str) -> str:
        """The `Entry.kind` of `key` ("" when unknown)."""
        return self._kinds.get(key, "")

    def search(self, query: str, limit: int = 6) -> list[Match]:
        """Plausible matches for ``query``, best first, one per entry key."""
        return self._rank(query, SEARCH_CUTOFF, limit)

    def resolve(self, query: str) -> tuple[Match | None, list[Match]]:
        """Return ``(best, candidates)``; ``best`` is set only when the answer is unambiguous."""
        hits = self._rank(query, SEARCH_CUTOFF, _RESOLVE_POOL)
        if not hits:
            return None, []
        strict = [m for m in hits if m.score >= STRICT_SCORE]
        if len(strict) == 1:
            return strict[0], hits[:_RESOLVE_LIMIT]
        if len(strict) > 1:
            return None, strict
        exact = [m for m in hits if m.exact]
        if len(exact) > 1:
            return None, exact
        top = hits[0]
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if top.score >= RESOLVE_MIN_SCORE and top.score - runner_up >= RESOLVE_GAP:
            return top, hits[:_RESOLVE_LIMIT]
        return None, hits[:_RESOLVE_LIMIT]

    def suggest(self, query: str, limit: int = 3) -> list[Match]:
        """Looser matches for a "did you mean" prompt."""
        return self._rank(query, SUGGEST_CUTOFF, limit)

    def exact(self, query: str, folded: str | None = None) -> list[Match]:
        """The entries with a name whose key is ``query``'s (spaces ignored): the first tier of
        `search` alone, strict spellings first. ``folded`` is that key when the caller has it."""
        if folded is None:
            folded = normalize(query[:MAX_QUERY_RAW])
        postings = self._postings.get(folded.replace(" ", ""))
        if not postings:
            return []
        strict = _strict(query)
        best: dict[str, tuple[float, _Posting]] = {}
        for posting in postings:
            value = STRICT_SCORE if posting.strict == strict else EXACT_SCORE
            if posting.key not in best or value > best[posting.key][0]:
                best[posting.key] = (value, posting)
        ranked = sorted(best.values(), key=lambda hit: (-hit[0], hit[1].order))
        return [Match(p.key, score, True, p.name) for score, p in ranked]

    def similar(self, folded: str, cutoff: float = SEARCH_CUTOFF, limit: int = 6) -> list[Match]:
        """Entries whose key is like the key ``folded`` (`fuzz.ratio` >= ``cutoff``, at most
        ``MAX_FUZZY_SCORE``) and not equal to it: the fuzzy tier of `search` alone, without its
        prefixes, for a word inside a sentence."""
        compact = folded.replace(" ", "")[:MAX_QUERY_KEY]
        if len(compact) < MIN_FUZZY_LEN or limit <= 0:
            return []
        found = process.extract(
            compact, self._keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=_FUZZY_LIMIT
        )
        best: dict[str, tuple[float, _Posting]] = {}
        for full, score, _ in found:
            if full == compact:
                continue
            for posting in self._postings[full]:
                value = min(float(score), MAX_FUZZY_SCORE)
                if posting.key not in best or value > best[posting.key][0]:
                    best[posting.key] = (value, posting)
        ranked = sorted(best.values(), key=lambda hit: (-hit[0], hit[1].order))[:limit]
        return [Match(p.key, round(score, 2), False, p.name) for score, p in ranked]

    def _rank(self, query: str, cutoff: float, limit: int) -> list[Match]:
        """Score plausible entries for ``query``; return the best ``limit``, best first."""
        if not isinstance(query, str) or limit <= 0:
            return []
        raw = query[:MAX_QUERY_RAW]
        compact = normalize(raw)[:MAX_QUERY_KEY].replace(" ", "")
        if compact not in self._postings:
            stripped = _without_generic_words(raw)
            if stripped != raw:
                raw = stripped
                compact = normalize(raw)[:MAX_QUERY_KEY].replace(" ", "")
        if len(compact) < MIN_PREFIX_LEN:
            return []
        strict = _strict(raw)
        best: dict[str, tuple[float, bool, _Posting]] = {}

        def offer(full: str, score: float, exact: bool) -> None:
            for posting in self._postings[full]:
                value = STRICT_SCORE if exact and posting.strict == strict else score
                current = best.get(posting.key)
                if current is None or value > current[0]:
                    best[posting.key] = (value, exact, posting)

        if compact in self._postings:
            offer(compact, EXACT_SCORE, True)

        start = bisect_left(self._prefix_keys, compact)
        stop = min(start + _MAX_PREFIX_SCAN, len(self._prefix_keys))
        for i in range(start, stop):
            if not self._prefix_keys[i].startswith(compact):
                break
            full, later = self._prefix_meta[i]
            if full == compact or (later and len(compact) < MIN_WORD_PREFIX_LEN):
                continue
            score = _PREFIX_BASE + _PREFIX_SPAN * len(compact) / len(full)
            if later:
                score -= _WORD_PREFIX_PENALTY
            offer(full, min(score, MAX_FUZZY_SCORE), False)

        if len(compact) >= MIN_FUZZY_LEN:
            found = process.extract(
                compact, self._keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=_FUZZY_LIMIT
            )
            for full, score, _ in found:
                if full != compact:
                    offer(full, min(float(score), MAX_FUZZY_SCORE), False)

        ranked = sorted(best.values(), key=lambda hit: (-hit[0], hit[2].order))[:limit]
        return [
            Match(key=posting.key, score=round(score, 2), exact=exact, name=posting.name)
            for score, exact, posting in ranked
        ]
