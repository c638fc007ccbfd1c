"""Tests for bot.domain.search: folding, ranking, resolution and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.search import Entry, Match, SearchIndex, normalize

# slug -> (az, en, ru, *aliases); real names of settlements and districts.
SETTLEMENTS: dict[str, tuple[str, ...]] = {
    "sos": ("Sos", "Sos", "Сос"),
    "shushakend": (
        "Şuşakənd",
        "Shushakend",
        "Шушакенд",
        "Şuşikənd",
        "Shushikend",
        "Шушикенд",
        "Shosh",
        "Шош",
    ),
    "qirmizi-bazar": (
        "Qırmızı Bazar",
        "Qirmizi Bazar",
        "Гырмызы Базар",
        "Кырмызы Базар",
        "Красный Базар",
        "Girmizi Bazar",
        "Karmir Shuka",
        "Кармир Шука",
    ),
    "hadrut": ("Hadrut", "Hadrut", "Гадрут"),
    "khojavand": ("Xocavənd", "Khojavand (town)", "Ходжавенд"),
    "khojavand-village": (
        "Xocavənd kəndi",
        "Khojavand (village)",
        "Ходжавенд (село)",
        "Xocavənd",
        "Khojavend village",
        "село Ходжавенд",
    ),
    "khanoba": ("Xanoba", "Khanoba", "Ханоба"),
    "aghali": (
        "Ağalı",
        "Aghali",
        "Агалы",
        "Birinci Ağalı",
        "İkinci Ağalı",
        "Üçüncü Ağalı",
        "Agali",
    ),
    "mammadbayli": ("Məmmədbəyli", "Mammadbayli", "Мамедбейли"),
    "lachin": ("Laçın", "Lachin", "Лачин"),
    "zabukh": ("Zabux", "Zabukh", "Забух"),
    "sus": ("Sus", "Sus", "Сус"),
    "baylik": ("Bəylik", "Baylik", "Бейлик"),
    "talish": ("Talış", "Talish", "Талыш"),
    "fuzuli": ("Füzuli", "Fuzuli", "Физули"),
    "shusha": ("Şuşa", "Shusha", "Шуша"),
    "khojaly": ("Xocalı", "Khojaly", "Ходжалы"),
    "ballija": ("Ballıca", "Ballija", "Баллыджа"),
    "tazabina": ("Təzəbinə", "Tazabina", "Тазабина"),
    "seyidbayli": ("Seyidbəyli", "Seyidbayli", "Сеидбейли"),
    "khanyurdu": ("Xanyurdu", "Khanyurdu", "Ханюрду"),
    "khanabad": ("Xanabad", "Khanabad", "Ханабад"),
    "badara": ("Badara", "Badara", "Бадара"),
    "dashbulag": ("Daşbulaq", "Dashbulag", "Дашбулаг"),
    "jabrayil": ("Cəbrayıl", "Jabrayil", "Джебраил"),
    "horovlu": ("Horovlu", "Horovlu", "Горовлу"),
    "kalbajar": ("Kəlbəcər", "Kalbajar", "Кельбаджар", "Кяльбаджар"),
    "khankendi": ("Xankəndi", "Khankendi", "Ханкенди"),
    "karkijahan": ("Kərkicahan", "Karkijahan", "Керкиджахан"),
    "aghdam": ("Ağdam", "Aghdam", "Агдам"),
    "khidirli": ("Xıdırlı", "Khidirli", "Хыдырлы"),
    "kangarli": ("Kəngərli", "Kangarli", "Кенгерли"),
    "sarijali": ("Sarıcalı", "Sarijali", "Сарыджалы"),
    "sugovushan": ("Suqovuşan", "Sugovushan", "Суговушан"),
    "hasanriz": ("Həsənriz", "Hasanriz", "Гасанриз"),
    "vangli": ("Vəngli", "Vangli", "Венгли"),
    "kolatagh": ("Kolatağ", "Kolatagh", "Колатаг"),
    "ashagi-oratagh": ("Aşağı Oratağ", "Ashagi Oratagh", "Ашагы Оратаг"),
    "chapar": ("Çapar", "Chapar", "Чапар"),
    "heyvali": ("Heyvalı", "Heyvali", "Хейвалы"),
    "childiran": ("Çıldıran", "Childiran", "Чылдыран"),
    "boyuk-taghlar": ("Böyük Tağlar", "Boyuk Taghlar", "Бёюк Таглар"),
}

DISTRICTS: dict[str, tuple[str, ...]] = {
    "khankendi": ("Xankəndi", "Khankendi", "Ханкенди"),
    "aghjabadi": ("Ağcabədi", "Aghjabadi", "Агджабеди"),
    "aghdam": ("Ağdam", "Aghdam", "Агдам"),
    "barda": ("Bərdə", "Barda", "Барда"),
    "fuzuli": ("Füzuli", "Fuzuli", "Физули"),
    "khojaly": ("Xocalı", "Khojaly", "Ходжалы"),
    "khojavand": ("Xocavənd", "Khojavand", "Ходжавенд"),
    "shusha": ("Şuşa", "Shusha", "Шуша"),
    "tartar": ("Tərtər", "Tartar", "Тертер"),
    "jabrayil": ("Cəbrayıl", "Jabrayil", "Джебраил"),
    "kalbajar": ("Kəlbəcər", "Kalbajar", "Кельбаджар"),
    "gubadli": ("Qubadlı", "Gubadli", "Губадлы"),
    "lachin": ("Laçın", "Lachin", "Лачин"),
    "zangilan": ("Zəngilan", "Zangilan", "Зангилан"),
    "aghdara": ("Ağdərə", "Aghdara", "Агдере"),
}

# Districts whose chief town carries the same name: exact queries are ambiguous by design.
TWIN_SLUGS = ("khankendi", "aghdam", "fuzuli", "khojaly", "khojavand", "shusha")
TWIN_SLUGS += ("jabrayil", "kalbajar", "lachin")


def settlement(slug: str) -> str:
    return f"settlement:{slug}"


def district(slug: str) -> str:
    return f"district:{slug}"


def twins(slug: str) -> frozenset[str]:
    return frozenset({settlement(slug), district(slug)})


# Xocavənd: the town, its district, and the village beside the town also called "Xocavənd".
KHOJAVAND_ALL = twins("khojavand") | {settlement("khojavand-village")}


def build_entries() -> list[Entry]:
    entries = [Entry(settlement(slug), names) for slug, names in SETTLEMENTS.items()]
    entries += [Entry(district(slug), names, weight=0.9) for slug, names in DISTRICTS.items()]
    return entries


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(build_entries())


# query -> expected key (resolved) or frozenset of candidate keys (ambiguous).
SPELLINGS: list[tuple[str, str | frozenset[str]]] = [
    # Required.
    ("Sos", settlement("sos")),
    ("Şuşakənd", settlement("shushakend")),
    ("shushakend", settlement("shushakend")),
    ("Шушакенд", settlement("shushakend")),
    ("Shushakand", settlement("shushakend")),
    ("Sos kəndi", settlement("sos")),
    ("село Сос", settlement("sos")),
    ("Şuşakənd kəndi", settlement("shushakend")),
    ("Qırmızı Bazar qəsəbəsi", settlement("qirmizi-bazar")),
    ("qirmizi bazar", settlement("qirmizi-bazar")),
    ("Красный Базар", settlement("qirmizi-bazar")),
    # Azerbaijani Latin with special letters.
    ("Qırmızı Bazar", settlement("qirmizi-bazar")),
    ("Məmmədbəyli", settlement("mammadbayli")),
    ("Təzəbinə", settlement("tazabina")),
    ("Seyidbəyli", settlement("seyidbayli")),
    ("Xıdırlı", settlement("khidirli")),
    ("Kəngərli", settlement("kangarli")),
    ("Sarıcalı", settlement("sarijali")),
    ("Suqovuşan", settlement("sugovushan")),
    ("Həsənriz", settlement("hasanriz")),
    ("Böyük Tağlar", settlement("boyuk-taghlar")),
    ("Ağcabədi", district("aghjabadi")),
    ("Tərtər", district("tartar")),
    ("Qubadlı", district("gubadli")),
    ("Ağdərə", district("aghdara")),
    ("İkinci Ağalı", settlement("aghali")),
    # ASCII without diacritics.
    ("Susakend", settlement("shushakend")),
    ("Mammadbeyli", settlement("mammadbayli")),
    ("Saricali", settlement("sarijali")),
    ("Suqovusan", settlement("sugovushan")),
    ("Boyuk Taglar", settlement("boyuk-taghlar")),
    ("Kerkicahan", settlement("karkijahan")),
    ("Agcabedi", district("aghjabadi")),
    ("Zengilan", district("zangilan")),
    ("Agali", settlement("aghali")),
    ("Qubadli", district("gubadli")),
    # English.
    ("Hadrut", settlement("hadrut")),
    ("Zabukh", settlement("zabukh")),
    ("Talish", settlement("talish")),
    ("Ballija", settlement("ballija")),
    ("Khanyurdu", settlement("khanyurdu")),
    ("Khanabad", settlement("khanabad")),
    ("Horovlu", settlement("horovlu")),
    ("Karkijahan", settlement("karkijahan")),
    ("Sugovushan", settlement("sugovushan")),
    ("Kolatagh", settlement("kolatagh")),
    ("Aghali", settlement("aghali")),
    ("Barda", district("barda")),
    ("Gubadli", district("gubadli")),
    ("Zangilan", district("zangilan")),
    ("Aghdara", district("aghdara")),
    ("Aghjabadi", district("aghjabadi")),
    # Russian Cyrillic.
    ("Сос", settlement("sos")),
    ("Сус", settlement("sus")),
    ("Гадрут", settlement("hadrut")),
    ("Гырмызы Базар", settlement("qirmizi-bazar")),
    ("Кырмызы Базар", settlement("qirmizi-bazar")),
    ("Мамедбейли", settlement("mammadbayli")),
    ("Сеидбейли", settlement("seyidbayli")),
    ("Ханюрду", settlement("khanyurdu")),
    ("Баллыджа", settlement("ballija")),
    ("Бёюк Таглар", settlement("boyuk-taghlar")),
    ("Беюк Таглар", settlement("boyuk-taghlar")),
    ("Гасанриз", settlement("hasanriz")),
    ("Агджабеди", district("aghjabadi")),
    ("Тертер", district("tartar")),
    ("Губадлы", district("gubadli")),
    ("Зангилан", district("zangilan")),
    ("Агдере", district("aghdara")),
    # Case and spacing.
    ("  SOS ", settlement("sos")),
    ("sus", settlement("sus")),
    ("qirmizi  bazar", settlement("qirmizi-bazar")),
    ("qirmizibazar", settlement("qirmizi-bazar")),
    ("QIRMIZI-BAZAR", settlement("qirmizi-bazar")),
    ("böyük   tağlar", settlement("boyuk-taghlar")),
    ("HADRUT.", settlement("hadrut")),
    # Typos and other transliterations.
    ("shushakent", settlement("shushakend")),
    ("Shushakend", settlement("shushakend")),
    ("Kirmizi Bazar", settlement("qirmizi-bazar")),
    ("Krasny Bazar", settlement("qirmizi-bazar")),
    ("Hasanris", settlement("hasanriz")),
    ("Sarydzhaly", settlement("sarijali")),
    ("Khidyrly", settlement("khidirli")),
    ("Kengerli", settlement("kangarli")),
    ("Zangelan", district("zangilan")),
    ("Kubatly", district("gubadli")),
    ("Agdzhabedi", district("aghjabadi")),
    ("Terter", district("tartar")),
    # Aliases and historical names.
    ("Karmir Shuka", settlement("qirmizi-bazar")),
    ("Кармир Шука", settlement("qirmizi-bazar")),
    ("Girmizi Bazar", settlement("qirmizi-bazar")),
    ("Shosh", settlement("shushakend")),
    ("Шош", settlement("shushakend")),
    ("Şuşikənd", settlement("shushakend")),
    ("Shushikend", settlement("shushakend")),
    ("Üçüncü Ağalı", settlement("aghali")),
    ("Birinci Agali", settlement("aghali")),
    ("Кяльбаджар", settlement("kalbajar")),
    # A name that ends in a generic word is taken as it stands.
    ("Xocavənd kəndi", settlement("khojavand-village")),
    ("Khojavend village", settlement("khojavand-village")),
    ("Khojavand village", settlement("khojavand-village")),
    ("село Ходжавенд", settlement("khojavand-village")),
    ("Khojavand town", settlement("khojavand")),
    ("Aşağı Oratağ", settlement("ashagi-oratagh")),
    ("Ashagi Oratagh kəndi", settlement("ashagi-oratagh")),
    ("Çıldıran", settlement("childiran")),
    ("Chyldyran", settlement("childiran")),
    ("Daşbulaq", settlement("dashbulag")),
    ("Дашбулаг", settlement("dashbulag")),
    # Towns that share a name with their district: the caller shows both (Xocavənd: also
    # the village of that name).
    ("Xocavənd", KHOJAVAND_ALL),
    ("Khojavand", district("khojavand")),  # the town is "Khojavand (town)" in English
    ("Ходжавенд", twins("khojavand")),  # the village is "Ходжавенд (село)" in Russian
    ("Khojavend", KHOJAVAND_ALL),
    ("Hocavend", KHOJAVAND_ALL),
    ("Xocavənd şəhəri", KHOJAVAND_ALL),
    ("Füzuli", twins("fuzuli")),
    ("Физули", twins("fuzuli")),
    ("Fizuli", twins("fuzuli")),
    ("Laçın", twins("lachin")),
    ("Lachin", twins("lachin")),
    ("Лачин", twins("lachin")),
    ("Lacin", twins("lachin")),
    ("Şuşa", twins("shusha")),
    ("Шуша", twins("shusha")),
    ("Xocalı", twins("khojaly")),
    ("Khojaly", twins("khojaly")),
    ("Ходжалы", twins("khojaly")),
    ("Ağdam", twins("aghdam")),
    ("Агдам", twins("aghdam")),
    ("Cəbrayıl", twins("jabrayil")),
    ("Джебраил", twins("jabrayil")),
    ("Djabrail", twins("jabrayil")),
    ("Kəlbəcər", twins("kalbajar")),
    ("Кельбаджар", twins("kalbajar")),
    ("Kelbadjar", twins("kalbajar")),
    ("Xankəndi", twins("khankendi")),
    ("Ханкенди", twins("khankendi")),
    ("Khankandi", twins("khankendi")),
]


@pytest.mark.parametrize(("query", "expected"), SPELLINGS)
def test_resolve_spellings(index: SearchIndex, query: str, expected: str | frozenset[str]) -> None:
    best, candidates = index.resolve(query)
    if isinstance(expected, str):
        assert best is not None, candidates
        assert best.key == expected
        assert candidates[0] == best
    else:
        assert best is None
        assert {m.key for m in candidates} == expected


def test_spelling_table_is_large_enough() -> None:
    assert len(SPELLINGS) >= 60


@pytest.mark.parametrize(
    "group",
    [
        ("Şuşakənd", "Susakend", "Shushakend", "Shushakand", "shushakend", "Шушакенд"),
        ("Xocavənd", "Xocavend", "Khojavand", "Ходжавенд", "Xocavand"),
        ("Cəbrayıl", "Jabrayil", "Джебраил", "Cabrayil", "Djabrail", "Dzhabrail"),
        ("Qırmızı Bazar", "Qirmizi Bazar", "Kirmizi Bazar", "Гырмызы Базар", "Кырмызы Базар"),
        ("Kəlbəcər", "Kalbajar", "Кельбаджар", "Кяльбаджар", "Kelbecer"),
        ("Füzuli", "Fuzuli", "Физули"),
        ("Ağdam", "Aghdam", "Агдам", "Agdam"),
        ("Xankəndi", "Khankendi", "Ханкенди", "Xankendi"),
        ("Laçın", "Lachin", "Лачин", "Lacin"),
        ("Zəngilan", "Zangilan", "Зангилан"),
        ("Qubadlı", "Gubadli", "Губадлы", "Qubadli"),
        ("Tərtər", "Tartar", "Тертер", "Terter"),
        ("Ağcabədi", "Aghjabadi", "Агджабеди", "Agdzhabedi"),
        ("Xocalı", "Khojaly", "Ходжалы", "Xocali"),
        ("Hadrut", "Гадрут"),
        ("Seyidbəyli", "Seyidbayli", "Сеидбейли"),
        ("Böyük Tağlar", "Boyuk Taghlar", "Бёюк Таглар"),
        ("Xanyurdu", "Khanyurdu", "Ханюрду"),
        ("İkinci", "ikinci", "IKINCI", "İKİNCİ"),
        ("Sos", "SOS", " sos ", "Сос", "ｓｏｓ"),
        ("Sus", "Сус", "sus"),
    ],
)
def test_normalize_equivalences(group: tuple[str, ...]) -> None:
    keys = {normalize(name) for name in group}
    assert len(keys) == 1, keys
    assert keys.pop()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Sos", "Sus"),
        ("Сос", "Сус"),
        ("Şuşa", "Sus"),
        ("Şuşa", "Şuşakənd"),
        ("Xocalı", "Xocavənd"),
        ("Ağdam", "Ağdərə"),
        ("Xanabad", "Xankəndi"),
        ("Hadrut", "Horovlu"),
    ],
)
def test_normalize_keeps_distinct_names_apart(left: str, right: str) -> None:
    assert normalize(left) != normalize(right)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Qırmızı   Bazar  ", normalize("Qırmızı Bazar")),
        ("Qırmızı-Bazar", normalize("Qırmızı Bazar")),
        ("Qırmızı_Bazar!", normalize("Qırmızı Bazar")),
        ("", ""),
        ("   ", ""),
        ("—!?", ""),
    ],
)
def test_normalize_folds_separators(text: str, expected: str) -> None:
    assert normalize(text) == expected


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_normalize_is_idempotent_and_clean(text: str) -> None:
    key = normalize(text)
    assert normalize(key) == key
    assert key == key.strip()
    assert "  " not in key
    assert set(key) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")


def test_exact_sos_beats_shosh_alias(index: SearchIndex) -> None:
    # "Shosh" (alias of Şuşakənd) folds like "Sos"; the literal spelling decides.
    assert normalize("Shosh") == normalize("Sos")
    best, candidates = index.resolve("Sos")
    assert best is not None and best.key == settlement("sos")
    assert best.exact and best.score == 100
    assert settlement("shushakend") in {m.key for m in candidates}
    best, _ = index.resolve("Shosh")
    assert best is not None and best.key == settlement("shushakend")


def test_twin_candidates_prefer_settlement_by_weight(index: SearchIndex) -> None:
    best, candidates = index.resolve("Lachin")
    assert best is None
    assert [m.key for m in candidates] == [settlement("lachin"), district("lachin")]
    assert all(m.exact for m in candidates)


def test_match_reports_original_spelling(index: SearchIndex) -> None:
    best, _ = index.resolve("Кармир Шука")
    assert best == Match(
        key=settlement("qirmizi-bazar"), score=100.0, exact=True, name="Кармир Шука"
    )
    best, _ = index.resolve("Shushakent")
    assert best is not None
    assert not best.exact
    assert 0 < best.score < 100
    assert best.name in SETTLEMENTS["shushakend"]


def test_prefix_offers_candidates(index: SearchIndex) -> None:
    best, candidates = index.resolve("Shush")
    assert best is None
    keys = {m.key for m in candidates}
    assert {settlement("shushakend"), settlement("shusha")} <= keys


def test_short_prefix_is_ambiguous(index: SearchIndex) -> None:
    best, candidates = index.resolve("Sho")
    assert best is None
    assert {m.key for m in candidates} == {settlement("sos"), settlement("shushakend")}


def test_later_word_prefix(index: SearchIndex) -> None:
    keys = [m.key for m in index.search("Bazar")]
    assert keys == [settlement("qirmizi-bazar")]


@pytest.mark.parametrize("query", ["a", "A", "ş", "я", "1", " a ", "-"])
def test_single_character_returns_nothing(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []
    assert index.resolve(query) == (None, [])
    assert index.suggest(query) == []


def test_two_characters_only_prefix_matches(index: SearchIndex) -> None:
    matches = index.search("ag", limit=10)
    assert matches
    assert all(normalize(m.name).startswith(normalize("ag")) for m in matches)
    assert not any(m.exact for m in matches)


def test_search_deduplicates_and_respects_limit(index: SearchIndex) -> None:
    matches = index.search("Shush", limit=10)
    keys = [m.key for m in matches]
    assert len(keys) == len(set(keys))
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert len(index.search("Shush", limit=2)) == 2
    assert index.search("Shush", limit=0) == []


@pytest.mark.parametrize("query", ["zzzzqqq", "hello world", "Xyzzy plugh", "Tbilisi"])
def test_nothing_found(index: SearchIndex, query: str) -> None:
    best, candidates = index.resolve(query)
    assert best is None
    assert candidates == []
    suggestions = index.suggest(query)
    assert len(suggestions) <= 3
    assert all(isinstance(m, Match) for m in suggestions)


def test_nonsense_suggests_nothing(index: SearchIndex) -> None:
    assert index.suggest("zzzzqqq") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Shushakendly", settlement("shushakend")),
        ("Qrmz Bazar", settlement("qirmizi-bazar")),
        ("Gorovlu", settlement("horovlu")),
    ],
)
def test_suggest_for_rough_spellings(index: SearchIndex, query: str, expected: str) -> None:
    suggestions = index.suggest(query)
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0].key == expected


def test_suggest_is_looser_than_search(index: SearchIndex) -> None:
    query = "Sugovsh"
    assert {m.key for m in index.search(query)} <= {m.key for m in index.suggest(query, 6)}
    assert index.suggest(query)[0].key == settlement("sugovushan")


HOSTILE = [
    "",
    " ",
    " " * 4096,
    "\t\n\r",
    "x" * 4096,
    "Шушакенд" * 512,
    "🏠🚌🇦🇿" * 1000,
    "'; DROP TABLE users;--",
    "Robert'); DROP TABLE settlements;--",
    "مرحبا بالعالم" * 300,
    "\u202eSos\u202c",
    "שלום",
    "\x00\x01\x02",
    "\ud800 broken surrogate",
    "%s %d {0} ${x}",
    "<script>alert(1)</script>",
    "ｓｏｓ",
    "Z̷̢̛a̴l̶g̵o̸" * 200,
    "".join(chr(c) for c in range(32, 4128)),
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises(index: SearchIndex, query: str) -> None:
    for matches in (index.search(query), index.suggest(query)):
        assert isinstance(matches, list)
        assert len(matches) <= 6
    best, candidates = index.resolve(query)
    assert best is None or best in candidates
    assert isinstance(normalize(query), str)


@pytest.mark.parametrize("query", ["", " ", " " * 4096, "🏠" * 4096, "'; DROP TABLE users;--"])
def test_hostile_input_finds_nothing(index: SearchIndex, query: str) -> None:
    assert index.resolve(query) == (None, [])


def test_fullwidth_and_bidi_controls_still_match(index: SearchIndex) -> None:
    for query in ("ｓｏｓ", "\u202eSos\u202c"):
        best, _ = index.resolve(query)
        assert best is not None and best.key == settlement("sos")


@given(text=st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_random_text_never_raises(index: SearchIndex, text: str) -> None:
    index.search(text)
    index.suggest(text)
    best, candidates = index.resolve(text)
    assert best is None or best in candidates


def test_empty_index_and_unusable_names() -> None:
    assert SearchIndex([]).resolve("Sos") == (None, [])
    index = SearchIndex([Entry("settlement:blank", ("", "🏠", "—")), Entry("x:sos", ("Sos",))])
    assert index.search("🏠") == []
    best, _ = index.resolve("sos")
    assert best is not None and best.key == "x:sos"


def test_duplicate_keys_are_merged() -> None:
    index = SearchIndex([Entry("settlement:sos", ("Sos",)), Entry("settlement:sos", ("Сос",))])
    assert [m.key for m in index.search("Sos")] == ["settlement:sos"]
