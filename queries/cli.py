"""How every command-line tool ends: one line in Bahasa Indonesia, never a traceback.

``python -m queries.metrics … | head`` closes the pipe early: that is a normal end, so the
tool exits quietly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from queries.health import describe
from queries.settings import check_all


def run_command(main: Callable[[], int]) -> int:
    """Run a tool's ``main`` and turn every failure into one line on stderr and exit code 1."""
    try:
        check_all()
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("Dihentikan.", file=sys.stderr)
        return 130
    except Exception as error:  # every other failure: its reason in one line
        print(f"Galat: {describe(error)}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """The reader has gone: point stdout at /dev/null so the interpreter's final flush is
    quiet too (the documented way to handle SIGPIPE in Python)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def terminal(description: str = "Menyiapkan data") -> Callable[[str, float], None]:
    """A tqdm progress bar for the command line: called with a step name and the fraction
    done (0–1); no bar when the output is not a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", desc=description, disable=None)

    def report(step: str, fraction: float) -> None:
        bar.set_postfix_str(step)
        bar.update(max(0, round(fraction * 100) - bar.n))
        if fraction >= 1:
            bar.close()

    return report
