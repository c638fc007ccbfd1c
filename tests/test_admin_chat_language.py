"""The admin's day through the terminal chat (`returnbot chat --admin --lang az|ru`, a real
subprocess, a script on stdin, `/press N`): a caravan, housing figures, a broadcast in three
languages, the audit log, a new admin and /id, every reply in the admin's language with no
English and no internal code. The chat runs on the real clock: what the quiet hours add is
checked where it shows, and nothing depends on it."""

from __future__ import annotations

import re

import pytest

from tests.test_admin_language import INTERNAL
from tests.test_cli import run

SCRIPT = "\n".join(
    [
        "/subscribe Sos",  # so that the broadcast has a reader: the admin
        "/addcaravan 2026-12-20 Sos 12 50 source=azertag.az",
        "/press 1",
        "/sethousing Sos planned=259 ready=12 source=azertag.az",
        "/press 1",
        "/broadcast Sos az: Sabah su olmayacaq \\",
        "en: No water tomorrow \\",
        "ru: Завтра не будет воды",
        "/press 1",
        "/audit",
        "/admins add 424242",
        "/press 1",
        "/id",
        "",
    ]
)
EXPECTED = {
    "az": [
        "🚌 Yeni karvan — zəhmət olmasa yoxlayın",
        "[1] ✅ Karvanı qeydə al",
        "karvanı qeydə alındı: Sos (Xocavənd rayonu), 20 dekabr 2026 — 12 ailə, 50 nəfər.",
        "🏠 Yeni mənzil göstəriciləri — zəhmət olmasa yoxlayın",
        "• Hazır evlər: 10 → 12",
        "✅ Mənzil göstəriciləri saxlanıldı: Sos (Xocavənd rayonu)",
        "📢 Sos (Xocavənd rayonu) üçün göndəriş, hər dil üçün ayrıca mətn:",
        "az · Azərbaycanca — 1 alıcı",
        "[1] ✅ 1 alıcıya göndər",
        "📤 №1 göndəriş (Sos (Xocavənd rayonu))",
        "📜 Adminlərin son əməliyyatları",
        "yayım göndərdi · yayım #1",
        "mətnlər: Azərbaycanca: “Sabah su olmayacaq”; English: “No water tomorrow”",
        "digər dillərin oxucularına gedir: English variantı",
        "mənzil göstəricilərini təyin etdi · Sos üzrə mənzil göstəriciləri",
        "karvanı qeydə aldı · karvan #",
        "👤 Yeni admin — zəhmət olmasa yoxlayın",
        "[1] ✅ Admin et",
        "✅ 424242 indi admindir.",
        "Telegram id-niz: 1",
    ],
    "ru": [
        "🚌 Новый караван — проверьте, пожалуйста",
        "[1] ✅ Записать караван",
        "записан: Сос, Ходжавенд (район), 20 декабря 2026 г. — 12 семей, 50 человек.",
        "🏠 Новые данные о жилье — проверьте, пожалуйста",
        "• Готовых домов: 10 → 12",
        "✅ Данные о жилье сохранены: Сос, Ходжавенд (район)",
        "📢 Рассылка: Сос, Ходжавенд (район), версия для каждого языка:",
        "ru · Русский — 1 получатель",
        "[1] ✅ Отправить 1 получателю",
        "📤 Рассылка №1 (Сос, Ходжавенд (район))",
        "📜 Последние действия администраторов",
        "отправил рассылку · рассылка #1",
        "тексты: Azərbaycanca: “Sabah su olmayacaq”; English: “No water tomorrow”",
        "читатели других языков получают: вариант «English»",
        "задал данные о жилье · жильё: Сос",
        "записал караван · караван #",
        "👤 Новый администратор — проверьте, пожалуйста",
        "[1] ✅ Назначить администратором",
        "✅ 424242 теперь администратор.",
        "Ваш id в Telegram: 1",
    ],
}
QUIET = {"az": "🌙 Sakitlik saatları", "ru": "🌙 Тихие часы"}
URGENT = {"az": "🚨 Təcili: indi xəbər ver", "ru": "🚨 Срочно: сообщить сейчас"}
# English a reply must not carry (the terminal's own notes and the en version are dropped)
ENGLISH = re.compile(
    r"\b(?:the|and|will|is|are|was|recorded|saved|Send|Cancel|recipients?|texts|fallback|"
    r"Quiet hours|subscribers|Caravan|Housing|Broadcast|admin is|Your Telegram id)\b"
)


def replies(out: str) -> str:
    """The bot's words: without the terminal's notes (`(edited)`, a refused call) and the
    broadcast's English version, which the admin wrote."""
    lines = [line.removeprefix("(edited) ") for line in out.splitlines()]
    kept = [
        line
        for line in lines
        if not line.startswith("(Bot API refused") and "No water tomorrow" not in line
    ]
    return "\n".join(kept)


@pytest.mark.parametrize("language", ["az", "ru"])
def test_an_admins_day_in_the_terminal_chat_is_in_their_language(tmp_path, language):
    result = run(["chat", "--admin", "--lang", language], tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in EXPECTED[language]:
        assert expected in out, out
    said = replies(out)
    assert not INTERNAL.search(said), said
    assert not ENGLISH.search(said), ENGLISH.search(said)
    assert ". ." not in said and "г.." not in said  # a date's full stop is the sentence's
    if QUIET[language] in out:  # run between 22:00 and 09:00 Baku time
        assert out.count(URGENT[language]) == 2  # the caravan and the housing change


def test_a_message_of_several_lines_is_typed_with_a_backslash(tmp_path):
    script = "/subscribe Sos\n/broadcast Sos az: bir \\\nru: два\n"
    result = run(["chat", "--admin", "--lang", "en"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert "az · Azərbaycanca" in result.stdout and "ru · Русский" in result.stdout
    assert "bir" in result.stdout and "два" in result.stdout


def test_urgent_sends_and_numbered_targets_are_said_in_words():
    from bot.i18n import load_translators
    from bot.views.audit import action_label, target_text
    from db.snapshot import PlaceData

    tr = load_translators()
    empty = PlaceData(version=0, regions=[], totals=[])  # the targets name no place
    assert action_label("housing.urgent", tr["az"]) == (
        "mənzil xəbərini sakitlik saatlarında göndərdi"
    )
    assert action_label("caravan.urgent", tr["ru"]) == "отправил новость о караване в тихие часы"
    assert target_text("caravan #12", empty, {}, tr["ru"]) == "караван #12"
    assert target_text("faq #3", empty, {}, tr["az"]) == "FAQ yazısı #3"


def test_a_russian_date_ending_a_sentence_keeps_one_full_stop():
    import datetime as dt

    from bot.domain.freshness import Freshness
    from bot.i18n import load_translators
    from bot.views.about import newest_line
    from bot.views.timing import subscribers_told

    tr = load_translators()
    fresh = Freshness(dt.date(2026, 3, 20))
    assert newest_line(dt.date(2026, 3, 14), tr["ru"], fresh) == (
        "Самые свежие данные: 14 марта 2026 г."
    )
    assert newest_line(dt.date(2026, 3, 14), tr["en"], fresh) == "Newest data: March 14, 2026."
    night, morning = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 2, 5)
    assert subscribers_told(morning, night, tr["ru"]).endswith("в 09:00, 2 декабря 2026 г.")
    assert subscribers_told(morning, night, tr["az"]).endswith("xəbər veriləcək.")
