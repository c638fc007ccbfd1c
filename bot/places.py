"""The place data, its search index and what a typed name finds (`Places.find`) or a
message names (`Places.named`), kept current for every handler.

Lookups read an in-memory copy (`db.snapshot.PlaceData`) instead of the database. The copy
is trusted for `MAX_AGE` seconds; after that, the next lookup starts a check in the
background — it reads the `data_version` counter (one small query) and loads everything
again only when it moved — and is answered from the copy meanwhile: lookups never queue
behind the check (they did, and under load every handler stalled for it once a second). A
commit in this process that wrote place data (an admin's edit, an import) makes the next
lookup wait for a new copy, so an admin sees their own change immediately; changes made by
other processes (another replica, `returnbot import`) show within `MAX_AGE` and one check.
While the database cannot be reached, the last copy keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.search import Entry, SearchIndex
from bot.domain.understanding import PlaceMention
from db import snapshot
from db.models import District, Settlement
from db.snapshot import Place, PlaceData

MAX_AGE = 1.0  # seconds a copy is used before the data_version counter is read again
VIEWS = 2048  # composed views kept per copy (cards, keyboards, search outcomes): a few MB
IMAGE_BYTES = 16 * 1024 * 1024  # drawn images kept per copy (a chart is 100–350 KB)

T = TypeVar("T")
_MISSING = object()

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """The outcome of a place search: one place, several candidates, or suggestions (shared
    by every search of the same text: never change one)."""

    settlement: Settlement | None = None
    district: District | None = None
    settlements: list[Settlement] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Places:
    """One consistent copy: the data and the search index built from it, and what was
    composed from them (see `view`)."""

    data: PlaceData
    search: SearchIndex
    views: LRUCache[Hashable, Any] = field(
        default_factory=lambda: LRUCache(maxsize=VIEWS), compare=False, repr=False
    )
    images: LRUCache[Hashable, bytes] = field(
        default_factory=lambda: LRUCache(maxsize=IMAGE_BYTES, getsizeof=len),
        compare=False,
        repr=False,
    )
    # key → Telegram's file_id of an image once sent: sending it again uploads nothing
    uploads: LRUCache[Hashable, str] = field(
        default_factory=lambda: LRUCache(maxsize=VIEWS), compare=False, repr=False
    )
    _drawing: dict[Hashable, asyncio.Future[bytes]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def view(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, made once for this copy: for what depends on nothing but this copy and
        `key` (a card in one language on one day, the places a text finds…). Views are
        shared: never change one."""
        views = self.views
        found = views.get(key, _MISSING)
        if found is _MISSING:
            found = views[key] = make()
        return found

    async def image(self, key: Hashable, draw: Callable[[], bytes]) -> bytes:
        """`draw()` once for this copy and `key`, in a worker thread (drawing is CPU work: the
        event loop goes on serving other chats meanwhile); requests for the same image while
        it is being drawn wait for that drawing. Kept up to IMAGE_BYTES, least recent out."""
        found = self.images.get(key)
        if found is not None:
            return found
        drawing = self._drawing.get(key)
        if drawing is None:
            drawing = self._drawing[key] = asyncio.ensure_future(asyncio.to_thread(draw))
            drawing.add_done_callback(lambda _: self._drawing.pop(key, None))
        image = await asyncio.shield(drawing)
        self.images[key] = image
        return image

    def find(self, text: str) -> Found:
        """The settlement or district `text` names in any spelling (`bot.domain.search`), else
        the candidates, else suggestions; searched once per text for this copy."""
        return self.view(("find", text), lambda: self._find(text))

    def _find(self, text: str) -> Found:
        best, candidates = self.search.resolve(text)
        if best is not None:
            kind, _, slug = best.key.partition(":")
            if kind == "settlement":
                return Found(settlement=self.data.settlement(slug))
            return Found(district=self.data.district(slug))
        settlements, districts = self.data.places_by_keys(m.key for m in candidates)
        suggestions = [] if candidates else [m.key for m in self.search.suggest(text)]
        return Found(settlements=settlements, districts=districts, suggestions=suggestions)

    def named(self, mentions: Sequence[PlaceMention], *, whole_district: bool = False) -> Found:
        """The places a message names (`bot.domain.understanding`): one, or the candidates. A
        district named beside one of its settlements is left out (the settlement is meant);
        with `whole_district`, a district named in the same words as settlements of it (a
        town and its district of the same name) stands for them (its caravans are theirs)."""
        spans = {m.key: m.span for m in mentions}
        settlements, districts = self.data.places_by_keys(spans)
        kept = []
        for district in districts:
            inside = [s for s in settlements if s.district_id == district.id]
            words = spans[f"district:{district.slug}"]
            alike = [s for s in inside if spans[f"settlement:{s.slug}"] == words]
            if len(alike) < len(inside):
                continue  # "Sos, Xocavənd rayonu": Sos
            if alike and whole_district:
                settlements = [s for s in settlements if s not in alike]
            kept.append(district)
        if len(settlements) + len(kept) == 1:
            return Found(settlement=next(iter(settlements), None), district=next(iter(kept), None))
        return Found(settlements=settlements, districts=kept)


def search_entries(places: Iterable[Place]) -> list[Entry]:
    """The search index's entries: settlements rank a little above districts of the same
    name, and each entry knows its kind (a town, a village, a district)."""
    return [
        Entry(p.key, p.names, 1.0 if p.key.startswith("settlement:") else 0.9, p.kind)
        for p in places
    ]


def search_index(data: PlaceData) -> SearchIndex:
    return SearchIndex(search_entries(data.places()))


class PlaceCache:
    """The current `Places` of one process (`AppState.places`)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, max_age: float = MAX_AGE
    ) -> None:
        self._sessions = sessions
        self._max_age = max_age
        self._current: Places | None = None
        self._generation = -1  # snapshot.generation the copy was loaded at
        self._checked = 0.0  # time.monotonic() of the last load or version check
        self._lock = asyncio.Lock()
        self._checking: asyncio.Task[None] | None = None

    def _current_here(self) -> bool:
        """A copy exists and this process has not changed place data since it was made."""
        return self._current is not None and self._generation == snapshot.generation

    def _due(self) -> bool:
        return time.monotonic() - self._checked >= self._max_age

    async def get(self) -> Places:
        """The current copy. When it is older than `max_age`, a check starts in the
        background; only the first load and this process's own changes are waited for."""
        if self._current_here():
            if self._due() and (self._checking is None or self._checking.done()):
                self._checking = asyncio.create_task(self.check(), name="place data check")
            return self._current  # type: ignore[return-value]
        return await self.check()

    async def check(self) -> Places:
        """Read the version now (when the copy is due or this process changed place data)
        and load again if it moved; the copy to use afterwards."""
        async with self._lock:  # one check at a time; the others then find it fresh
            if not self._current_here() or self._due():
                await self._refresh(force=False)
        assert self._current is not None
        return self._current

    async def reload(self) -> Places:
        """Load everything again now (start-up, after an import)."""
        async with self._lock:
            await self._refresh(force=True)
        assert self._current is not None
        return self._current

    async def close(self) -> None:
        """Stop a check in progress (shutdown)."""
        if self._checking is not None and not self._checking.done():
            self._checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checking

    async def _refresh(self, *, force: bool) -> None:
        generation = snapshot.generation
        local_change = generation != self._generation
        try:
            async with self._sessions() as session:
                unchanged = (
                    self._current is not None
                    and not (force or local_change)
                    and await snapshot.data_version(session) == self._current.data.version
                )
                if unchanged:
                    self._checked = time.monotonic()
                    return
                data = await snapshot.load(session)
        except Exception as error:
            if self._current is None or force:
                raise
            log.warning("place data could not be checked (%s); answering from the last copy", error)
            self._checked = time.monotonic()
            return
        self._current = Places(data, search_index(data))
        self._generation = generation
        self._checked = time.monotonic()
        log.debug("place data loaded at version %s", data.version)
