"""Wiring: one ApplicationBuilder chain; post_init opens the database, catalogs and search index."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegram import BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.config import LANGUAGES, Settings
from bot.context import AppState, BotContext
from bot.delivery import SCAN_INTERVAL, DeliveryWorker
from bot.domain.clock import baku_now
from bot.i18n import load_translators
from bot.metrics import MeteredRequest, Metrics, instrument
from bot.places import PlaceCache
from bot.registrar import Registrar
from bot.relay import DraftWatch
from bot.transport.request import AiohttpRequest
from bot.transport.retry import RetryingRequest
from bot.updates import CONCURRENT_UPDATES, PerChatUpdateProcessor
from db import tickets
from db.session import create_engine, create_sessionmaker
from handlers import FEATURES, INTAKE_HANDLERS, PRE_HANDLERS, bot_commands, on_error

log = logging.getLogger(__name__)

MENU_JOB = "command menu"  # the job of `_schedule_menu`
PURGE_INTERVAL = 3600  # seconds between deletions of questions past their retention


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Callable[[], dt.datetime] = baku_now,
) -> Application:
    """The bot, with every handler registered. `request` replaces HTTP (terminal chat)."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token or "0:chat")
        .base_url(settings.telegram_api_url)
        # files (documents admins send) are fetched from …/file/bot<token>/<path>
        .base_file_url(settings.telegram_api_url.removesuffix("/bot") + "/file/bot")
        .context_types(ContextTypes(context=BotContext, bot_data=AppState))
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(_open)
        .post_stop(_stop)
        .post_shutdown(_close)
    )
    # every Bot API call goes through MeteredRequest, which counts sent/failed/throttled;
    # over HTTP (aiohttp: bot.transport.request) 5xx answers and time-outs are retried a
    # bounded number of times (bot.transport.retry). 256 connections, one for getUpdates:
    # PTB's own defaults.
    metrics = Metrics()
    transport = request or RetryingRequest(AiohttpRequest(connection_pool_size=256))
    builder = builder.request(MeteredRequest(transport, metrics))
    builder = builder.get_updates_request(request or AiohttpRequest(connection_pool_size=1))
    application = builder.build()
    state: AppState = application.bot_data
    state.settings = settings
    state.clock = clock
    state.metrics = metrics
    application.add_handlers(PRE_HANDLERS, group=-2)
    application.add_handlers(INTAKE_HANDLERS, group=-1)
    for feature in FEATURES:
        application.add_handlers(feature.HANDLERS)
    application.add_error_handler(on_error)
    instrument(application, metrics)  # handler latency, update counts, one log line each
    return application


async def _open(application: Application) -> None:
    state: AppState = application.bot_data
    state.translators = load_translators()
    state.engine = create_engine(state.settings.database_url)
    state.db = create_sessionmaker(state.engine)
    state.places = PlaceCache(state.db)
    state.registrar = Registrar(state.db)
    state.drafts = DraftWatch(state.db)
    await state.places.reload()
    _schedule_menu(application)
    state.delivery = DeliveryWorker(application)
    state.delivery.start()
    application.job_queue.run_repeating(_scan, interval=SCAN_INTERVAL, first=0, name="scan")
    # once at start-up (a date job runs however late the job queue starts), then hourly
    once = {"misfire_grace_time": None}
    application.job_queue.run_once(_purge, when=0, name="purge", job_kwargs=once)
    application.job_queue.run_repeating(_purge, interval=PURGE_INTERVAL, name="purge")


async def _scan(context: BotContext) -> None:
    """Announce new caravans and write due reminders, whoever created them."""
    await context.state.delivery.scan()


async def _purge(context: BotContext) -> None:
    """Closed questions past `TICKET_RETENTION_DAYS` are deleted (any replica may do it)."""
    state = context.state
    async with state.db() as session:
        gone = await tickets.purge(session, state.clock(), state.settings.ticket_retention_days)
    if gone:
        log.info("deleted %d old questions", gone)


async def _stop(application: Application) -> None:
    """While the bot can still send: finish the delivery in flight, park the rest."""
    delivery = getattr(application.bot_data, "delivery", None)
    if delivery is not None:
        await delivery.stop()


async def _close(application: Application) -> None:
    await _stop(application)
    for service in ("registrar", "places"):
        if (opened := getattr(application.bot_data, service, None)) is not None:
            await opened.close()
    engine = getattr(application.bot_data, "engine", None)
    if engine is not None:
        await engine.dispose()


def _schedule_menu(application: Application) -> None:
    """Register the command menu as the first job once the application runs: its four Bot API
    round trips need not delay answering the updates waiting at start-up."""
    application.job_queue.run_once(
        _register_commands,
        when=0,
        name=MENU_JOB,
        data=asyncio.Event(),  # set when done; `started` waits for it
        job_kwargs={"misfire_grace_time": None},  # however late the job queue starts
    )


async def _register_commands(context: BotContext) -> None:
    """The command menu in each language; a Bot API that refuses it does not stop the bot."""
    state = context.state
    try:
        for language in (None, *LANGUAGES):
            tr = state.translators[language or state.settings.default_language]
            try:
                await context.bot.set_my_commands(
                    bot_commands(tr.gettext),
                    scope=BotCommandScopeDefault(),
                    language_code=language,
                )
            except TelegramError as error:
                log.warning("setMyCommands(%s) refused: %s", language or "default", error)
                return
    finally:
        context.job.data.set()


@asynccontextmanager
async def started(application: Application, *, poll: bool = True) -> AsyncIterator[Application]:
    """Initialise, run post_init and start the application (polling unless `poll` is False),
    as `run_polling` would, but inside the caller's event loop; undo it all on exit. Unlike
    `run_polling`, the block begins only once the command menu is sent (`_schedule_menu`)."""
    await application.initialize()
    try:
        await application.post_init(application)
        menu = application.job_queue.get_jobs_by_name(MENU_JOB)
        await application.start()
        if poll:
            await application.updater.start_polling(
                poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
            )
        for job in menu:
            await job.data.wait()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
                await application.post_stop(application)
    finally:
        await application.shutdown()
        await application.post_shutdown(application)
