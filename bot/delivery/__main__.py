"""`python -m bot.delivery --drain`: one more delivery worker process, configured like
`returnbot run`, that sends until nothing is due and prints how many it sent — e.g. to empty
a large outbox faster next to the running bots (PostgreSQL; see docs/delivery.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot import logs
from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import AppState
from bot.delivery.worker import DeliveryWorker
from bot.i18n import load_translators
from db.session import create_engine, create_sessionmaker


async def drain(settings: Settings) -> int:
    """Run one worker over the outbox until nothing is due; returns how many it sent."""
    application = build_application(settings)
    async with application:
        state: AppState = application.bot_data
        state.translators = load_translators()
        state.engine = create_engine(state.settings.database_url)
        state.db = create_sessionmaker(state.engine)
        try:
            return await DeliveryWorker(application).drain()
        finally:
            await state.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.delivery")
    parser.add_argument("--drain", action="store_true", required=True, help="send until empty")
    parser.parse_args(argv)
    logs.configure_text()
    sent = asyncio.run(drain(load_settings()))
    print(f"drained {sent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
