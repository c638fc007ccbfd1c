"""Drawing the 📊 progress chart (`bot.views.chart`) from the bundled dataset: the first chart
of a process (matplotlib imported, its font cache read), then each kind — one settlement
(Sos), a district (Xocavənd, 7 settlements), everything (42) — in az, en and ru, wall and CPU
time per drawing, and the PNG sizes. The baseline is a cache hit (`Places.image` on a key
already drawn), which is what every request after the first costs. In process; no network.

Run: `.venv/bin/python -m bench.chart [--repeat 5] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

from bench.common import median, ms, prepare_database, workdir
from db.snapshot import PlaceData

KINDS = ("settlement", "district", "all")


async def place_data(path: Path) -> PlaceData:
    from db import snapshot
    from db.session import create_engine, create_sessionmaker

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with create_sessionmaker(engine)() as session:
            return await snapshot.load(session)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="progress chart drawing time")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one drawing each, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 1
    with workdir() as folder:
        database = folder / "chart.db"
        prepare_database(database)
        data = asyncio.run(place_data(database))
    from bot.i18n import load_translators
    from bot.places import Places, search_index

    translators = load_translators()
    today = dt.date(2026, 3, 20)
    sos, district = data.settlement("sos"), data.district("khojavand")
    everything = list(data.settlements.values())
    started, cpu = time.perf_counter(), time.process_time()
    from bot.views import chart

    chart.settlement_chart(sos, translators["en"], today)
    print(
        f"first chart of a process (matplotlib imported): {ms(time.perf_counter() - started)} "
        f"wall, {ms(time.process_time() - cpu)} CPU"
    )

    def draw(kind: str, lang: str) -> chart.Chart:
        tr = translators[lang]
        if kind == "settlement":
            return chart.settlement_chart(sos, tr, today)
        if kind == "district":
            return chart.places_chart(district.name(lang), district.settlements, tr, today)
        return chart.places_chart("all", everything, tr, today)

    for kind in KINDS:
        walls, cpus, sizes = [], [], []
        for _ in range(args.repeat):
            for lang in ("az", "en", "ru"):
                started, cpu = time.perf_counter(), time.process_time()
                drawn = draw(kind, lang)
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
                sizes.append(len(drawn.png))
        print(
            f"{kind}: median {ms(median(walls))} wall, {ms(median(cpus))} CPU per drawing; "
            f"{drawn.width}×{drawn.height} px, {max(sizes) // 1024} KB"
        )

    places = Places(data, search_index(data))
    png = draw("settlement", "en").png

    async def cached() -> float:
        await places.image("key", lambda: png)
        started = time.perf_counter()
        for _ in range(1000):
            await places.image("key", lambda: png)
        return (time.perf_counter() - started) / 1000

    print(f"baseline, a cache hit (Places.image): {asyncio.run(cached()) * 1e6:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
