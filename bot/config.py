"""Configuration from environment variables and an optional `.env` file (the environment wins)."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LANGUAGES: tuple[str, ...] = ("az", "en", "ru")
Language = Literal["az", "en", "ru"]


class Settings(BaseSettings):
    """The variables of SPEC "Configuration"; names are part of the public contract."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_URL")
    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/returnbot.db", alias="DATABASE_URL"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset(), alias="ADMIN_IDS")
    default_language: Language = Field(default="en", alias="DEFAULT_LANGUAGE")
    broadcast_rate: float = Field(default=25.0, gt=0, alias="BROADCAST_RATE")
    # broadcasts with allow_paid_broadcast: up to 1,000/s, paid in Stars (docs/delivery.md)
    paid_broadcast: bool = Field(default=False, alias="PAID_BROADCAST")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="WEBHOOK_SECRET")
    listen: str = Field(default="0.0.0.0:8080", alias="LISTEN")
    stale_after_days: int = Field(default=90, ge=1, alias="STALE_AFTER_DAYS")
    # questions to a person (handlers/support, docs/support.md)
    support_chat_id: int | None = Field(default=None, alias="SUPPORT_CHAT_ID")
    ticket_retention_days: int = Field(default=180, ge=1, alias="TICKET_RETENTION_DAYS")
    ticket_open_limit: int = Field(default=3, ge=1, alias="TICKET_OPEN_LIMIT")
    ticket_messages_per_hour: int = Field(default=20, ge=1, alias="TICKET_MESSAGES_PER_HOUR")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator(
        "telegram_bot_token", "webhook_url", "webhook_secret", "support_chat_id", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @cached_property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "0.0.0.0", int(port)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; keyword overrides (by variable name) win over the environment."""
    return Settings(**overrides)
