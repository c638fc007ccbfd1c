"""Callback data is parsed strictly: anything unexpected is rejected."""

import pytest

from bot.views import callbacks as cb


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("s:sos", ("s", "sos")),
        ("d:khojavand", ("d", "khojavand")),
        ("r:", ("r", "")),
        ("lang:ru", ("lang", "ru")),
        ("m:help", ("m", "help")),
        ("cs:qirmizi-bazar", ("cs", "qirmizi-bazar")),
    ],
)
def test_well_formed(data, parsed):
    assert cb.parse(data) == parsed


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "s",
        "s:",
        "s:Sos",
        "s:../etc",
        "s:sos;drop",
        "x:sos",
        "lang:de",
        "m:admin",
        "r:x",
        "s:" + "a" * 70,
        "s:sos\n",
        "S:sos",
        "s: sos",
        "ß:1",
    ],
)
def test_rejected(data):
    assert cb.parse(data) is None


def test_make_refuses_bad_data():
    assert cb.make(cb.SETTLEMENT, "sos") == "s:sos"
    with pytest.raises(ValueError):
        cb.make(cb.SETTLEMENT, "Not A Slug")
