"""returnbot: application wiring, configuration, command line and pure logic."""

import os

# Opt in to PTB 22's timedelta durations (RetryAfter.retry_after etc.) and its silence about them.
os.environ.setdefault("PTB_TIMEDELTA", "true")
