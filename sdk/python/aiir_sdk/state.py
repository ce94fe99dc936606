"""State the host keeps for a detector: what it must remember across events, kept
outside the instance so that it survives a restart of the plugin or of the host.

Keys live within the partition of the event being inspected (its session or
principal, its model, its data set, or one partition for all, as the operator's
``partition`` setting says), and a call's writes count only when the call succeeds.
Keep what decides a finding here, not in module globals: a resumed run then finds
exactly what an uninterrupted one would have::

    seen = state.load("count", 0)
    state.save("count", seen + 1)

Bounds: a key of 256 bytes, a value of 1 MiB, and the plugin's ``max_state_bytes``
(16 MiB) in all, past which the entries written longest ago are forgotten. Outside
``inspect`` there is no partition: reads find nothing and writes fail.
Natively, ``testing.Harness`` keeps the state in memory.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _runtime


class StateError(Exception):
    """The host refused a write (too large, or outside ``inspect``)."""


def partition() -> str:
    """The partition key of the event being inspected (empty for the one partition
    of a detector that keeps its state across everything)."""
    return _runtime.backend.partition()


def get(key: str) -> Optional[bytes]:
    """The bytes under ``key``, if any."""
    return _runtime.backend.get(key)


def set(key: str, value: bytes) -> None:
    """Keep ``value`` under ``key``; raises ``StateError`` when the host refuses."""
    refused = _runtime.backend.set(key, bytes(value))
    if refused is not None:
        raise StateError(refused)


def remove(key: str) -> None:
    """Forget ``key``."""
    _runtime.backend.remove(key)


def keys() -> list[str]:
    """Every key of the partition, the one written longest ago first."""
    return _runtime.backend.keys()


def load(key: str, default: Any = None) -> Any:
    """The value under ``key`` as JSON, or ``default`` when absent or not JSON."""
    raw = get(key)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def save(key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` as compact JSON."""
    set(key, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
