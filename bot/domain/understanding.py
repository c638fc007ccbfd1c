"""What a message says: the places it names, what its writer wants, the language it is in.

Pure functions over a `SearchIndex` and the lexicon (`bot.domain.lexicon`): the words are
matched against the lexicon with their endings; spans of the other words are looked up as
place names, with case endings, joined or split; the cues then give the intent, and the words
the language. How, and how to extend it: docs/understanding.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.lexicon import (
    DISTRICT,
    LANGUAGES,
    PLACE_WORDS,
    SETTLEMENT_KINDS,
    STRONG,
    Hit,
    Intent,
    Lexicon,
    Word,
    default_lexicon,
    light,
)
from bot.domain.search import STRICT_SCORE, Match, SearchIndex

__all__ = ["Intent", "PlaceMention", "Understanding", "detect_language", "understand"]

MAX_SPAN = 3  # words of one place name
MAX_BARE = 4  # words of a message that may be a place name alone
MIN_PLACE_KEY = 3  # shortest folded key looked up as a place
MIN_LOOSE_KEY = 5  # shortest folded key matched loosely to a place (inside a sentence)
LOOSE_CUTOFF = 82.0  # score a loose place match needs inside a sentence
LOOSE_GAP = 5.0  # lead a loose place match needs over the next place
ASCII_SCORE = 99.0  # a name as written but for its Azerbaijani letters: Susa for Şuşa
STRIPPED_PENALTY = 2.0  # a place found through a case ending ranks after one without
MIN_EVIDENCE = 2  # words of one language needed to call a message written in it

# Precedence (docs/understanding.md): requests, then a named place, then the social rest.
REQUESTS = (
    Intent.UNSUBSCRIBE,
    Intent.HUMAN,
    Intent.SUBSCRIBE,
    Intent.CALENDAR,
    Intent.CARAVANS,
    Intent.HOMES,
)
SOCIAL = (Intent.THANKS, Intent.HELP, Intent.GREETING)  # "thanks for the help" thanks
_INTENTS = tuple(Intent)


@dataclass(frozen=True)
class PlaceMention:
    """A place a message names: its `SearchIndex` key, how well it matched, where it was."""

    key: str  # "settlement:sos", "district:khojavand"
    score: float  # 0..100, as `SearchIndex` scores
    exact: bool  # the words (but for a case ending) fold to one of the place's names
    span: str  # the words it was found in, as written


@dataclass(frozen=True)
class Understanding:
    """What `understand` made of a message."""

    intent: Intent
    places: tuple[PlaceMention, ...]  # best first; several: ask which
    language: str | None  # "az", "en" or "ru" when the message is clearly written in it
    fuzzy: bool  # a place was matched loosely: "did you mean something else?"
    intents: tuple[Intent, ...] = ()  # every request and social cue seen, in precedence order
    bare: bool = False  # a few words the lexicon does not know: a place's name, or an attempt


def understand(text: str, index: SearchIndex, lexicon: Lexicon | None = None) -> Understanding:
    """The places `text` names, what it asks for and its language."""
    text = text if isinstance(text, str) else ""
    message = _Message(text, lexicon or default_lexicon())
    spans = _exact_places(message, index)
    message.use(spans)
    places: list[PlaceMention] = []
    fuzzy, bare = False, message.bare()
    if bare and _plain(message, spans):
        # A place name alone is searched as before, prefixes and typos included; beside words
        # like "kəndinə" or "района", the name's own words.
        name = " ".join(message.written[spans[0].start : spans[0].end]) if spans else text
        places, fuzzy = _resolved(message, index, " ".join(text.split()), None)
        if name != text and not (len(places) == 1 and places[0].exact):
            # the name beside a place word, unless the whole is a name ("село Ходжавенд")
            kind = _kind_hint(message, spans[0]) if spans else None
            places, fuzzy = _resolved(message, index, " ".join(name.split()), kind)
        if places and not spans:
            message.used = [True] * len(message.words)
    if not places:
        message.read_typos()
        loose = _loose_places(message, index)
        message.use(loose)
        places, fuzzy = _mentions(message, index, spans + loose), bool(loose)
    scores = _scores(message)
    return Understanding(
        intent=_intent(scores, bool(places)),
        places=tuple(places),
        language=_language(message),
        fuzzy=fuzzy,
        intents=tuple(intent for intent in (*REQUESTS, *SOCIAL) if scores[intent]),
        bare=bare,
    )


def detect_language(text: str, lexicon: Lexicon | None = None) -> str | None:
    """The language `text` is clearly written in, "az", "en" or "ru": two words of it or more,
    twice as many as of any other; else None (one word, "ok", emoji). Unlike in `understand`,
    place names count here as any word does."""
    return _language(_Message(text if isinstance(text, str) else "", lexicon or default_lexicon()))


# --- the words of one message ------------------------------------------------------------------


class _Message:
    """The words of one message, what the lexicon says of each, which ones name places."""

    def __init__(self, text: str, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        tokens = lexicon.tokens(text)
        self.written = [written for written, _ in tokens]
        self.words: list[Word] = [word for _, word in tokens]
        self.hits: list[Hit | None] = [word.hit for word in self.words]
        self.languages = [word.languages for word in self.words]
        self.phrase = [False] * len(self.words)  # part of a phrase entry
        self.used = [False] * len(self.words)  # part of a place's name
        self._read_phrases()

    def _read_phrases(self) -> None:
        """Phrase entries, longest first, left to right; their words count as one cue."""
        i = 0
        while i < len(self.words):
            best = None
            for patterns, cue in self.words[i].phrases:
                size = len(patterns)
                fits = i + size <= len(self.words) and all(
                    self.lexicon.matches(self.words[i + k], cue.language, patterns[k])
                    for k in range(1, size)
                )
                if fits and (best is None or size > best[0]):
                    best = (size, cue)
            if best is None:
                i += 1
                continue
            size, cue = best
            self.hits[i : i + size] = [Hit(cue, True, size)] + [None] * (size - 1)
            self.languages[i : i + size] = [frozenset({cue.language})] * size
            self.phrase[i : i + size] = [True] * size
            i += size

    def read_typos(self) -> None:
        """Cues for the long words nothing matched that are one letter off an entry."""
        for i, word in enumerate(self.words):
            if not self.used[i] and self.hits[i] is None and not self.phrase[i]:
                hit = self.lexicon.typo(word)
                if hit is not None:
                    self.hits[i], self.languages[i] = hit, frozenset({hit.cue.language})

    def kind(self, i: int) -> str | None:
        hit = self.hits[i]
        return None if hit is None else hit.cue.kind

    def open(self, i: int) -> bool:
        """Word `i` may be (part of) a place name: no entry is exactly this word, or it is a
        word like "kənd" or "район"."""
        hit = self.hits[i]
        if self.phrase[i]:
            return False
        return hit is None or not hit.exact or hit.cue.kind in PLACE_WORDS

    def bare(self) -> bool:
        """A few words, none in the lexicon but words like "kəndi" or "район"."""
        return 0 < len(self.words) <= MAX_BARE and all(
            hit is None or hit.cue.kind in PLACE_WORDS for hit in self.hits
        )

    def use(self, spans: list[_Found]) -> None:
        for span in spans:
            self.used[span.start : span.end] = [True] * (span.end - span.start)


# --- places ------------------------------------------------------------------------------------


@dataclass
class _Found:
    start: int
    end: int  # exclusive
    matches: list[Match]
    stripped: bool  # found through a case ending
    district: bool = False  # a Russian district adjective: Ходжавендский
    fuzzy: bool = False


def _exact_places(message: _Message, index: SearchIndex) -> list[_Found]:
    """Spans of up to MAX_SPAN open words that fold to a place's name, the last word perhaps
    with endings; longest first, left to right. A span does not start with a word like "kənd"
    but may hold one: "Şuşa kənd" is Şuşakənd."""
    found, i, count = [], 0, len(message.words)
    open_ = [message.open(k) for k in range(count)]
    while i < count:
        if not open_[i] or message.kind(i) in PLACE_WORDS:
            i += 1
            continue
        for size in range(min(MAX_SPAN, count - i), 0, -1):
            if all(open_[i : i + size]):
                span = _span(message, index, i, i + size)
                if span is not None:
                    found.append(span)
                    i += size
                    break
        else:
            i += 1
    return found


def _span(message: _Message, index: SearchIndex, start: int, end: int) -> _Found | None:
    """The places words `start`..`end` name, through the best form of the last word: a name as
    written beats one spelt without Azerbaijani letters, which beats one that only folds alike
    ("Сусе" is Sus in the locative before it is "Шуша" folded); an ending costs a little."""
    head = message.words[start : end - 1]
    head_key = "".join(word.key for word in head)
    best = None
    for form in message.words[end - 1].places:
        key = head_key + form.key
        if len(key) < MIN_PLACE_KEY:
            continue
        query = " ".join([*(word.raw for word in head), form.raw])
        matches = index.exact(query, folded=key)
        if not matches:
            continue
        penalty = STRIPPED_PENALTY if form.stripped else 0.0
        scored = [(_tier(match, query) - penalty, match) for match in matches]
        top = max(score for score, _ in scored)
        if best is None or top > best[0]:
            chosen = [match for score, match in scored if score >= top]
            best = (top, _Found(start, end, chosen, form.stripped, form.district))
    return None if best is None else best[1]


def _tier(match: Match, query: str) -> float:
    if match.score >= STRICT_SCORE:
        return STRICT_SCORE
    if light(match.name).replace(" ", "") == light(query).replace(" ", ""):
        return ASCII_SCORE
    return match.score


def _loose_places(message: _Message, index: SearchIndex) -> list[_Found]:
    """Words nothing else explained that are close to a place's name (a typo): two words
    together first, then one."""
    free = [
        not message.used[i] and message.hits[i] is None and not message.phrase[i]
        for i in range(len(message.words))
    ]
    found = []
    for size in (2, 1):
        for i in range(len(message.words) - size + 1):
            if all(free[i : i + size]):
                span = _loose_span(message, index, i, i + size)
                if span is not None:
                    found.append(span)
                    free[i : i + size] = [False] * size
    return found


def _loose_span(message: _Message, index: SearchIndex, start: int, end: int) -> _Found | None:
    head_key = "".join(word.key for word in message.words[start : end - 1])
    best = None
    for form in message.words[end - 1].places:
        key = head_key + form.key
        if len(key) < MIN_LOOSE_KEY:
            continue
        matches = index.similar(key, cutoff=LOOSE_CUTOFF)
        if matches and (best is None or matches[0].score > best[0][0].score):
            best = (matches, form.district)
    if best is None:
        return None
    matches, district = best
    top = matches[0].score
    runner_up = next((m.score for m in matches if m.score < top), 0.0)
    if runner_up > top - LOOSE_GAP:
        return None
    chosen = [m for m in matches if m.score >= top]
    return _Found(start, end, chosen, stripped=False, district=district, fuzzy=True)


def _kind_hint(message: _Message, span: _Found) -> str | None:
    """ "district", "town" or "village" when a word beside the name says so (the word after first:
    "Xocavənd rayonu", "город Лачин"), or the name is a district adjective."""
    if span.district:
        return "district"
    for i in (span.end, span.start - 1):
        if 0 <= i < len(message.words) and message.kind(i) in PLACE_WORDS:
            return message.kind(i)
    return None


def _choose_kind(index: SearchIndex, matches: list[Match], kind: str | None) -> list[Match]:
    """Of places sharing a name (a town, a village, a district), the kind a word asked for:
    "rayon" the district; "şəhər" a town, "kənd" a village, else any settlement."""
    if kind is None:
        return matches
    if kind == DISTRICT:
        return [m for m in matches if m.key.startswith("district:")] or matches
    settlements = [m for m in matches if m.key.startswith("settlement:")]
    kinds = SETTLEMENT_KINDS.get(kind, frozenset())
    return [m for m in settlements if index.kind(m.key) in kinds] or settlements or matches


def _mentions(message: _Message, index: SearchIndex, spans: list[_Found]) -> list[PlaceMention]:
    mentions = []
    for span in spans:
        words = " ".join(message.written[span.start : span.end])
        penalty = STRIPPED_PENALTY if span.stripped else 0.0
        for match in _choose_kind(index, span.matches, _kind_hint(message, span)):
            score = round(match.score - penalty, 2)
            mentions.append(PlaceMention(match.key, score, not span.fuzzy, words))
    best: dict[str, PlaceMention] = {}  # one mention per place, best first, earlier of equals
    for mention in sorted(mentions, key=lambda m: -m.score):
        best.setdefault(mention.key, mention)
    return list(best.values())


def _plain(message: _Message, spans: list[_Found]) -> bool:
    """Nothing found, or one name as it is, alone but for words like "kəndi" or "село"."""
    if not spans:
        return True
    if len(spans) > 1 or spans[0].stripped:
        return False
    span = spans[0]
    inside = range(span.start, span.end)
    return all((message.kind(i) in PLACE_WORDS) != (i in inside) for i in range(len(message.words)))


def _resolved(
    message: _Message, index: SearchIndex, text: str, kind: str | None
) -> tuple[list[PlaceMention], bool]:
    best, candidates = index.resolve(text)
    chosen = _choose_kind(index, [best] if best is not None else candidates, kind)
    words = " ".join(message.written)
    mentions = [PlaceMention(m.key, m.score, m.exact, words) for m in chosen]
    return mentions, any(not m.exact for m in chosen)


# --- intent and language -----------------------------------------------------------------------


def _scores(message: _Message) -> dict[Intent, int]:
    scores = dict.fromkeys(_INTENTS, 0)
    for i, hit in enumerate(message.hits):
        if hit is not None and not message.used[i] and hit.cue.kind in scores:
            scores[hit.cue.kind] += hit.cue.weight  # type: ignore[index]
    if scores[Intent.UNSUBSCRIBE] and scores[Intent.SUBSCRIBE]:
        scores[Intent.UNSUBSCRIBE] += STRONG  # "stop" and "news": stop the news
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


def _language(message: _Message) -> str | None:
    """Each word not in a place's name counts for the lexicons it is in; a word with
    Azerbaijani letters for az, another Cyrillic word for ru."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for i, word in enumerate(message.words):
        if message.used[i]:
            continue
        if word.az_letters:
            counts["az"] += 1
        elif message.languages[i]:
            for lang in message.languages[i]:
                counts[lang] += 1
        elif word.cyrillic:
            counts["ru"] += 1
    (top, most), (_, second) = sorted(counts.items(), key=lambda item: -item[1])[:2]
    return top if most >= MIN_EVIDENCE and most >= 2 * second else None
