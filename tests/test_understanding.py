"""bot.domain.understanding: the corpus of real-style messages (tests/data/understanding.yaml),
the examples of the issue, endings, language detection, bare names as the search resolves
them, and hostile input. The corpus table is printed at the end of a run (tests/conftest.py)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.search import bundled_entries
from bot.domain.lexicon import LANGUAGES, Lexicon, default_lexicon, fold
from bot.domain.search import SearchIndex
from bot.domain.understanding import Intent, detect_language, understand
from tests.test_search import HOSTILE, SPELLINGS, build_entries

CORPUS = Path(__file__).parent / "data" / "understanding.yaml"
MIN_ACCURACY = 0.95  # of the whole corpus
MIN_LANGUAGE_ACCURACY = 0.90  # of each language's messages


@dataclass(frozen=True)
class Case:
    section: str  # the language the message is written in
    text: str
    intent: Intent
    places: frozenset[str]
    language: str | None


@cache
def corpus() -> tuple[Case, ...]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return tuple(
        Case(
            section,
            str(item["text"]),
            Intent(item["intent"]),
            frozenset(item.get("places", ())),
            item.get("language", section),
        )
        for section, items in data.items()
        for item in items
    )


@cache
def bundled_index() -> SearchIndex:
    return SearchIndex(bundled_entries())


def outcome(case: Case, index: SearchIndex) -> tuple[Intent, frozenset[str], str | None]:
    found = understand(case.text, index)
    return found.intent, frozenset(m.key for m in found.places), found.language


def wrong(case: Case, index: SearchIndex) -> list[str]:
    """What understand() got wrong about a case: [] when nothing."""
    intent, places, language = outcome(case, index)
    problems = []
    if intent != case.intent:
        problems.append(f"intent {intent} (expected {case.intent})")
    if places != case.places:
        problems.append(f"places {sorted(places)} (expected {sorted(case.places)})")
    if language != case.language:
        problems.append(f"language {language} (expected {case.language})")
    return problems


def summary_lines() -> list[str]:
    """The corpus scored: correct / messages per intent and language, then what went wrong."""
    index = bundled_index()
    total, right, failures = Counter(), Counter(), []
    for case in corpus():
        problems = wrong(case, index)
        for key in ((case.intent, case.section), (case.intent, "all"), ("all", case.section)):
            total[key] += 1
            right[key] += not problems
        total["all", "all"] += 1
        right["all", "all"] += not problems
        if problems:
            failures.append(f"  [{case.section}] {case.text!r}: {'; '.join(problems)}")
    columns = [*LANGUAGES, "all"]
    lines = [f"{'intent':12}" + "".join(f"{name:>14}" for name in columns)]
    for intent in [*Intent, "all"]:
        cells = [
            f"{right[intent, c]}/{total[intent, c]} {right[intent, c] / total[intent, c]:4.0%}"
            if total[intent, c]
            else "-"
            for c in columns
        ]
        lines.append(f"{intent:12}" + "".join(f"{cell:>14}" for cell in cells))
    return lines + (["wrong:", *failures] if failures else [])


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_is_large_and_varied() -> None:
    cases = corpus()
    assert len(cases) >= 330
    sections = Counter(case.section for case in cases)
    assert all(sections[lang] >= 110 for lang in LANGUAGES), sections
    assert {case.intent for case in cases} == set(Intent)
    assert len({case.text for case in cases}) > 0.97 * len(cases)


def test_corpus_places_exist() -> None:
    keys = {entry.key for entry in bundled_entries()}
    for case in corpus():
        assert case.places <= keys, case


def test_corpus_accuracy() -> None:
    index = bundled_index()
    by_section: dict[str, list[bool]] = {lang: [] for lang in LANGUAGES}
    for case in corpus():
        by_section[case.section].append(not wrong(case, index))
    scores = {lang: sum(ok) / len(ok) for lang, ok in by_section.items()}
    overall = sum(sum(ok) for ok in by_section.values()) / len(corpus())
    report = "\n".join(summary_lines())
    assert overall >= MIN_ACCURACY, report
    assert all(score >= MIN_LANGUAGE_ACCURACY for score in scores.values()), report


# --- the issue's examples --------------------------------------------------------------------

S, D = "settlement:", "district:"


@pytest.mark.parametrize(
    ("text", "intent", "places"),
    [
        ("Sos evler ne vaxt hazir olacaq", Intent.HOMES, {S + "sos"}),
        ("şuşakənddə neçə ev hazırdır", Intent.HOMES, {S + "shushakend"}),
        ("Sos karvan", Intent.CARAVANS, {S + "sos"}),
        ("xanabad kocu ne vaxt", Intent.CARAVANS, {S + "khanabad"}),
        ("Kəlbəcərə karvanlar", Intent.CARAVANS, {S + "kalbajar", D + "kalbajar"}),
        (
            "salam. menim adim Eli, sos kendindenem, evimiz ne vaxt hazir olacaq bilmek isteyirdim",
            Intent.HOMES,
            {S + "sos"},
        ),
        ("when will homes in Sos be ready", Intent.HOMES, {S + "sos"}),
        ("next caravan to Sos", Intent.CARAVANS, {S + "sos"}),
        ("tell me about Hadrut", Intent.PLACE, {S + "hadrut"}),
        ("когда будут готовы дома в Сосе", Intent.HOMES, {S + "sos"}),
        ("когда следующий караван в Шушакенд?", Intent.CARAVANS, {S + "shushakend"}),
        ("расскажи про Гадрут", Intent.PLACE, {S + "hadrut"}),
        ("хочу получать новости о Шушакенде", Intent.SUBSCRIBE, {S + "shushakend"}),
        ("salam", Intent.GREETING, set()),
        ("hello", Intent.GREETING, set()),
        ("sag ol", Intent.THANKS, set()),
        ("спасибо", Intent.THANKS, set()),
        ("привет", Intent.GREETING, set()),
        ("shusha kend", Intent.PLACE, {S + "shushakend"}),
        ("Şuşa kənd", Intent.PLACE, {S + "shushakend"}),
        ("qirmizi bazarda evler", Intent.HOMES, {S + "qirmizi-bazar"}),
        # the town, the village beside it (also called Xocavənd) and the district
        (
            "Xocavend",
            Intent.PLACE,
            {S + "khojavand-town", S + "khojavand-village", D + "khojavand"},
        ),
        ("Xocavənd rayonu", Intent.PLACE, {D + "khojavand"}),
        ("Xocavənd şəhəri", Intent.PLACE, {S + "khojavand-town"}),
        ("Xocavənd kəndi", Intent.PLACE, {S + "khojavand-village"}),
        ("село Ходжавенд", Intent.PLACE, {S + "khojavand-village"}),
        ("Ходжавендский район", Intent.PLACE, {D + "khojavand"}),
    ],
)
def test_issue_examples(text: str, intent: Intent, places: set[str]) -> None:
    found = understand(text, bundled_index())
    assert found.intent == intent
    assert {m.key for m in found.places} == places
    assert not found.fuzzy


def test_two_places_are_both_reported() -> None:
    found = understand("Sos or Hadrut?", bundled_index())
    assert [m.key for m in found.places] == [S + "sos", S + "hadrut"]
    assert [m.span for m in found.places] == ["Sos", "Hadrut"]


def test_loose_match_is_flagged() -> None:
    found = understand("when is the next caravan to Shushakent", bundled_index())
    assert found.intent == Intent.CARAVANS
    assert [m.key for m in found.places] == [S + "shushakend"]
    assert found.fuzzy and not found.places[0].exact


def test_greeting_with_a_question_keeps_both_cues() -> None:
    found = understand("salam, Sosa karvan ne vaxtdir?", bundled_index())
    assert found.intent == Intent.CARAVANS
    assert found.intents == (Intent.CARAVANS, Intent.GREETING)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stop sending me news", Intent.UNSUBSCRIBE),  # unsubscribe beats subscribe
        ("the roof of my house leaks", Intent.HUMAN),  # a problem beats homes
        ("notify me about the next caravan", Intent.SUBSCRIBE),  # subscribe beats caravans
        ("caravan calendar", Intent.CALENDAR),  # calendar beats caravans
        ("houses are ready, when do we return", Intent.CARAVANS),  # caravans beat homes
        ("thanks, when are the houses ready", Intent.HOMES),  # a request beats thanks
        ("thanks for your help", Intent.THANKS),
        ("no problem, thanks", Intent.THANKS),  # "no problem" is no problem
        ("hi, help", Intent.HELP),
    ],
)
def test_precedence(text: str, expected: Intent) -> None:
    assert understand(text, bundled_index()).intent == expected


def test_common_words_are_not_places() -> None:
    index = bundled_index()
    for text in ("salam", "hello", "sag ol", "спасибо", "привет", "again and again", "Həsən"):
        assert understand(text, index).places == (), text


# --- endings and spellings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Sosda", S + "sos"),
        ("Sosa", S + "sos"),
        ("sosdadir", S + "sos"),
        ("Şuşakəndə", S + "shushakend"),
        ("Şuşakənddən", S + "shushakend"),
        ("susakendden", S + "shushakend"),
        ("qirmizi bazarda", S + "qirmizi-bazar"),
        ("qirmizibazarda", S + "qirmizi-bazar"),
        ("Hadrutdakı", S + "hadrut"),
        ("Zabuxun", S + "zabukh"),
        ("Horovluya", S + "horovlu"),
        ("Böyük Tağlardan", S + "boyuk-taghlar"),
        ("Sus kəndinə", S + "sus"),  # a name beside an inflected "kənd"
        ("в Сосе", S + "sos"),
        ("о Шушакенде", S + "shushakend"),
        ("из Гадрута", S + "hadrut"),
        ("Забухом", S + "zabukh"),
        ("в Тазабину", S + "tazabina"),
        ("в Гырмызы Базаре", S + "qirmizi-bazar"),
    ],
)
def test_case_endings(text: str, key: str) -> None:
    found = understand(text, bundled_index())
    assert [m.key for m in found.places] == [key]
    assert found.places[0].exact


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ходжавендский район", D + "khojavand"),
        ("в Шушинском районе", D + "shusha"),
        ("Физулинского района", D + "fuzuli"),
        ("Губадлинский", D + "gubadli"),
        ("Кельбаджарский район", D + "kalbajar"),
        ("Джебраильский район", D + "jabrayil"),
        ("Ходжалинский район", D + "khojaly"),
        ("Lachin district", D + "lachin"),
        ("Laçın rayonunda", D + "lachin"),
        ("Laçın şəhəri", S + "lachin"),
        ("город Лачин", S + "lachin"),
        ("Lachin town", S + "lachin"),
    ],
)
def test_district_and_town_words(text: str, key: str) -> None:
    assert [m.key for m in understand(text, bundled_index()).places] == [key]


def test_az_suffix_rules_strip_repeatedly() -> None:
    rules = default_lexicon().morphology["az"]
    word = "kendindenem"
    assert {word[:n] for n in rules.stems(word)} >= {"kendinden", "kendin", "kendi", "kend"}
    assert rules.stems("ev") == (2,)


@pytest.mark.parametrize(
    ("word", "intent"),
    [
        ("caravn", Intent.CARAVANS),
        ("subscibe", Intent.SUBSCRIBE),
        ("notfication", Intent.SUBSCRIBE),
        ("спосибо", Intent.THANKS),
        ("notice", None),  # starts like notif*, then goes on as another word
        ("привезли", None),  # привет* but for its last letter
        ("update", None),  # another form of "updates", not a typo of it
        ("yasayir", None),  # no typos in Azerbaijani: yaşayır is not yaşayış
    ],
)
def test_one_letter_off(word: str, intent: Intent | None) -> None:
    lexicon = default_lexicon()
    hit = lexicon.typo(lexicon.word(word))
    assert (hit and hit.cue.kind) == intent


@pytest.mark.parametrize(
    "text",
    ["Sos", "Sos kəndi", "село Сос", "Qırmızı Bazar qəsəbəsi", "Shosh", "Xocavənd", "Shush", "Sho"],
)
def test_bare_names_resolve_as_the_search_does(text: str) -> None:
    index = bundled_index()
    best, candidates = index.resolve(text)
    expected = [best.key] if best else [m.key for m in candidates]
    assert [m.key for m in understand(text, index).places] == expected


def test_spelling_table_resolves_as_before() -> None:
    """tests/test_search.py's spellings give what `SearchIndex.resolve` gives."""
    index = SearchIndex(build_entries())
    for query, expected in SPELLINGS:
        found = understand(query, index)
        keys = {m.key for m in found.places}
        if isinstance(expected, str):
            assert [m.key for m in found.places] == [expected], query
        else:  # several places share the name; a word like "şəhəri" may choose among them
            assert keys and keys <= expected, query
        assert found.intent == Intent.PLACE, query


# --- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sos evler ne vaxt hazir olacaq", "az"),
        ("şuşakənddə neçə ev hazırdır", "az"),
        ("when will homes in Sos be ready", "en"),
        ("когда следующий караван", "ru"),
        ("Һадрутда евләр нә вахт һазыр олаҹаг", "az"),  # Azerbaijani Cyrillic
        ("salam, when is the next caravan to Sos", "en"),
        ("thank you", "en"),
        ("çox sağ olun", "az"),
        ("Sos", None),
        ("Шушакенд", None),
        ("ok", None),
        ("👍", None),
        ("", None),
        ("salam", None),
        ("evler hazir, homes ready", None),  # as much of each
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_place_names_do_not_make_a_language() -> None:
    found = understand("Böyük Tağlar", bundled_index())
    assert found.language is None
    assert detect_language("Böyük Tağlar") == "az"  # the words alone look Azerbaijani


# --- the lexicon -----------------------------------------------------------------------------


def test_no_lexicon_word_is_a_place_name() -> None:
    """A word of the lexicon that is also a place's name would hide the place."""
    index, lexicon = bundled_index(), default_lexicon()
    clashes = [
        (lang, kind, word)
        for lang, kind, word in lexicon.entries()
        if not word.endswith("*") and len(fold(word)) >= 3 and index.exact(word)
    ]
    assert clashes == []


def test_lexicon_rejects_unknown_intents() -> None:
    data: dict[str, Any] = {
        "intents": {"weather": {"en": ["rain"]}},
        "places": {},
        "stopwords": {},
        "morphology": {},
    }
    with pytest.raises(ValueError):
        Lexicon(data)


# --- hostile input ---------------------------------------------------------------------------

HOSTILE_TEXTS = [
    *HOSTILE,
    "Sos " * 3000,  # 12 kB
    "ev hazir karvan " * 700,
    "\x00\x07\x1b[31mSos\x1b[0m",
    "🏠🚌" * 500,
    "Шушакенд Şuşakənd Shushakend שלום مرحبا 你好 " * 50,
    "a" * 10000,
    "Sos'ların'da''",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_input_is_quick_and_never_raises(text: str) -> None:
    index = bundled_index()
    understand("warm-up", index)
    start = time.thread_time()
    found = understand(text, index)
    assert time.thread_time() - start < 0.05
    assert isinstance(found.intent, Intent)
    assert len(found.places) <= 64
    assert found.language in (None, *LANGUAGES)


@pytest.mark.parametrize("value", [None, 42, b"Sos"])
def test_non_text_is_unknown(value: Any) -> None:
    found = understand(value, bundled_index())  # type: ignore[arg-type]
    assert found.intent == Intent.UNKNOWN and found.places == ()
