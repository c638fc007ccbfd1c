"""Run a module under pyinstrument and write a text profile when it ends (also on SIGTERM,
which PTB's run_polling turns into a clean stop).

Run: `.venv/bin/python -m bench.profile OUT.txt bot.cli run` (pyinstrument must be installed:
`.venv/bin/pip install pyinstrument`; it is not a dependency of the project).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m bench.profile OUT.txt MODULE [ARGS...]", file=sys.stderr)
        return 2
    from pyinstrument import Profiler

    out, module, rest = Path(args[0]), args[1], args[2:]
    sys.argv = [module, *rest]
    profiler = Profiler(interval=0.005, async_mode="disabled")
    profiler.start()
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    finally:
        profiler.stop()
        out.write_text(profiler.output_text(unicode=True, show_all=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
