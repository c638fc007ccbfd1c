"""`bot.logs.JsonLines`: its short path for plain records writes what python-json-logger
itself would (it leans on that library's field handling, so an upgrade is checked here)."""

from __future__ import annotations

import json
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from bot.logs import JsonLines

RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "message": "event"}
EXTRA = {"update_id": 7, "user": "ab12", "latency_ms": 1.5, "outcome": "ok"}


def record(message: object, **extra: object) -> logging.LogRecord:
    made = logging.getLogger("returnbot.test").makeRecord(
        "returnbot.test", logging.INFO, __file__, 1, message, (), None, "f", extra
    )
    made.created, made.msecs = 1795729000.25, 250.0
    return made


def test_a_plain_record_is_written_as_the_library_writes_it():
    library = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields=RENAMED)
    written = JsonLines().format(record("update handled", **EXTRA))
    assert written == library.format(record("update handled", **EXTRA))
    line = json.loads(written)
    assert list(line)[:4] == ["time", "level", "logger", "event"]
    assert line["event"] == "update handled" and line["update_id"] == 7


def test_records_off_the_short_path_still_go_through_the_library():
    library = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields=RENAMED)
    message = {"event": "scan", "notices": 3}
    assert JsonLines().format(record(message)) == library.format(record(message))
    failed = record("error while handling an update")
    try:
        raise ValueError("<b>boom</b>")
    except ValueError:
        failed.exc_info = sys.exc_info()
    assert "ValueError: <b>boom</b>" in json.loads(JsonLines().format(failed))["exc_info"]
