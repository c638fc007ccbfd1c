"""The 📊 progress chart (issue 16, item 6): drawn in each language and read back (a PNG of
the size a phone shows well, within Telegram's photo limits, every text in a font that has
its glyphs, compared with a rendering in a font that lacks them), and end to end through the
fake Bot API: /progress for a settlement, a district and everything, the card's button,
ambiguous and unknown places, the cache (no second drawing, no second upload) and a data
change that draws again. The core journey runs on SQLite and PostgreSQL, the rest on SQLite.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update

from bot.chat.api import FakeBotAPI
from bot.chat.files import UploadedFile
from bot.i18n import load_translators
from bot.views import chart
from db import snapshot
from db.models import Caravan
from db.session import create_engine, create_sessionmaker
from tests.conftest import RETURNBOT, TODAY, Clock, RunningBot, button, buttons, serve_bot

ROOT = Path(__file__).resolve().parent.parent
TRANSLATORS = load_translators()
DAY = TODAY.date()


@pytest.fixture(scope="module")
def data(sqlite_template: Path) -> snapshot.PlaceData:
    """The bundled dataset as the bot holds it in memory."""

    async def load() -> snapshot.PlaceData:
        engine = create_engine(f"sqlite+aiosqlite:///{sqlite_template}")
        try:
            async with create_sessionmaker(engine)() as session:
                return await snapshot.load(session)
        finally:
            await engine.dispose()

    return asyncio.run(load())


def read_png(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image


def within_photo_limits(image: Image.Image, png: bytes) -> None:
    width, height = image.size
    assert width == 1080  # sharp on a phone, never scaled down by Telegram
    assert width + height <= 10_000 and max(width, height) <= 20 * min(width, height)
    assert len(png) <= 10 * 1024 * 1024


def missing_glyphs(texts: tuple[str, ...], font: Path) -> set[str]:
    """The characters of `texts` that `font` has no glyph for."""
    from matplotlib.ft2font import FT2Font

    face = FT2Font(str(font))
    return {
        c for text in texts for c in text if not c.isspace() and face.get_char_index(ord(c)) == 0
    }


def ink(image: Image.Image) -> int:
    """How many pixels are not white: a chart is mostly drawn, not empty."""
    grey = image.convert("L")
    return sum(count for level, count in enumerate(grey.histogram()) if level < 250)


# ------------------------------------------------------------------ the pictures themselves


@pytest.mark.parametrize("lang", ["az", "en", "ru"])
def test_a_settlement_chart_is_a_phone_sized_png_whose_text_renders(data, lang):
    tr = TRANSLATORS[lang]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning: here it fails
        drawn = chart.settlement_chart(data.settlement("sos"), tr, DAY, credit="@bot")
    image = read_png(drawn.png)
    assert image.size == (drawn.width, drawn.height) == (1080, 1440)
    within_photo_limits(image, drawn.png)
    assert ink(image) > 50_000
    texts = "\n".join(drawn.texts)
    name = {"az": "Sos", "en": "Sos", "ru": "Сос"}[lang]
    assert name in drawn.texts
    assert tr.gettext("Families returned") in drawn.texts
    assert tr.gettext("Homes") in drawn.texts
    assert "10 / 259" in drawn.texts and "85" in drawn.texts  # ready / planned; families
    assert tr.gettext("Data as of {date}").format(date=tr.date(dt.date(2025, 12, 24))) in texts
    assert "azernews.az/nation/247398.html" in texts  # the housing figures' source
    assert missing_glyphs(drawn.texts, chart.font_path()) == set()
    if lang == "az":
        assert {"ə"} <= set(texts)  # Xocavənd rayonu, ev hazırdır …
    if lang == "ru":
        assert {"д", "ж", "ё"} & set(texts)


def test_every_settlement_and_district_of_the_dataset_draws_cleanly(data):
    """Whatever a place has published (planned only, ready only, no housing, months only),
    its chart draws without a warning and within the photo limits."""
    tr = TRANSLATORS["az"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for settlement in data.settlements.values():
            drawn = chart.settlement_chart(settlement, tr, DAY)
            within_photo_limits(read_png(drawn.png), drawn.png)
        for district in data.districts.values():
            drawn = chart.places_chart(district.name("az"), district.settlements, tr, DAY)
            within_photo_limits(read_png(drawn.png), drawn.png)


@pytest.mark.parametrize("lang", ["az", "en", "ru"])
def test_a_district_and_the_overall_chart_have_one_bar_per_settlement(data, lang):
    tr = TRANSLATORS[lang]
    district = data.district("khojavand")
    drawn = chart.places_chart("Xocavənd", district.settlements, tr, DAY)
    image = read_png(drawn.png)
    within_photo_limits(image, drawn.png)
    names = {s.name(lang) for s in district.settlements if s.housing or s.caravans}
    shown = set(drawn.texts)
    # the town bearing the district's name is told apart by its kind
    assert {n for n in names if n != district.name(lang)} <= shown
    assert any(t.startswith(district.name(lang) + " (") for t in shown)
    assert "10 / 259" in shown and "146" in shown  # Sos's homes; Qırmızı Bazar's families

    everything = list(data.settlements.values())
    overall = chart.places_chart(tr.gettext("Progress in every settlement"), everything, tr, DAY)
    tall = read_png(overall.png)
    within_photo_limits(tall, overall.png)
    assert tall.size[1] > image.size[1] * 2  # 41 settlements with figures against 6
    assert missing_glyphs(overall.texts, chart.font_path()) == set()


def test_a_font_without_the_letters_would_show_boxes_and_is_caught(data):
    """The check above can fail: drawn in a font lacking ə and Cyrillic (matplotlib's own
    Computer Modern), the glyphs are reported missing and the picture differs."""
    fallback = Path(chart.font_path()).with_name("cmss10.ttf")
    assert fallback.exists()
    for lang, letters in (("az", {"ə"}), ("ru", {"о", "д"})):
        tr = TRANSLATORS[lang]
        district = data.district("khojavand")
        good = chart.places_chart(district.name(lang), district.settlements, tr, DAY)
        with pytest.warns(UserWarning, match="missing from font"):
            bad = chart.places_chart(
                district.name(lang), district.settlements, tr, DAY, font=fallback
            )
        assert letters <= missing_glyphs(bad.texts, fallback)
        assert missing_glyphs(good.texts, chart.font_path()) == set()
        assert read_png(bad.png).tobytes() != read_png(good.png).tobytes()


def test_dollar_signs_in_a_source_are_drawn_as_they_are():
    """Text from the data is never read as matplotlib's TeX: "$x^{" would fail to draw."""
    text = "about $x^{$ homes (report.az)"
    drawn = chart._render(lambda figure: figure.text(0.1, 0.5, text), 1.0, None)
    assert text in drawn.texts
    read_png(drawn.png)


def test_drawing_needs_no_writable_home_and_prints_no_warning(tmp_path):
    """Run as root or with a read-only HOME (CI, the container), matplotlib's cache goes to
    a temporary folder of its own, and nothing is printed."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    environment = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR",)}
    scratch = tmp_path / "tmp"  # a machine where no chart was ever drawn
    scratch.mkdir()
    environment |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    environment |= {"TMPDIR": str(scratch)}
    code = (
        "import io, sys\n"
        "from bot.views import chart\n"
        "from bot.i18n import load_translators\n"
        "drawn = chart._render(lambda f: f.text(0.1, 0.5, 'Xocavənd Ходжавенд'), 2, None)\n"
        "assert drawn.png.startswith(b'\\x89PNG')\n"
        "import matplotlib\n"
        "print(matplotlib.get_backend(), matplotlib.get_configdir())\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # matplotlib says so once when it builds its font cache, on a machine's first chart
    said = [line for line in result.stderr.splitlines() if "building the font cache" not in line]
    assert said == []
    backend, folder = result.stdout.split()
    assert backend.lower() == "agg"
    assert folder.startswith(str(scratch))
    assert list(Path(folder).glob("fontlist-*.json"))  # its font cache went there, not HOME


# ------------------------------------------------------------------ through the fake Bot API


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sqlite_bot(sqlite_url: str) -> AsyncIterator[RunningBot]:
    async with serve_bot(FakeBotAPI(), sqlite_url, Clock()) as bot:
        yield bot


async def exchange(bot: RunningBot, act: Any) -> list[Any]:
    """Do `act` (send a text, press a button) and wait until the bot has answered it."""
    api = bot.api
    mark = len(api.calls)
    act()

    def answered() -> bool:
        return any(
            c.method in ("sendPhoto", "sendMessage", "editMessageText")
            or (c.method == "answerCallbackQuery" and c.params.get("text"))
            for c in api.calls[mark:]
        )

    await api.wait_for(answered, timeout=30)
    await api.wait_idle(quiet=0.2, timeout=30)
    return api.calls[mark:]


async def say(bot: RunningBot, text: str, user_id: int = 1001, lang: str = "en") -> list[Any]:
    return await exchange(bot, lambda: bot.api.send_text(text, user_id=user_id, language_code=lang))


async def press(
    bot: RunningBot, message: dict, label: str, user_id: int = 1001, lang: str = "en"
) -> list[Any]:
    data = button(message, label)["callback_data"]
    return await exchange(
        bot, lambda: bot.api.press(message, data, user_id=user_id, language_code=lang)
    )


def photo_of(calls: list[Any]) -> Any:
    photos = [c for c in calls if c.method == "sendPhoto" and c.status == 200]
    assert len(photos) == 1, [(c.method, c.status) for c in calls]
    return photos[0]


def drawings(bot: RunningBot, kind: str) -> float:
    registry = bot.application.bot_data.metrics.registry
    return registry.get_sample_value("returnbot_chart_seconds_count", {"kind": kind}) or 0


async def test_progress_of_a_settlement_in_each_language_and_from_the_card(
    running_bot: RunningBot,
):
    bot = running_bot
    captions = {
        "az": "259 evdən 10 hazırdır (4%)",
        "en": "10 of 259 homes ready (4%)",
        "ru": "готово домов: 10 из 259 (4%)",
    }
    for user_id, lang in ((2001, "az"), (2002, "en"), (2003, "ru")):
        call = photo_of(await say(bot, "/progress Sos", user_id, lang))
        upload = call.params["photo"]
        assert isinstance(upload, UploadedFile)  # drawn and uploaded (multipart)
        image = read_png(upload.data)
        within_photo_limits(image, upload.data)
        assert captions[lang] in call.params["caption"]
        sent = call.result
        assert sent["photo"][-1]["width"] == 1080 and sent["photo"][-1]["height"] == 1440
        assert [b["text"] for b in buttons(sent)] == ["⬅️ " + {"ru": "Сос"}.get(lang, "Sos")]
    assert drawings(bot, "settlement") == 3  # one per language

    # the card's 📊 button: the same chart, already drawn, sent again by its file_id
    card = await bot.chat(2002, "en").say("Sos")
    calls = await press(bot, card, "📊", 2002, "en")
    again = photo_of(calls)
    assert again.params["photo"] == call_file_id(bot, 2002)
    assert drawings(bot, "settlement") == 3
    # ⬅️ under the photo opens the card as a new message (a photo has no text to edit)
    back = await press(bot, again.result, "⬅️", 2002, "en")
    assert any(c.method == "sendMessage" and "Sos" in c.params["text"] for c in back)
    assert all(c.status == 200 for c in back)


def call_file_id(bot: RunningBot, user_id: int) -> str:
    """The file_id of the first photo the bot sent to `user_id`."""
    first = next(c for c in bot.api.calls_to("sendPhoto") if c.params.get("chat_id") == user_id)
    return first.result["photo"][-1]["file_id"]


async def test_a_data_change_draws_the_chart_again(sqlite_bot: RunningBot):
    bot = sqlite_bot
    first = photo_of(await say(bot, "/progress Sos"))
    again = photo_of(await say(bot, "/progress Sos"))
    assert isinstance(again.params["photo"], str)  # by file_id: no upload, no drawing
    assert drawings(bot, "settlement") == 1
    async with bot.application.bot_data.db() as session:
        sos = (await bot.application.bot_data.places.get()).data.settlement("sos")
        latest = max(sos.caravans, key=lambda c: c.date)
        await session.execute(update(Caravan).where(Caravan.id == latest.id).values(families=40))
        await session.commit()
    changed = photo_of(await say(bot, "/progress Sos"))
    assert isinstance(changed.params["photo"], UploadedFile)
    assert drawings(bot, "settlement") == 2
    assert "101 families returned" in changed.params["caption"]  # 85 - 24 + 40
    assert changed.params["photo"].data != first.params["photo"].data


async def test_a_district_everything_ambiguous_unknown_and_empty_places(sqlite_bot: RunningBot):
    bot = sqlite_bot
    district = photo_of(await say(bot, "/progress Ağdərə", 3001, "az"))
    assert "Ağdərə rayonu" in district.params["caption"]
    district_size = read_png(district.params["photo"].data).size

    overall = photo_of(await say(bot, "/progress", 3001, "az"))
    image = read_png(overall.params["photo"].data)
    within_photo_limits(image, overall.params["photo"].data)
    assert image.size[1] > district_size[1] * 2
    assert "Bütün yaşayış məntəqələrində irəliləyiş" in overall.params["caption"]
    assert drawings(bot, "district") == 1 and drawings(bot, "all") == 1

    # a town and its district of the same name: buttons, each giving that place's chart
    calls = await say(bot, "/progress Xocavənd", 3002, "ru")
    choice = next(c for c in calls if c.method == "sendMessage").result
    labels = [b["text"] for b in buttons(choice)]
    assert any(label.startswith("📊 Ходжавенд") for label in labels), labels
    chosen = photo_of(await press(bot, choice, "📊 Ходжавенд (район)", 3002, "ru"))
    assert "Ходжавенд (район)" in chosen.params["caption"]

    unknown = await say(bot, "/progress zzzz", 3003, "en")
    reply = next(c for c in unknown if c.method == "sendMessage")
    assert "could not find" in reply.params["text"]
    assert not any(c.method == "sendPhoto" for c in unknown)

    empty = await say(bot, "/progress Qubadlı", 3003, "en")
    text = next(c for c in empty if c.method == "sendMessage").params["text"]
    assert "no chart to draw" in text
    assert not any(c.method == "sendPhoto" for c in empty)


async def test_the_buttons_of_a_district_and_of_the_district_list(sqlite_bot: RunningBot):
    bot = sqlite_bot
    chat = bot.chat(4001, "en")
    regions = await chat.say("/settlements")
    overall = photo_of(await press(bot, regions, "📊", 4001, "en"))
    assert "Progress in every settlement" in overall.params["caption"]
    district = await chat.say("/settlements Aghdara")
    chart_call = photo_of(await press(bot, district, "📊", 4001, "en"))
    assert "Aghdara" in chart_call.params["caption"]
    # a settlement with nothing published has no 📊 on its card
    card = await chat.say("Böyük Tağlar")
    assert not any("📊" in b["text"] for b in buttons(card))


def test_the_terminal_chat_saves_the_photo_and_prints_its_path(tmp_path):
    result = subprocess.run(
        [RETURNBOT, "chat", "--lang", "en"],
        input="/progress Sos\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("🖼 "))
    path = Path(line.removeprefix("🖼 ").split(" (")[0])
    assert "(1080×1440," in line
    assert read_png(path.read_bytes()).size == (1080, 1440)
    assert "10 of 259 homes ready" in result.stdout
    shutil.rmtree(path.parent)
