"""Which FAQ entry a new question is about (`match`): the question's words, stop-words left
out, stemmed and folded as place search folds names (`bot.domain.lexicon`, `search`), against
each language version of each entry's question; pure, no I/O. Scoring and the threshold:
docs/contacts-faq.md."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.domain.lexicon import default_lexicon, fold, light

__all__ = [
    "Candidate",
    "Draft",
    "DraftError",
    "Terms",
    "match",
    "parse_addfaq",
    "place_words",
    "score",
    "terms",
]

MIN_SCORE = 0.5  # the least score that offers an entry
MIN_SHARED = 2  # content words a question must share with an entry of two words or more
ENTRY_WEIGHT = 0.7  # how much the entry's words found counts against the question's words used
MIN_STEM = 3  # shorter stems match only a word that is that stem as a whole (ev ~ evin)
MAX_QUESTION = 300  # characters of one language's question
MAX_ANSWER = 3000  # characters of one language's answer
LANGUAGES = ("az", "en", "ru")
# `az?` opens a question in Azerbaijani, `az:` an answer (the same for en, ru), at the start
# of a line or after a space, before a space or the end
_PART = re.compile(r"(?:^|(?<=\s))(az|en|ru)([?:])(?=\s|$)", re.IGNORECASE)

# Function words: pronouns, articles, prepositions and particles, question words, auxiliaries
# and politeness. Words that carry the subject (family, list, house, school) are not here.
STOP_WORDS = {
    "az": """mən məni mənə mənim məndə biz bizi bizə bizim bizdə siz sizi sizə sizin sizdə sən
        səni sənə sənin o onu ona onun onda onlar onları onlara bu bunu buna bunun bunlar şu
        nə nəyə nəyi niyə necə neçə hansı hara harada haradan haraya harda kim kimə kimi nədir
        nədi kimdir haqqında barədə və ya yaxud amma ancaq ki də da ilə üçün qədər mi mı mu mü
        var yox yoxdur deyil olar olur olub oldu olacaq edim edək edir edirəm etmək et elə belə
        lazım gərək xahiş zəhmət lütfən salam sağ ol təşəkkür hə bəli xeyr bir artıq hələ indi
        çox az daha ən hər heç sual cavab deyin bilmək bilirəm bilmirəm istəyirəm vaxt zaman
        etməli neyləyim neyləyək""",
    "en": """i me my mine we us our ours you your yours he him his she her it its they them
        their a an the this that these those is are was were be been being am do does did
        have has had will would shall should can could may might must what when where which
        who whom why how there here and or but if then so as at by for from in into of on to
        with about any some not no yes please pls kindly hello hi thanks thank tell know want
        need get got ask question answer just also still yet now""",
    "ru": """я меня мне мой моя моё мое мои мы нас нам наш наша наше наши вы вас вам ваш ваша
        ваши ты тебя тебе он она оно они их его ее её ему ей это этот эта эти то тот та те в во
        на о об про с со к ко у из от до по за для при над под и а но или ли же бы не ни да нет
        когда где куда откуда как какой какая какие каков что чего чем кто кого кому почему
        зачем сколько есть был была были быть будет будут можно нужно надо пожалуйста скажите
        подскажите здравствуйте привет спасибо вопрос ответ уже ещё еще сейчас очень делать
        сделать""",
}


@dataclass(frozen=True)
class Word:
    """A content word: its folded whole form and stems (see `_related`)."""

    whole: str
    forms: frozenset[str]  # the whole form and stems of MIN_STEM letters or more
    roots: frozenset[str]  # every stem, however short


Terms = tuple[Word, ...]


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry as matching sees it: its question in each language it has, and the place
    it is for: a key such as `settlement:sos` or `district:khojavand`, or None (everywhere)."""

    id: int
    questions: Mapping[str, str]
    place: str | None = None


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(light(word) for words in STOP_WORDS.values() for word in words.split())


def place_words(names: Iterable[str]) -> frozenset[str]:
    """The folded words of place names, for `match` to leave out: the place a question is
    about is told by `place`, not by its words."""
    lexicon = default_lexicon()
    return frozenset(word.key for name in names for _written, word in lexicon.tokens(name))


@lru_cache(maxsize=4096)
def terms(text: str, ignore: frozenset[str] = frozenset()) -> Terms:
    """The content words of `text`, each once, in order: stop-words (also inflected: haradadır
    is harada) and the words of `ignore` (folded, see `place_words`) are left out."""
    lexicon, stop = default_lexicon(), _stop_words()
    found: dict[str, Word] = {}
    for _written, word in lexicon.tokens(text):
        lengths = {n for stems in word.stems.values() for n in stems} | {len(word.light)}
        stems = {word.light[:n] for n in lengths if n >= MIN_STEM or n == len(word.light)}
        if len(word.light) < 2 or not stop.isdisjoint(stems):
            continue
        whole = fold(word.light)
        keys = {n: fold(word.light[:n]) for n in lengths if n >= 2}
        forms = frozenset(k for n, k in keys.items() if n >= MIN_STEM or n == len(word.light))
        if not whole or whole in found or not ignore.isdisjoint(forms | {word.key}):
            continue
        found[whole] = Word(whole, forms | {whole}, frozenset(keys.values()) | {whole})
    return tuple(found.values())


def _related(a: Word, b: Word) -> bool:
    """One word in two forms: a stem in common (kəndinə, kənddə), or one word a short stem of
    the other (ev, evin)."""
    return not a.forms.isdisjoint(b.forms) or a.whole in b.roots or b.whole in a.roots


def score(question: Terms, entry: Terms) -> float:
    """How well a question fits an entry's question, 0 to 1: mostly the share of the entry's
    words the question has, partly the share of the question's words the entry has; 0 when
    they share fewer than MIN_SHARED words (or, for an entry of one word, the question is
    more than that word)."""
    if not question or not entry:
        return 0.0
    found = sum(any(_related(e, q) for q in question) for e in entry)
    used = sum(any(_related(q, e) for e in entry) for q in question)
    if found < min(MIN_SHARED, len(entry)) or (len(entry) == 1 and len(question) > 1):
        return 0.0
    return ENTRY_WEIGHT * found / len(entry) + (1 - ENTRY_WEIGHT) * used / len(question)


def _specificity(candidate: Candidate) -> int:
    if candidate.place is None:
        return 0
    return 2 if candidate.place.startswith("settlement:") else 1


def match(
    question_text: str,
    entries: Sequence[Candidate],
    place: Iterable[str] = (),
    ignore: frozenset[str] = frozenset(),
) -> Candidate | None:
    """The entry that best answers `question_text`, or None when none scores MIN_SCORE.
    `place`: the keys of the place the question concerns (a settlement's and its district's);
    an entry for a place is considered only there, a general entry everywhere. `ignore`: words
    left out of both (`place_words`). On a tie the entry for the narrower place wins, then the
    newer one."""
    keys, question = set(place), terms(question_text, ignore)
    best: tuple[float, int, int] | None = None
    chosen = None
    for candidate in entries:
        if candidate.place is not None and candidate.place not in keys:
            continue
        fit = max(
            (score(question, terms(text, ignore)) for text in candidate.questions.values()),
            default=0,
        )
        rank = (fit, _specificity(candidate), candidate.id)
        if fit >= MIN_SCORE and (best is None or rank > best):
            best, chosen = rank, candidate
    return chosen


class DraftError(ValueError):
    """`code`: usage, question, answer, twice or long (worded by the handler)."""

    def __init__(self, code: str, lang: str | None = None) -> None:
        super().__init__(code)
        self.code, self.lang = code, lang


@dataclass(frozen=True)
class Draft:
    """An FAQ entry as an admin wrote it in `/addfaq`."""

    place: str  # the text before the first part: a place's name, `all`, or empty
    question: dict[str, str] = field(default_factory=dict)
    answer: dict[str, str] = field(default_factory=dict)


def parse_addfaq(text: str, admin_lang: str, replied: str | None = None) -> Draft:
    """`[place] az? <question> az: <answer> en? … en: … ru? … ru: …` (parts on lines of their
    own or on one line; an answer may run over several lines). As a reply, the replied-to
    text is the answer in the admin's language, unless an answer in it is given too."""
    pieces = _PART.split(text)
    place = " ".join(pieces[0].split())
    question: dict[str, str] = {}
    answer: dict[str, str] = {}
    for lang, mark, body in zip(pieces[1::3], pieces[2::3], pieces[3::3], strict=True):
        lang = lang.lower()
        into, limit = (question, MAX_QUESTION) if mark == "?" else (answer, MAX_ANSWER)
        body = body.strip() if mark == ":" else " ".join(body.split())
        if lang in into:
            raise DraftError("twice", lang)
        if len(body) > limit:
            raise DraftError("long", lang)
        if body:
            into[lang] = body
    if replied and replied.strip() and admin_lang not in answer:
        if len(replied.strip()) > MAX_ANSWER:
            raise DraftError("long", admin_lang)
        answer[admin_lang] = replied.strip()
    if not question and not answer:
        raise DraftError("usage")
    if not question:
        raise DraftError("question")
    if not answer:
        raise DraftError("answer")
    return Draft(place, question, answer)
