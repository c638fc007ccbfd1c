"""The bundled dataset (bot/data/dataset.yaml): shape, SPEC figures, faithfulness to facts."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import yaml

DATASET = Path(__file__).parent.parent / "bot/data/dataset.yaml"
FACTS = Path(__file__).resolve().parents[2] / "shared/data/resettlement-facts.yaml"
# CI lays shared/ beside the clone: there a missing facts file is a failure, not a skip.
IN_CI = os.environ.get("CI", "").lower() in {"true", "1"}

LANGS = ("az", "en", "ru")
REGIONS = ("karabakh", "east-zangezur")

# SPEC.md "Data": economic region -> districts (az / en / ru), plus Ağdərə.
SPEC_DISTRICTS = {
    "karabakh": [
        ("Xankəndi", "Khankendi", "Ханкенди"),
        ("Ağcabədi", "Aghjabadi", "Агджабеди"),
        ("Ağdam", "Aghdam", "Агдам"),
        ("Bərdə", "Barda", "Барда"),
        ("Füzuli", "Fuzuli", "Физули"),
        ("Xocalı", "Khojaly", "Ходжалы"),
        ("Xocavənd", "Khojavand", "Ходжавенд"),
        ("Şuşa", "Shusha", "Шуша"),
        ("Tərtər", "Tartar", "Тертер"),
    ],
    "east-zangezur": [
        ("Cəbrayıl", "Jabrayil", "Джебраил"),
        ("Kəlbəcər", "Kalbajar", "Кельбаджар"),
        ("Qubadlı", "Gubadli", "Губадлы"),
        ("Laçın", "Lachin", "Лачин"),
        ("Zəngilan", "Zangilan", "Зангилан"),
    ],
}
AGHDARA = ("Ağdərə", "Aghdara", "Агдере")

HOUSING_FIGURES = (
    "homes_total",
    "ready",
    "uninhabitable",
    "partly_habitable",
    "built",
    "under_construction",
)
CARAVAN_KEYS = {"date", "families", "people", "first", "total_after", "source", "note", "unsure"}
HOUSING_KEYS = {"as_of", *HOUSING_FIGURES, "due", "source", "note", "unsure"}
TOTAL_KEYS = {"as_of", "families", "people", "settlements", "source", "note", "unsure"}
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def data():
    return yaml.safe_load(DATASET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def facts():
    if not FACTS.exists():
        if IN_CI:
            pytest.fail(f"CI is set but the facts file is missing: {FACTS}")
        pytest.skip(f"facts file not found: {FACTS}")
    return yaml.safe_load(FACTS.read_text(encoding="utf-8"))


def by_az(items):
    return {item["name"]["az"]: item for item in items}


def settlement(data, az):
    return by_az(data["settlements"])[az]


def caravans(data):
    return [c for s in data["settlements"] for c in s["caravans"]]


def walk_notes(node, path="$"):
    """Yield (path, note) for every `note` anywhere in the dataset."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "note":
                yield f"{path}.note", value
            else:
                yield from walk_notes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_notes(value, f"{path}[{i}]")


def numbers(text):
    """Numbers mentioned in a text, independent of language conventions.

    Thousands separators ("140,000", "140 000") are dropped; other runs of digits
    ("51.6" or "51,6", "2025-12-29" or "29.12.2025") count one by one.
    """
    text = re.sub(r"(?<=\d)[ ,\u00a0\u202f](?=\d{3}(?!\d))", "", text)
    return set(re.findall(r"\d+", text))


# --- shape ----------------------------------------------------------------------------


def test_version_and_regions(data):
    assert data["version"] == 1
    assert [r["slug"] for r in data["regions"]] == list(REGIONS)
    for region in data["regions"]:
        assert all(region["name"][lang] for lang in LANGS)


def test_districts(data):
    districts = data["districts"]
    assert len(districts) == 15
    slugs = [d["slug"] for d in districts]
    assert len(set(slugs)) == 15
    for d in districts:
        assert SLUG.fullmatch(d["slug"]), d["slug"]
        assert d["region"] in REGIONS
        assert d["kind"] == ("city" if d["name"]["en"] == "Khankendi" else "district")
    for region, names in SPEC_DISTRICTS.items():
        got = [tuple(d["name"][lang] for lang in LANGS) for d in districts if d["region"] == region]
        expected = [*names, AGHDARA] if region == "karabakh" else names
        assert got == expected, region


def test_aghdara_note_names_its_villages(data):
    aghdara = next(d for d in data["districts"] if d["slug"] == "aghdara")
    note = aghdara["note"]
    assert "Talış" in note["az"] and "Suqovuşan" in note["az"]
    assert "Talish" in note["en"] and "Sugovushan" in note["en"]
    assert "Талыш" in note["ru"] and "Суговушан" in note["ru"]


def test_settlements(data):
    settlements = data["settlements"]
    assert len(settlements) == 42
    slugs = [s["slug"] for s in settlements]
    assert len(set(slugs)) == 42
    district_slugs = {d["slug"] for d in data["districts"]}
    for s in settlements:
        assert SLUG.fullmatch(s["slug"]), s["slug"]
        assert s["district"] in district_slugs, s["slug"]
        assert s["kind"] in {"village", "township", "city"}
        assert all(s["name"][lang] for lang in LANGS)
        assert isinstance(s.get("aliases", []), list)
    assert {
        "sos",
        "shushakend",
        "qirmizi-bazar",
        "khojavand-town",
        "khojavand-village",
        "khanoba",
        "boyuk-taghlar",
    } <= set(slugs)


def test_caravan_count(data):
    assert len(caravans(data)) == 160


def test_every_fact_has_a_source(data):
    for t in data["totals"]:
        assert set(t) <= TOTAL_KEYS, t
        assert t["source"].strip()
        assert isinstance(t.get("unsure", False), bool)
    for s in data["settlements"]:
        if "coordinates" in s:
            c = s["coordinates"]
            assert -90 <= c["lat"] <= 90 and -180 <= c["lon"] <= 180
            assert c["source"].strip(), s["slug"]
        for h in s.get("housing", []):
            assert set(h) <= HOUSING_KEYS, (s["slug"], h)
            assert h["source"].strip(), s["slug"]
            assert isinstance(h["as_of"], dt.date) or re.fullmatch(r"\d{4}-\d{2}", h["as_of"])
        for c in s["caravans"]:
            assert set(c) <= CARAVAN_KEYS, (s["slug"], c)
            assert c["source"].strip(), s["slug"]
            assert c.get("date") is None or isinstance(c["date"], dt.date)


def test_every_note_is_in_three_languages(data):
    notes = list(walk_notes(data))
    assert len(notes) > 20
    for path, note in notes:
        assert set(note) == set(LANGS), path
        for lang in LANGS:
            assert isinstance(note[lang], str) and note[lang].strip(), (path, lang)
        assert not CYRILLIC.search(note["az"]), path
        assert not CYRILLIC.search(note["en"]), path
        assert CYRILLIC.search(note["ru"]), path
        # A translation mentions exactly the numbers of the others.
        assert numbers(note["az"]) == numbers(note["en"]) == numbers(note["ru"]), path


# --- SPEC's published figures ---------------------------------------------------------


@pytest.mark.parametrize(
    ("az", "planned", "ready", "due_2025", "due_2026"),
    [
        ("Şuşakənd", 263, 15, 85, 72),
        ("Qırmızı Bazar", 300, 10, 217, 12),
        ("Sos", 259, 10, 75, 104),
    ],
)
def test_spec_housing(data, az, planned, ready, due_2025, due_2026):
    (housing,) = settlement(data, az)["housing"]
    assert housing["homes_total"] == planned
    assert housing["ready"] == ready
    assert housing["due"] == [
        {"by": dt.date(2025, 12, 31), "homes": due_2025},
        {"by": dt.date(2026, 12, 31), "homes": due_2026},
    ]


@pytest.mark.parametrize(
    ("az", "families", "people"),
    [("Sos", 10, 45), ("Şuşakənd", 15, 59), ("Qırmızı Bazar", 10, 39)],
)
def test_spec_first_caravans(data, az, families, people):
    first = settlement(data, az)["caravans"][0]
    assert first["first"] is True
    assert first["date"] == dt.date(2025, 9, 11)
    assert (first["families"], first["people"]) == (families, people)


def test_sos_first_caravan_notes_the_other_date(data):
    note = settlement(data, "Sos")["caravans"][0]["note"]
    assert "14" in note["en"] and "President" in note["en"]
    assert "14" in note["az"] and "14" in note["ru"]


def test_spec_names(data):
    assert settlement(data, "Şuşakənd")["name"] == {
        "az": "Şuşakənd",
        "en": "Shushakend",
        "ru": "Шушакенд",
    }
    qb = settlement(data, "Qırmızı Bazar")
    assert qb["name"] == {"az": "Qırmızı Bazar", "en": "Qirmizi Bazar", "ru": "Гырмызы Базар"}
    assert {"Кырмызы Базар", "Красный Базар"} <= set(qb["aliases"])
    assert settlement(data, "Sos")["name"]["ru"] == "Сос"
    hadrut = settlement(data, "Hadrut")
    assert hadrut["name"]["ru"] == "Гадрут"
    assert hadrut["district"] == "khojavand"


def test_hadrut_mosque(data):
    note = settlement(data, "Hadrut")["note"]
    for lang in LANGS:
        assert {"25", "210"} <= numbers(note[lang])
    assert "news.az" in note["en"]


def test_latest_total(data):
    latest = max(data["totals"], key=lambda t: t["as_of"])
    assert latest["as_of"] == dt.date(2026, 3, 11)
    assert latest["families"] == 7541
    assert "people" not in latest and "settlements" not in latest
    assert latest["unsure"] is True
    assert {"30", "7541"} <= numbers(latest["note"]["en"])
    counted = max((t for t in data["totals"] if "people" in t), key=lambda t: t["as_of"])
    assert counted["as_of"] == dt.date(2026, 1, 21)
    assert (counted["families"], counted["people"], counted["settlements"]) == (6633, 26513, 37)


def test_settlement_without_figures(data):
    boyuk = settlement(data, "Böyük Tağlar")
    assert boyuk["slug"] == "boyuk-taghlar"
    assert not boyuk.get("housing") and not boyuk.get("caravans")


# --- faithfulness to shared/data/resettlement-facts.yaml ------------------------------


def check_note(ours, theirs, where):
    if theirs is None:
        assert ours is None, f"{where}: note not in facts"
    else:
        assert ours is not None, f"{where}: note missing"
        assert numbers(ours["en"]) == numbers(theirs), where


def test_totals_match_facts(data, facts):
    assert len(data["totals"]) == len(facts["totals"])
    for ours, theirs in zip(data["totals"], facts["totals"], strict=True):
        for key in ("as_of", "families", "people", "settlements", "source"):
            assert ours.get(key) == theirs.get(key), (theirs["as_of"], key)
        assert ours.get("unsure", False) == theirs.get("unsure", False), theirs["as_of"]
        check_note(ours.get("note"), theirs.get("note"), f"total {theirs['as_of']}")


def test_districts_extra_match_facts(data, facts):
    districts = by_az(data["districts"])
    for extra in facts["districts_extra"]:
        ours = districts[extra["name"]["az"]]
        assert ours["name"] == extra["name"]
        check_note(ours.get("note"), extra.get("note"), extra["name"]["az"])


def test_settlements_match_facts(data, facts):
    assert [s["name"]["az"] for s in data["settlements"]] == [
        s["name"]["az"] for s in facts["settlements"]
    ]
    district_en = {d["slug"]: d["name"]["en"] for d in data["districts"]}
    ours_by_az = by_az(data["settlements"])
    for theirs in facts["settlements"]:
        name = theirs["name"]["az"]
        ours = ours_by_az[name]
        assert ours["name"] == theirs["name"], name
        assert district_en[ours["district"]] == theirs["district"], name
        assert ours["kind"] == theirs["kind"], name
        assert ours.get("aliases", []) == theirs.get("aliases", []), name
        assert ours.get("coordinates") == theirs.get("coordinates"), name
        notes = [theirs[k] for k in ("notes", "note", "note_district") if k in theirs]
        check_note(ours.get("note"), notes[0] if notes else None, name)


def test_housing_matches_facts(data, facts):
    ours_by_az = by_az(data["settlements"])
    for theirs_s in facts["settlements"]:
        name = theirs_s["name"]["az"]
        ours_all = ours_by_az[name].get("housing", [])
        theirs_all = theirs_s.get("housing", [])
        assert len(ours_all) == len(theirs_all), name
        for ours, theirs in zip(ours_all, theirs_all, strict=True):
            where = f"{name} housing {theirs['date']}"
            assert ours["as_of"] == theirs["date"], where
            for key in HOUSING_FIGURES:
                assert ours.get(key) == theirs.get(key), (where, key)
            due = [{"by": by, "homes": homes} for by, homes in theirs.get("due", {}).items()]
            assert ours.get("due", []) == due, where
            assert ours["source"] == theirs["source"], where
            assert ours.get("unsure", False) == theirs.get("unsure", False), where
            check_note(ours.get("note"), theirs.get("note"), where)


def test_caravans_match_facts(data, facts):
    ours_by_az = by_az(data["settlements"])
    total = 0
    for theirs_s in facts["settlements"]:
        name = theirs_s["name"]["az"]
        ours_all = ours_by_az[name]["caravans"]
        theirs_all = theirs_s.get("caravans", [])
        assert len(ours_all) == len(theirs_all), name
        for ours, theirs in zip(ours_all, theirs_all, strict=True):
            where = f"{name} caravan {theirs.get('date')}"
            for key in ("date", "families", "people", "total_after", "source"):
                assert ours.get(key) == theirs.get(key), (where, key)
            for flag in ("first", "unsure"):
                assert ours.get(flag, False) == theirs.get(flag, False), (where, flag)
            check_note(ours.get("note"), theirs.get("note"), where)
            total += 1
    assert total == 160
