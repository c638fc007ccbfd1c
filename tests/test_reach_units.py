"""Reach (issue 6) as plain functions: distance ranking, .ics content, QR posters."""

from __future__ import annotations

import datetime as dt
import io

import icalendar
import pytest
import zxingcpp
from PIL import Image

from bot.domain import geo
from bot.domain.clock import BAKU
from bot.i18n import load_translators
from bot.views import calendar as calendar_file
from bot.views import poster as qr
from db.models import Caravan, District, Region, Settlement

TR = load_translators()

# Published coordinates of the bundled dataset (decimal degrees)
SHUSHAKEND = (39.7719, 46.7856)
SHUSHA = (39.7602, 46.7504)
KHANKENDI = (39.8153, 46.7519)
LACHIN = (39.6408, 46.5469)
KALBAJAR = (40.1067, 46.0383)


# ------------------------------------------------------------------ distances


def test_distance_matches_known_great_circle_lengths():
    assert geo.distance_km(*SHUSHAKEND, *SHUSHAKEND) == 0
    # one degree of latitude along a meridian: 111.2 km on the mean sphere
    assert geo.distance_km(40, 46, 41, 46) == pytest.approx(111.19, abs=0.01)
    # a quarter of the equator: pi/2 * R
    assert geo.distance_km(0, 0, 0, 90) == pytest.approx(10007.56, abs=0.01)
    # a degree of longitude shrinks with the cosine of the latitude: half of it at 60°
    assert geo.distance_km(60, 10, 60, 11) == pytest.approx(111.19 / 2, abs=0.1)
    # symmetric
    assert geo.distance_km(*LACHIN, *KALBAJAR) == geo.distance_km(*KALBAJAR, *LACHIN)


def test_nearest_ranks_by_distance_and_limits():
    places = [
        ("kalbajar", *KALBAJAR),
        ("lachin", *LACHIN),
        ("shusha", *SHUSHA),
        ("khankendi", *KHANKENDI),
        ("shushakend", *SHUSHAKEND),
    ]
    ranked = geo.nearest(places, 39.77, 46.78, limit=3)
    assert [n.place for n in ranked] == ["shushakend", "shusha", "khankendi"]
    assert ranked[0].km < ranked[1].km < ranked[2].km
    from_lachin = geo.nearest(places, *LACHIN, limit=10)
    assert from_lachin[0].place == "lachin" and from_lachin[0].km == 0
    assert from_lachin[-1].place == "kalbajar"
    assert len(from_lachin) == 5
    assert geo.nearest([], 0, 0) == [] and geo.nearest(places, 0, 0, limit=0) == []


def test_nearest_keeps_input_order_for_equal_distances():
    ranked = geo.nearest([("b", 1.0, 1.0), ("a", 1.0, 1.0), ("c", 0.5, 0.5)], 0, 0)
    assert [n.place for n in ranked] == ["c", "b", "a"]


def test_distances_are_formatted_for_the_readers_locale():
    assert geo.format_km(3.44, "en") == "3.4 km"
    assert geo.format_km(3.44, "ru") == "3,4 км"
    assert geo.format_km(12.6, "az") == "13 km"
    assert geo.format_km(1234.2, "en") == "1,234 km"


# ------------------------------------------------------------------ calendar files


def _sos() -> Settlement:
    region = Region(slug="karabakh", name_az="Qarabağ", name_en="Karabakh", name_ru="Карабах")
    district = District(
        slug="khojavand",
        kind="district",
        region=region,
        name_az="Xocavənd",
        name_en="Khojavand",
        name_ru="Ходжавенд",
    )
    return Settlement(
        slug="sos", district=district, name_az="Sos", name_en="Sos", name_ru="Сос", kind="village"
    )


def _caravan(settlement: Settlement, id_: int, day: dt.date | None, families: int | None):
    return Caravan(
        id=id_,
        settlement=settlement,
        date=day,
        families=families,
        people=None if families is None else families * 4,
        source="report.az (2025-12-16)",
        note=None,
        unsure=False,
    )


def test_ics_has_one_all_day_event_per_dated_caravan_with_stable_uids():
    sos = _sos()
    caravans = [
        _caravan(sos, 7, dt.date(2026, 12, 20), 1),
        _caravan(sos, 8, dt.date(2026, 12, 21), 22),
        _caravan(sos, 9, None, 5),  # no date: nothing to put in a calendar
    ]
    now = dt.datetime(2026, 12, 1, 9, 30, tzinfo=BAKU)
    data = calendar_file.caravans_calendar(
        caravans, TR["ru"], name="Караваны: Сос", now=now, link="https://t.me/b?start=s_sos"
    )
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Baku"
    assert str(calendar["X-WR-CALNAME"]) == "Караваны: Сос"
    found = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in found] == [
        "Караван: Сос — 1 семья",
        "Караван: Сос — 22 семьи",
    ]
    assert [str(e["UID"]) for e in found] == ["caravan-7@returnbot", "caravan-8@returnbot"]
    first = found[0]
    assert first.decoded("DTSTART") == dt.date(2026, 12, 20)
    assert first.decoded("DTEND") == dt.date(2026, 12, 21)  # exclusive end: one whole day
    assert first.decoded("DTSTAMP") == dt.datetime(2026, 12, 1, 5, 30, tzinfo=dt.UTC)
    description = str(first["DESCRIPTION"])
    assert "1 семья, 4 человека" in description
    assert "Источник: report.az (2025-12-16)" in description
    assert "https://t.me/b?start=s_sos" in description
    assert str(first["LOCATION"]) == "Сос, Ходжавенд (район)"
    assert "GEO" not in first  # Sos has no published coordinates


def test_ics_titles_use_each_languages_plurals_and_unknown_counts():
    sos = _sos()
    sos.latitude, sos.longitude = 39.6, 46.9
    caravans = [
        _caravan(sos, 1, dt.date(2026, 1, 5), 5),
        _caravan(sos, 2, dt.date(2026, 1, 6), None),
    ]
    now = dt.datetime(2026, 1, 1, tzinfo=BAKU)
    titles = {}
    for lang in ("az", "en", "ru"):
        calendar = icalendar.Calendar.from_ical(
            calendar_file.caravans_calendar(caravans, TR[lang], name="x", now=now)
        )
        titles[lang] = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert all("GEO" in e for e in calendar.walk("VEVENT"))
    assert titles["en"] == ["Caravan to Sos: 5 families", "Caravan to Sos"]
    assert titles["az"] == ["Sos üçün karvan: 5 ailə", "Sos üçün karvan"]
    assert titles["ru"] == ["Караван: Сос — 5 семей", "Караван: Сос"]


# ------------------------------------------------------------------ QR posters


def test_deep_links_for_settlements_and_districts():
    assert qr.deep_link("@my_bot", "s", "sos") == "https://t.me/my_bot?start=s_sos"
    assert qr.deep_link("my_bot", "d", "khojavand") == "https://t.me/my_bot?start=d_khojavand"
    with pytest.raises(ValueError):
        qr.deep_link("my_bot", "x", "sos")


def test_caption_names_each_spelling_once():
    assert qr.caption_lines(["Sos", "Sos", "Сос"]) == ["Sos", "Сос"]
    assert qr.caption_lines(["Şuşakənd", "Shushakend", "Шушакенд"]) == [
        "Şuşakənd",
        "Shushakend",
        "Шушакенд",
    ]


def test_png_poster_decodes_to_the_link_and_has_a_caption():
    link = "https://t.me/returnbot_bot?start=s_qirmizi-bazar"
    png = qr.poster_png(link, ["Qırmızı Bazar", "Qirmizi Bazar", "Гырмызы Базар"])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [link]
    gray = image.convert("L")
    caption = gray.crop((0, gray.width, gray.width, gray.height))
    assert caption.getextrema()[0] < 64  # text under the code
    plain = qr.poster_png(link, [])
    assert Image.open(io.BytesIO(plain)).height < image.height  # three lines fewer


def test_the_poster_font_has_azerbaijani_and_cyrillic_letters():
    path = qr.font_path()
    assert path is not None, "DejaVu Sans (Debian fonts-dejavu-core) is not installed"
    from PIL import ImageFont

    font = ImageFont.truetype(str(path), 40)
    tofu = font.getmask("\uffff").getbbox()  # the .notdef box a missing glyph gets
    for letter in "əğşıöüçƏĞŞжыщ":
        assert font.getmask(letter).getbbox() != tofu, letter


def test_svg_poster_holds_the_code_and_the_names_as_text():
    link = "https://t.me/b?start=d_khojavand"
    svg = qr.poster_svg(link, ["Xocavənd", "Khojavand", "Ходжавенд"])
    assert svg.startswith("<?xml") and 'class="segno"' in svg
    assert ">Xocavənd</text>" in svg and ">Ходжавенд</text>" in svg and f">{link}</text>" in svg
    assert "<script" not in svg
    hostile = qr.poster_svg(link, ["<b>&"])
    assert ">&lt;b&gt;&amp;</text>" in hostile
