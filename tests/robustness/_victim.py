"""``python -m analytics`` with markers on stdout, for the kill -9 tests.

Prints ``@ check`` before validation and ``@ <fraction> <step>`` at each step of the
write transaction (the loader's own progress callback), so a test can kill the process
at a chosen stage instead of only after a guessed delay. Nothing else is changed.
"""

from __future__ import annotations

import inspect
import sys

from analytics.ingest import pipeline


def _mark(text: str) -> None:
    print(f"@ {text}", flush=True)


_check, _write = pipeline.check, pipeline.write_batch


def _checked(*args, **kwargs):
    _mark("check")
    return _check(*args, **kwargs)


def _written(*args, **kwargs):
    bound = inspect.signature(_write).bind(*args, **kwargs)
    bound.arguments["progress"] = lambda fraction, step: _mark(f"{fraction:.1f} {step}")
    return _write(*bound.args, **bound.kwargs)


if __name__ == "__main__":
    pipeline.check, pipeline.write_batch = _checked, _written
    from analytics.__main__ import main

    _mark("start")
    sys.exit(main(sys.argv[1:]))
