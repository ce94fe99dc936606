"""Write to the host's log, tagged with the plugin's name: ``log.info("loaded 12 rules")``.

Inside the component these are the contract's ``host.log`` import (and so is
``print``: the SDK points ``sys.stdout`` at ``info`` and ``sys.stderr`` at ``warn``, a
line per call, since the component has no terminal). The host caps them per call into
the plugin (``max_log_calls`` 100, ``max_log_bytes`` 64 KiB by default; past that the
call fails as ``log-flood``), so do not log per text or per event in a hot path.
Natively they are kept for ``testing.Harness.logs()`` and sent to Python's ``logging``.
"""

from __future__ import annotations

from . import _runtime

LEVELS = ("debug", "info", "warn", "error")


def log(level: str, message: str) -> None:
    """Log a line at ``level``: ``debug``, ``info``, ``warn`` or ``error``."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    _runtime.backend.log(level, str(message))


def debug(message: str) -> None:
    """Detail for the plugin's author."""
    log("debug", message)


def info(message: str) -> None:
    """Normal operation."""
    log("info", message)


def warn(message: str) -> None:
    """Something the operator should look at."""
    log("warn", message)


def error(message: str) -> None:
    """Something failed."""
    log("error", message)
