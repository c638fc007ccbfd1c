"""`returnbot` command line: run, chat, db upgrade, import, export."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

# Each command imports what it needs (the database, the dataset formats, Telegram, the
# handlers) inside its function: `returnbot run` answers sooner, `returnbot health` is quick,
# and `main` holds the garbage collector off while the imports build their objects.

log = logging.getLogger("returnbot")


async def prepare_database(settings: Settings, *, load_bundled: bool = True) -> None:
    """Migrate to head and load the bundled dataset into an empty database."""
    from bot.domain import clock
    from db import dataset as datasets
    from db.migrate import upgrade
    from db.session import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        if not load_bundled:
            return
        async with create_sessionmaker(engine)() as session:
            if await datasets.is_empty(session):
                report = await datasets.apply_dataset(
                    session, datasets.read_dataset(datasets.BUNDLED), timing=clock
                )
                await session.commit()
                log.info("loaded the bundled dataset: %s", ", ".join(report.lines()))
    finally:
        await engine.dispose()


async def import_file(settings: Settings, path: Path, *, dry_run: bool = False) -> list[str]:
    """Validate the whole file (YAML, CSV or XLSX), then compare it with the database and,
    unless `dry_run`, apply it in one transaction. Returns the changes, one per line."""
    from bot.domain import clock
    from db import dataset as datasets
    from db import diff, tabular
    from db.migrate import upgrade
    from db.session import create_engine, create_sessionmaker

    data = tabular.read_file(path)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            changes = diff.diff(await datasets.load_dataset(session), data)
            if dry_run:
                return [*changes.lines(), *changes.summary(), "dry run: nothing was changed"]
            report = await datasets.apply_dataset(session, data, timing=clock)
    finally:
        await engine.dispose()
    return [*changes.lines(), *report.lines()]


async def export_file(settings: Settings, path: Path) -> str:
    """Write the database's dataset to `path` in the format of its extension."""
    from db import dataset as datasets
    from db import diff, tabular
    from db.migrate import upgrade
    from db.session import create_engine, create_sessionmaker

    tabular.file_format(path.name)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            data = await datasets.load_dataset(session)
    finally:
        await engine.dispose()
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(tabular.to_bytes(data, path.name))
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise datasets.DatasetError(f"{path}: {error.strerror or error}") from None
    counts = {entity: len(items) for entity, items in diff.records(data).items()}
    wrote = f"wrote {path}: " + ", ".join(f"{n} {entity}" for entity, n in counts.items())
    if not any(counts.values()):
        wrote += (
            "\n(the database holds no dataset yet: `returnbot run` or `returnbot chat` loads"
            " the bundled one into it, `returnbot import FILE` another)"
        )
    return wrote


def _run(settings: Settings) -> int:
    from telegram import Update

    from bot import logs
    from bot.app import build_application

    logs.configure()  # one JSON line per event (bot.logs)

    if not settings.telegram_bot_token:
        print(
            "returnbot run: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and "
            "set it in the environment or in .env; or try the bot with `returnbot chat`.",
            file=sys.stderr,
        )
        return 2
    if settings.webhook_url and not settings.webhook_secret:
        print(
            "returnbot run: WEBHOOK_URL is set but WEBHOOK_SECRET is not. Set WEBHOOK_SECRET "
            "(1-256 characters A-Z, a-z, 0-9, _ and -): Telegram sends it with every update, "
            "and requests without it are refused.",
            file=sys.stderr,
        )
        return 2
    asyncio.run(prepare_database(settings))
    application = build_application(settings)
    _started_up()
    if settings.webhook_url:
        from bot.web import serve

        asyncio.run(serve(application, settings))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.chat.terminal import run_chat

    asyncio.run(prepare_database(settings))
    admins = settings.admin_ids | {args.user_id} if args.admin else settings.admin_ids
    settings = settings.model_copy(update={"admin_ids": frozenset(admins)})
    _started_up()
    return asyncio.run(run_chat(settings, language=args.lang, user_id=args.user_id))


def _qr(settings: Settings, args: argparse.Namespace) -> int:
    from bot import posters

    asyncio.run(prepare_database(settings))
    try:
        files = asyncio.run(
            posters.make_poster_files(settings, " ".join(args.place), args.out, args.username)
        )
    except posters.PosterError as error:
        print(f"returnbot qr: {error}", file=sys.stderr)
        return 1
    print("\n".join(map(str, files)))
    return 0


def _health(settings: Settings) -> int:
    from bot.web import check_health

    healthy, detail = asyncio.run(check_health(settings))
    print(f"returnbot health: {detail}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def _started_up() -> None:
    """The long-lived objects are made: the garbage collector may run again, and need never
    look at those (nor at start-up's own garbage, a MB or two: `gc.freeze`)."""
    gc.freeze()
    gc.enable()


def parser() -> argparse.ArgumentParser:
    from bot.config import LANGUAGES

    main = argparse.ArgumentParser(
        prog="returnbot", description="Housing and caravan schedules for returning families."
    )
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="migrate, load the dataset if empty, serve Telegram")
    commands.add_parser(
        "health", help="exit 0 when /healthz (webhook mode) or the database (polling) answers"
    )
    chat = commands.add_parser("chat", help="talk to the bot's handlers in the terminal")
    chat.add_argument("--lang", choices=LANGUAGES, default=None, help="your Telegram language")
    chat.add_argument("--user-id", type=int, default=1, help="your Telegram user id")
    chat.add_argument("--admin", action="store_true", help="chat as an admin")
    db = commands.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="migrate the schema to the newest revision"
    )
    importer = commands.add_parser(
        "import", help="load a dataset file (.yaml, .csv or .xlsx), all or nothing"
    )
    importer.add_argument("file", type=Path)
    importer.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    exporter = commands.add_parser(
        "export", help="write the database's dataset to FILE (.yaml, .yml, .csv or .xlsx)"
    )
    exporter.add_argument("file", type=Path)
    qr = commands.add_parser("qr", help="a poster (PNG and SVG) of a place's deep-link QR code")
    qr.add_argument("place", nargs="+", help="a settlement or district, in any spelling")
    qr.add_argument("--out", type=Path, help="the PNG file (default qr-<slug>.png); SVG beside")
    qr.add_argument("--username", help="the bot's username (default: asked with getMe)")
    return main


def main(argv: list[str] | None = None) -> int:
    # Start-up makes some 200 000 objects that live as long as the process (modules, classes,
    # handlers); the garbage collector would walk them over and over while they are being
    # made, for a sixth of start-up's CPU. For `run` and `chat` it is off until `_started_up`.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    from pydantic import ValidationError

    from bot import logs
    from bot.config import load_settings

    args = parser().parse_args(argv)
    logs.configure_text(logging.WARNING if args.command == "chat" else logging.INFO)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(f"returnbot: bad configuration: {error}", file=sys.stderr)
        return 2
    if args.command == "run":
        return _run(settings)
    if args.command == "chat":
        return _chat(settings, args)
    gc.enable()  # the one-off commands may read big files (XLSX): collect as usual
    if args.command == "health":
        return _health(settings)
    if args.command == "qr":
        return _qr(settings, args)
    if args.command == "db":
        asyncio.run(prepare_database(settings, load_bundled=False))
        print("returnbot db upgrade: the schema is at the newest revision")
        return 0
    from db.dataset import DatasetError

    try:
        if args.command == "export":
            lines = [asyncio.run(export_file(settings, args.file))]
        else:
            lines = asyncio.run(import_file(settings, args.file, dry_run=args.dry_run))
    except DatasetError as error:
        print(f"returnbot {args.command}: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
