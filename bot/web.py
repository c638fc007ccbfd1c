"""The webhook server of `returnbot run` with WEBHOOK_URL set (aiohttp): the update
endpoint (secret checked, each update id handled once across replicas), `GET /healthz` and
`GET /metrics`; it only feeds `application.update_queue`. Details: docs/webhook.md."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from prometheus_client import CONTENT_TYPE_LATEST
from telegram import Update
from telegram.ext import Application

from bot.app import started
from bot.config import Settings
from bot.context import AppState, BotContext
from db import runtime
from db.session import create_engine

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 2.0  # seconds /healthz waits for the database
KEEP_UPDATE_IDS = dt.timedelta(days=1)  # Telegram gives up redelivering long before
PRUNE_INTERVAL = 3600.0  # seconds between prunes of processed_updates
SHUTDOWN_TIMEOUT = 5.0  # seconds requests in progress get when the server stops

log = logging.getLogger(__name__)


def webhook_path(url: str) -> str:
    """The path Telegram will POST to: WEBHOOK_URL's path (`/` when it has none)."""
    return urlsplit(url).path or "/"


class WebhookServer:
    """The HTTP side of one replica: `async with WebhookServer(...) as server` serves until
    the block ends. The Application must already be started (see `serve`)."""

    def __init__(
        self, application: Application, *, host: str, port: int, path: str, secret: str
    ) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        self.host = host
        self.port = port
        self.path = path
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    @classmethod
    def from_settings(cls, application: Application, settings: Settings) -> WebhookServer:
        """Bound to LISTEN, serving WEBHOOK_URL's path, checking WEBHOOK_SECRET."""
        host, port = settings.listen_host_port
        if not settings.webhook_url or not settings.webhook_secret:
            raise ValueError("WEBHOOK_URL and WEBHOOK_SECRET are both needed")
        path = webhook_path(settings.webhook_url)
        return cls(application, host=host, port=port, path=path, secret=settings.webhook_secret)

    @property
    def url(self) -> str:
        """Where this server can be reached locally (tests, the container health check)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve; schedule the hourly prune of old update ids."""
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=False
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.application.job_queue.run_repeating(
            _prune_job, interval=PRUNE_INTERVAL, first=PRUNE_INTERVAL, name="prune-updates"
        )

    async def stop(self) -> None:
        """Stop taking requests (those in progress may finish)."""
        for job in self.application.job_queue.get_jobs_by_name("prune-updates"):
            job.schedule_removal()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> WebhookServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def set_webhook(self, url: str) -> None:
        """Tell Telegram where to send updates, with the secret it must send back."""
        await self.application.bot.set_webhook(
            url=url,
            secret_token=self._secret.decode(),
            allowed_updates=Update.ALL_TYPES,
        )

    # ------------------------------------------------------------------ routes

    async def _receive(self, request: web.Request) -> web.Response:
        """One update: check the secret, parse, dedupe by update id, queue."""
        counter = self.state.metrics.webhook
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            counter.labels("forbidden").inc()
            log.warning("webhook request with a wrong or missing secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update_id = data["update_id"]
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                raise TypeError("update_id is not an integer")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            counter.labels("malformed").inc()
            log.warning("webhook request is not an update: %r", error)
            return web.Response(status=400, text="not a Telegram update")
        try:
            fresh = await runtime.claim_update(self.state.db, update_id, self.state.clock())
        except Exception:  # the database is away: Telegram will retry after a non-2xx
            counter.labels("error").inc()
            log.exception("update %s not recorded; Telegram will redeliver it", update_id)
            return web.Response(status=503, text="try again")
        if not fresh:
            counter.labels("duplicate").inc()
            log.info("update already taken in", extra={"update_id": update_id})
            return web.Response(text="duplicate")
        await self.application.update_queue.put(update)
        counter.labels("accepted").inc()
        return web.Response(text="ok")

    async def _health(self, _request: web.Request) -> web.Response:
        """200 when the database answers `SELECT 1` in time, else 503."""
        try:
            await asyncio.wait_for(runtime.ping(self.state.engine), HEALTH_TIMEOUT)
        except Exception as error:
            log.warning("health check: database unreachable: %r", error)
            return web.Response(status=503, text="database unreachable")
        return web.Response(text="ok")

    async def _metrics(self, _request: web.Request) -> web.Response:
        """Prometheus text exposition."""
        body = await self.state.metrics.render(self.state.db)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def prune(state: AppState) -> int:
    """Forget update ids older than KEEP_UPDATE_IDS; returns how many."""
    return await runtime.prune_updates(state.db, state.clock() - KEEP_UPDATE_IDS)


async def _prune_job(context: BotContext) -> None:
    removed = await prune(context.state)
    if removed:
        log.info("pruned %d old update ids", removed)


async def serve(application: Application, settings: Settings) -> None:
    """`returnbot run` in webhook mode: start the Application without polling, serve LISTEN,
    call setWebhook, and run until SIGTERM or SIGINT; then stop taking updates, let the
    handlers finish the queued ones and park unsent deliveries."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        async with (
            started(application, poll=False),
            WebhookServer.from_settings(application, settings) as server,
        ):
            assert settings.webhook_url is not None  # from_settings checked it
            await server.set_webhook(settings.webhook_url)
            log.info(
                "serving the webhook",
                extra={"listen": f"{server.host}:{server.port}", "path": server.path},
            )
            await stop.wait()
            log.info("stopping: no more updates taken in")
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


async def check_health(settings: Settings) -> tuple[bool, str]:
    """What `returnbot health` (the container's HEALTHCHECK) reports, in either mode.

    Webhook mode: GET /healthz of the server on LISTEN, so a dead server fails too. Polling
    mode has no HTTP server: the database itself must answer `SELECT 1`."""
    if settings.webhook_url:
        host, port = settings.listen_host_port
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        url = f"http://{host}:{port}/healthz"
        timeout = ClientTimeout(total=HEALTH_TIMEOUT + 3)
        try:
            async with ClientSession(timeout=timeout) as session, session.get(url) as response:
                return response.status == 200, f"{url}: {response.status}"
        except (ClientError, TimeoutError) as error:
            return False, f"{url}: {error!r}"
    engine = create_engine(settings.database_url)
    try:
        await asyncio.wait_for(runtime.ping(engine), HEALTH_TIMEOUT + 3)
    except Exception as error:
        return False, f"database unreachable: {error!r}"
    finally:
        await engine.dispose()
    return True, "database answers"
