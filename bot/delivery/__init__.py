"""Delivery: the one loop through which broadcasts, announcements, reminders and alerts
leave (`worker`), with its pacing, composing, sending and broadcast progress in their own
modules; handlers and the data layer only write to the outbox (docs/delivery.md)."""

from bot.delivery.worker import SCAN_INTERVAL, DeliveryWorker

__all__ = ["SCAN_INTERVAL", "DeliveryWorker"]
