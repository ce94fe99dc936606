"""Where the SDK's host calls go: natively (pytest) to in-memory stand-ins, inside the
component to the contract's imports. ``aiir_sdk._wit`` swaps in the host's when the
component starts; nothing else should touch this module."""

from __future__ import annotations

from typing import Optional, Protocol


class Backend(Protocol):
    def log(self, level: str, message: str) -> None: ...
    def partition(self) -> str: ...
    def get(self, key: str) -> Optional[bytes]: ...
    def set(self, key: str, value: bytes) -> Optional[str]: ...
    def remove(self, key: str) -> None: ...
    def keys(self) -> list[str]: ...


#: Per-key caps the host applies to state.
MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 1 << 20



class Native:
    """The stand-in for the host in native tests: log lines kept in a list (and sent to
    Python's ``logging``), state kept per partition, in the order written."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.current_partition = ""
        # partition -> key -> value; dicts keep insertion order, a write moves a key last.
        self.values: dict[str, dict[str, bytes]] = {}
        self.in_call = False

    def log(self, level: str, message: str) -> None:
        import logging  # natively only: the component does without it

        self.lines.append((level, message))
        levels = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
        logging.getLogger("aiir_sdk.plugin").log(levels[level], "%s", message)

    def partition(self) -> str:
        return self.current_partition

    def get(self, key: str) -> Optional[bytes]:
        if not self.in_call:
            return None
        return self.values.get(self.current_partition, {}).get(key)

    def set(self, key: str, value: bytes) -> Optional[str]:
        if not self.in_call:
            return "no partition: state is written only while an event is inspected"
        size = len(key.encode("utf-8"))
        if size > MAX_KEY_BYTES or len(value) > MAX_VALUE_BYTES:
            return f"a key of {size} bytes or a value of {len(value)} bytes, over the host's caps"
        kept = self.values.setdefault(self.current_partition, {})
        kept.pop(key, None)
        kept[key] = bytes(value)
        return None

    def remove(self, key: str) -> None:
        if self.in_call:
            self.values.get(self.current_partition, {}).pop(key, None)

    def keys(self) -> list[str]:
        if not self.in_call:
            return []
        return list(self.values.get(self.current_partition, {}))


backend: Backend = Native()

try:  # a module built into the component by componentize-py, absent natively
    import componentize_py_runtime  # type: ignore[import-not-found] # noqa: F401

    #: True inside the component.
    in_component = True
except ImportError:
    in_component = False
