"""Long replies: `bot.views.split.split_html` keeps every part under Telegram's limit and
valid HTML, and a reply that does not fit in one message arrives as several, the keyboard on
the last."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.chat.html_checks import parse_html
from bot.views.split import TELEGRAM_LIMIT, split_html, utf16_len
from db.models import District
from db.session import create_engine, create_sessionmaker
from tests.conftest import RunningBot, buttons

# Any character except lone surrogates (which no Telegram text can hold).
CHARACTERS = st.characters(exclude_categories=("Cs",))
WORDS = st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=12),
    st.sampled_from(["\n", "\n\n", " ", "👨‍👩‍👧", "𝔘", "שלום", "ş̧", "<&>", "&amp;"]),
)
# (tag as opened, its name)
TAGS = [
    ("<b>", "b"),
    ("<i>", "i"),
    ("<u>", "u"),
    ("<s>", "s"),
    ("<code>", "code"),
    ('<a href="https://example.org/?a=1&amp;b=2">', "a"),
    ('<span class="tg-spoiler">', "span"),
    ("<blockquote>", "blockquote"),
]


@st.composite
def html_documents(draw: st.DrawFn, depth: int = 0) -> str:
    """Telegram HTML as the bot writes it: escaped text, nested tags, newlines."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.booleans()):
            opened, name = draw(st.sampled_from(TAGS))
            if name in ("a", "code") and depth:  # Telegram allows no links/code in code
                opened, name = "<b>", "b"
            pieces.append(f"{opened}{draw(html_documents(depth + 1))}</{name}>")
        else:
            words = draw(st.lists(WORDS, min_size=1, max_size=15))
            pieces.append(html.escape("".join(words)))
    return "".join(pieces)


def formatting(source: str) -> list[frozenset[str]]:
    """For each UTF-16 unit of the parsed text, the kinds of formatting that cover it."""
    plain, entities = parse_html(source)
    covered: list[set[str]] = [set() for _ in range(utf16_len(plain))]
    for entity in entities:
        for unit in range(entity["offset"], entity["offset"] + entity["length"]):
            covered[unit].add(entity["type"])
    return [frozenset(kinds) for kinds in covered]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(document=html_documents(), limit=st.integers(150, 400))
def test_parts_fit_parse_and_keep_text_and_formatting(document: str, limit: int):
    # a small limit makes small generated documents need many parts
    parts = split_html(document, limit)
    for part in parts:
        assert utf16_len(part) <= limit, part
        parse_html(part)  # raises like Telegram (400) for broken tags or entities
    assert "".join(parse_html(part)[0] for part in parts) == parse_html(document)[0]
    merged = [units for part in parts for units in formatting(part)]
    assert merged == formatting(document)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(documents=st.lists(html_documents(), min_size=3, max_size=6), copies=st.integers(1, 40))
def test_real_limit_with_long_documents(documents: list[str], copies: int):
    document = "\n\n".join(documents * copies)
    parts = split_html(document)
    assert all(utf16_len(part) <= TELEGRAM_LIMIT for part in parts)
    assert "".join(parse_html(part)[0] for part in parts) == parse_html(document)[0]
    if utf16_len(document) <= TELEGRAM_LIMIT:
        assert parts == [document]


def test_cuts_at_paragraphs_and_never_inside_entities_or_surrogate_pairs():
    paragraph = "Xocavənd &amp; Şuşa 👨‍👩‍👧 " * 20
    document = "\n\n".join(f"<b>{n}</b> {paragraph}" for n in range(40))
    parts = split_html(document, 1000)
    assert len(parts) > 1
    for part in parts[:-1]:
        assert part.endswith("\n\n")  # whole paragraphs
    # an emoji outside the BMP is two UTF-16 units: a part of 1 unit cannot hold it whole
    parts = split_html("a" + "😀" * 3, 2)
    assert parts == ["a", "😀", "😀", "😀"]
    assert split_html("&amp;&amp;&amp;", 6) == ["&amp;", "&amp;", "&amp;"]


def test_open_tags_are_closed_and_reopened():
    document = '<a href="https://example.org">' + "word " * 400 + "</a>"
    parts = split_html(document, 500)
    assert len(parts) >= 4
    for part in parts:
        assert part.startswith('<a href="https://example.org">') and part.endswith("</a>")


@pytest.fixture
async def long_district(database_url: str) -> str:
    """Khojavand with a note far longer than one message, full of HTML metacharacters."""
    note = "\n".join(f"Line {n}: <tag> & “quotes” — Xocavənd 👨‍👩‍👧" for n in range(300))
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        district = await session.scalar(select(District).where(District.slug == "khojavand"))
        district.note = {"az": note, "en": note, "ru": note}
        await session.commit()
    await engine.dispose()
    return note


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # splitting is no DB matter
async def test_a_long_district_view_arrives_in_several_messages(
    long_district: str, running_bot: RunningBot
):
    chat = running_bot.chat(5100, "en")
    await chat.say("Khojavand")
    messages = running_bot.api.bot_messages(5100)
    assert len(messages) >= 3
    assert all(utf16_len(m["text"]) <= TELEGRAM_LIMIT for m in messages)
    assert all(not buttons(m) for m in messages[:-1])
    labels = [b["text"] for b in buttons(messages[-1])]
    assert any("Sos" in label for label in labels) and any("Subscribe" in label for label in labels)
    text = "\n".join(m["text"] for m in messages)
    for n in (0, 150, 299):
        assert f"Line {n}: <tag> & “quotes” — Xocavənd 👨‍👩‍👧" in text
    # pressing a button on the last part edits that message in place, still split if needed
    last = messages[-1]
    reply = await chat.press(last, "Sos")
    assert reply["message_id"] == last["message_id"] and "Sos" in reply["text"]
