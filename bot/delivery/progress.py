"""A running broadcast's progress, as its admin sees it: the one message edited in place
(sent / total, blocked, failed, rate, time left, ⏹) at most every PROGRESS_INTERVAL by
whichever worker takes the turn in the database, and the final report written by the worker
that finds nothing left to send. Counts come from the deliveries' statuses
(`db.broadcasts.counts`), so they are the same in every process and survive restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import AppState
from bot.views import broadcast as texts
from db import broadcasts, users
from db.models import SENDING, Broadcast, Counts
from db.times import wall_clock

PROGRESS_INTERVAL = 3.0  # seconds between edits of a broadcast's progress message

log = logging.getLogger(__name__)


class BroadcastProgress:
    """Edits the progress messages of the broadcasts being sent, and finishes those done."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        self.live = True  # broadcasts were being sent at the last look (until one finds none)
        self._task: asyncio.Task[None] | None = None
        self._shown: dict[int, str] = {}  # broadcast → the progress text this worker showed

    @property
    def running(self) -> bool:
        """An update started with `start` has not ended yet."""
        return self._task is not None and not self._task.done()

    def start(self, held: Mapping[int, int]) -> None:
        """`update` in its own task: the loop goes on meanwhile."""
        self._task = asyncio.create_task(self.update(held), name="progress")

    async def wait(self, seconds: float) -> None:
        """Let the update in progress end (a few queries and one edit), at most `seconds`."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, seconds)

    async def update(self, held: Mapping[int, int]) -> None:
        """Edit the progress message of each broadcast being sent (one worker per turn), and
        finish those with nothing left. `held` maps the broadcast deliveries this worker
        holds to their notices."""
        try:
            async with self.state.db() as session:
                live = list(await broadcasts.in_progress(session))
                self.live = bool(live)
                if not live:
                    return
                held_notices = set(held.values())
                for broadcast in live:
                    # counted (a GROUP BY over all its deliveries) only for this worker's
                    # turn to edit, or once nothing is left to send (while this worker
                    # holds some of its deliveries, something is)
                    turn = await broadcasts.take_progress_turn(
                        session, broadcast.id, PROGRESS_INTERVAL
                    )
                    if not turn and (
                        broadcast.notice_id in held_notices
                        or await broadcasts.unsent_left(session, broadcast.notice_id)
                    ):
                        continue
                    tally = await broadcasts.counts(session, [broadcast.notice_id])
                    counts = tally.get(broadcast.notice_id, Counts())
                    if counts.remaining <= 0:
                        if await broadcasts.finish(session, broadcast.id):
                            await self._report(session, broadcast, counts, final=True)
                    elif turn:
                        await self._report(session, broadcast, counts, final=False)
        except Exception:
            log.exception("broadcast progress update failed")

    async def _report(
        self,
        session: AsyncSession,
        broadcast: Broadcast,
        counts: Counts,
        *,
        final: bool,
    ) -> None:
        if broadcast.progress_message_id is None:
            return
        admin = await users.get_user(session, broadcast.admin_id)
        language = admin.language if admin else self.state.settings.default_language
        tr = self.state.translators[language]
        place = await broadcasts.place_of(session, broadcast.scope)
        now = wall_clock()
        if final:
            text, markup = texts.final_report(broadcast, place, counts, tr), None
            self._shown.pop(broadcast.id, None)
        else:
            elapsed = (now - (broadcast.started_at or now)).total_seconds()
            clock = self.state.clock()
            text = texts.progress_report(broadcast, place, counts, elapsed, tr, clock)
            markup = texts.cancel_keyboard(broadcast.id, tr)
            if self._shown.get(broadcast.id) == text:
                return
            self._shown[broadcast.id] = text
        # not queued behind the sends (at most one edit per PROGRESS_INTERVAL); an admin's
        # stop may have come meanwhile, and its report must not be overwritten
        if not final and await broadcasts.status_of(session, broadcast.id) != SENDING:
            return
        try:
            await self.application.bot.edit_message_text(
                text,
                broadcast.admin_chat_id,
                broadcast.progress_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except TelegramError as error:  # "not modified", the admin blocked the bot, …
            log.info("broadcast %s progress not shown: %s", broadcast.id, error)
