"""Bot API transports that wrap another one (`bot.retry`, `bot.metrics`): what they share."""

from __future__ import annotations

from telegram.request import BaseRequest


def api_method(url: str) -> str:
    """The Bot API method a request URL calls: `…/bot<token>/sendMessage` → `sendMessage`."""
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


class WrappedRequest(BaseRequest):
    """Delegates the transport's life cycle to `inner`; subclasses wrap `do_request`."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        """The inner transport's default read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the inner transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the inner transport."""
        await self.inner.shutdown()
