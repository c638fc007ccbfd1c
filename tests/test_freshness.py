"""Figures said to be as old as they are, families returned, /about, and no English in az/ru.

Views are rendered from the bundled dataset (loaded once from the test database template) with
the real catalogs at a chosen day; a few journeys go through the fake Bot API on a `Clock`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.chat.api import FakeBotAPI
from bot.domain.freshness import Freshness, Staleness
from bot.domain.returns import returned
from bot.i18n import load_translators
from bot.views.about import about_text
from bot.views.caravans import caravans_view
from bot.views.common import district_name, localized, source_text
from bot.views.districts import district_view
from bot.views.settlement import settlement_card
from db import snapshot
from db.session import create_engine, create_sessionmaker
from db.snapshot import PlaceData
from tests.conftest import Clock, RunningBot, serve_bot

FACTS = Path(__file__).resolve().parents[2] / "shared/data/resettlement-facts.yaml"
DATASET = Path(__file__).resolve().parents[1] / "bot/data/dataset.yaml"
SOS_AS_OF = dt.date(2025, 9, 14)  # Sos's housing report
NEWEST = dt.date(2026, 3, 14)  # the newest date of the bundled data (the Xanoba caravan)
TRANSLATORS = load_translators()


@pytest.fixture(scope="module")
def data(sqlite_template: Path) -> PlaceData:
    async def read() -> PlaceData:
        engine = create_engine(f"sqlite+aiosqlite:///{sqlite_template}")
        try:
            async with create_sessionmaker(engine)() as session:
                return await snapshot.load(session)
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture(scope="module")
def facts() -> dict:
    if not FACTS.exists():
        pytest.skip(f"facts file not found: {FACTS}")
    return yaml.safe_load(FACTS.read_text(encoding="utf-8"))


def card(data: PlaceData, slug: str, lang: str, today: dt.date, stale_after: int = 90) -> str:
    return settlement_card(data.settlement(slug), TRANSLATORS[lang], Freshness(today, stale_after))


# --- freshness ---------------------------------------------------------------------------


def test_staleness_follows_the_threshold_and_a_year():
    fresh = Freshness(dt.date(2026, 1, 1))
    assert fresh.staleness(dt.date(2025, 10, 3)) is Staleness.FRESH  # 90 days
    assert fresh.staleness(dt.date(2025, 10, 2)) is Staleness.STALE  # 91 days
    assert fresh.staleness(dt.date(2024, 12, 31)) is Staleness.VERY_STALE  # 366 days
    assert Freshness(dt.date(2026, 1, 1), 400).staleness(dt.date(2025, 1, 1)) is Staleness.FRESH
    assert fresh.age(dt.date(2026, 2, 1)) == dt.timedelta(0)  # a date ahead is not "old"


@pytest.mark.parametrize(
    ("lang", "stale", "very_stale"),
    [
        (
            "en",
            "⚠️ These figures are 4 months old and may have changed.",
            "⚠️ These figures are 15 months old: they have probably changed.",
        ),
        (
            "az",
            "⚠️ Bu rəqəmlər 4 ay əvvələ aiddir və dəyişmiş ola bilər.",
            "⚠️ Bu rəqəmlər 15 ay əvvələ aiddir: çox güman ki, dəyişib.",
        ),
        (
            "ru",
            "⚠️ Этим данным 4 месяца, они могли измениться.",
            "⚠️ Этим данным 15 месяцев: скорее всего, они изменились.",
        ),
    ],
)
def test_the_card_says_how_old_its_figures_are(data, lang, stale, very_stale):
    fresh_card = card(data, "sos", lang, dt.date(2025, 10, 1))
    assert "⚠️" not in fresh_card  # 17 days old, nothing disputed yet
    stale_card = card(data, "sos", lang, dt.date(2026, 1, 14))  # 122 days
    assert stale in stale_card
    assert very_stale not in stale_card
    very_stale_card = card(data, "sos", lang, dt.date(2026, 12, 1))  # 443 days
    assert very_stale in very_stale_card
    assert stale not in very_stale_card
    # a longer threshold (STALE_AFTER_DAYS) keeps 122 days fresh
    assert stale not in card(data, "sos", lang, dt.date(2026, 1, 14), stale_after=200)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "No upcoming caravan to Sos known as of March 14, 2026."),
        ("az", "14 mart 2026 tarixinə olan məlumata görə Sos üçün yaxın vaxtda karvan yoxdur."),
        ("ru", "Сос: по данным на 14 марта 2026 г. ближайших караванов не известно."),
    ],
)
def test_no_upcoming_caravan_is_known_as_of_the_newest_data(data, lang, expected):
    today = dt.date(2026, 12, 1)
    tr = TRANSLATORS[lang]
    assert data.newest_date(today) == NEWEST
    upcoming, caravans = data.upcoming_or_recent_caravans(today, limit=12, settlement_slug="sos")
    text = caravans_view(caravans, upcoming, data.settlement("sos").name(lang), tr, NEWEST)
    assert expected in text


def test_the_newest_data_date_ignores_caravans_announced_for_later(data):
    assert data.newest_date(dt.date(2025, 12, 1)) < dt.date(2025, 12, 1)
    assert data.newest_date(dt.date(2026, 12, 1)) == max(
        [*(t.as_of for t in data.totals), *(c.date for c in data.caravans if c.date)]
    )


# --- families returned ----------------------------------------------------------------------


def facts_families(facts: dict) -> dict[str, int]:
    """Settlement (az name) → families of its caravans in the facts file, added up."""
    return {
        s["name"]["az"]: sum(c["families"] for c in s.get("caravans", []) if "families" in c)
        for s in facts["settlements"]
        if any("families" in c for c in s.get("caravans", []))
    }


def test_every_card_adds_up_the_caravans_of_the_facts(data, facts):
    today = dt.date(2026, 12, 1)  # after every caravan
    by_az = {s.name_az: s for s in data.settlements.values()}
    sums = facts_families(facts)
    assert sums["Sos"] == 85 and sums["Qırmızı Bazar"] == 146
    for name, families in sums.items():
        text = card(data, by_az[name].slug, "en", today)
        assert f"Returned so far: <b>{families:,} families" in text, name
    for settlement in data.settlements.values():
        if settlement.name_az not in sums:
            assert "Returned so far" not in card(data, settlement.slug, "en", today)


def test_the_reported_running_total_is_shown_beside_the_sum_and_never_averaged(data):
    today = dt.date(2026, 12, 1)
    sos = card(data, "sos", "en", today)
    assert "Latest running total a source reported: 85 families, 360 people" in sos
    assert "sources differ" not in sos  # the caravans add up to the reported 85
    shusha = card(data, "shushakend", "en", today)
    # 15 + 19 + 14 caravans by 11 December 2025, while the source reported 93 by then
    assert "Returned so far: <b>68 families, 248 people</b>" in shusha
    assert "Latest running total a source reported: 93 families, 341 people" in shusha
    assert "The caravans listed up to that date add up to 48 families: sources differ." in shusha
    assert "1 caravan without published figures is not counted." in shusha


def test_caravans_not_yet_arrived_are_not_counted(data):
    sos = data.settlement("sos")
    assert returned(sos.caravans, dt.date(2025, 11, 19)).families == 20  # 10 + 10; not 19 Nov
    assert returned(sos.caravans, dt.date(2025, 9, 11)) is None


def test_the_district_view_and_about_add_up_their_settlements(data, facts):
    today = dt.date(2026, 12, 1)
    sums: dict[str, int] = defaultdict(int)
    for name, families in facts_families(facts).items():
        settlement = next(s for s in data.settlements.values() if s.name_az == name)
        sums[settlement.district.slug] += families
    tr = TRANSLATORS["en"]
    about = about_text(data.regions, data.totals, NEWEST, tr, Freshness(today))
    for slug, families in sums.items():
        text, _markup = district_view(data.district(slug), tr, today)
        assert f"Returned so far: <b>{families:,} families" in text, slug
        name = district_name(data.district(slug), tr)
        assert f"• {name}: {families:,} families" in about, slug
    assert f"All districts: {sum(sums.values()):,} families" in about


# --- /about ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "newest"),
    [
        ("en", "Newest data: March 14, 2026, 9 months ago"),
        ("az", "Ən son məlumat: 14 mart 2026, 9 ay əvvəl"),
        ("ru", "Самые свежие данные: 14 марта 2026 г., 9 месяцев назад"),
    ],
)
def test_about_names_the_newest_data_and_every_total_with_its_source(data, lang, newest):
    tr = TRANSLATORS[lang]
    text = about_text(data.regions, data.totals, NEWEST, tr, Freshness(dt.date(2026, 12, 1)))
    assert newest in text
    for total in data.totals:
        assert source_text(total.source, tr) in text  # the source's own remarks translated
        assert tr.date(total.as_of) in text
    unsure = [t for t in data.totals if t.unsure]
    assert unsure and text.count("⚠️ " + tr.gettext("Sources differ on these figures.")) == len(
        unsure
    )


async def test_about_is_not_help(running_bot: RunningBot):
    words = {"en": "About this bot", "az": "Bot haqqında", "ru": "О боте"}
    for n, (lang, word) in enumerate(words.items()):
        chat = running_bot.chat(7100 + n, lang)
        about = (await chat.say("/about"))["text"]
        help_text = (await chat.say("/help"))["text"]
        assert about != help_text
        assert word in about and word not in help_text
        assert "kavkaz-uzel.eu/articles/421505" in about  # the latest total's source
        assert "en.trend.az/azerbaijan/society/3874890.html" in about  # the oldest one's


# --- through the bot, on a clock ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "typed", "stale"),
    [
        ("en", "/schedule Sos", "These figures are 4 months old and may have changed."),
        ("az", "/schedule Sos", "Bu rəqəmlər 4 ay əvvələ aiddir və dəyişmiş ola bilər."),
        ("ru", "/schedule Сос", "Этим данным 4 месяца, они могли измениться."),
    ],
)
async def test_the_card_ages_with_the_clock(database_url, lang, typed, stale):
    clock = Clock()
    async with serve_bot(FakeBotAPI(), database_url, clock) as bot:
        chat = bot.chat(7200, lang)
        clock.set(2025, 10, 1, 12)
        assert "⚠️" not in (await chat.say(typed))["text"]
        clock.set(2026, 1, 14, 12)
        assert stale in (await chat.say(typed))["text"]
        clock.set(2026, 12, 1, 12)
        assert "15" in (await chat.say(typed))["text"].split("⚠️")[1]


async def test_stale_after_days_is_a_setting(database_url):
    clock = Clock()
    clock.set(2026, 1, 14, 12)
    async with serve_bot(FakeBotAPI(), database_url, clock, STALE_AFTER_DAYS="200") as bot:
        text = (await bot.chat(7300, "en").say("/schedule Sos"))["text"]
    assert "months old" not in text
    assert "Figures as of September 14, 2025" in text


async def test_caravans_say_as_of_when_nothing_is_upcoming(running_bot: RunningBot):
    reply = await running_bot.chat(7400, "en").say("/caravans")
    assert "No upcoming caravan known as of March 14, 2026." in reply["text"]


# --- no English in az and ru ----------------------------------------------------------------


def english_notes() -> list[str]:
    """Every English note of the bundled dataset."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            note = node.get("note")
            if isinstance(note, dict) and note.get("en"):
                found.append(note["en"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(DATASET.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_no_english_note_reaches_az_or_ru_readers(data, lang):
    notes = english_notes()
    assert len(notes) > 40
    tr = TRANSLATORS[lang]
    texts = []
    for today in (dt.date(2025, 11, 1), dt.date(2026, 12, 1)):
        fresh = Freshness(today)
        for slug in data.settlements:
            texts.append(card(data, slug, lang, today))
            upcoming, caravans = data.upcoming_or_recent_caravans(
                today, limit=50, settlement_slug=slug
            )
            place = data.settlement(slug).name(lang)
            texts.append(caravans_view(caravans, upcoming, place, tr, NEWEST))
        for district in data.districts.values():
            texts.append(district_view(district, tr, today)[0])
        texts.append(about_text(data.regions, data.totals, NEWEST, tr, fresh))
    everything = "\n".join(texts)
    english_shown = [n for n in notes if n in everything]
    assert english_shown == []
    for english in ("Returned so far", "These figures are", "Newest data", "running total"):
        assert english not in everything
    # the remarks the dataset's citations make in English (a source's own title may stay)
    for remark in ("citing", "date approximate", "repeated in", "State Committee", "Minister"):
        assert remark not in everything, remark


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "only in English"),
        ("az", "Mənbənin qeydi hələ bu dilə tərcümə olunmayıb."),
        ("ru", "У источника есть примечание, ещё не переведённое на этот язык."),
    ],
)
def test_a_note_without_the_readers_language_is_mentioned_not_shown(lang, expected):
    assert localized({"en": "only in English"}, TRANSLATORS[lang]) == expected
    assert localized(None, TRANSLATORS[lang]) is None
