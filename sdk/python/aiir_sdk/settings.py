"""The operator's settings for a plugin, as handed to ``configure``.

The ``[detector.settings]`` table of ``aiir.toml`` reaches the plugin as JSON text.
``Settings`` reads it key by key; each accessor checks its value, *records* any
problem with the key's path (``phrases[2]``, ``limits.max``) and returns the default,
so ``configure`` reads on and every problem is reported at once. When ``configure``
returns, the SDK adds every key nobody asked for (``colour: unknown field …``) and
hands the host the whole list::

    def configure(self, settings: Settings) -> None:
        self.phrases = settings.strings("phrases", ["previous instructions"], min_items=1, max_items=64, max_chars=200)
        self.severity = settings.severity("severity", Severity.MEDIUM)

A check of your own: ``settings.error("phrases[3]", "must not repeat phrases[1]")``;
or raise ``SettingsErrors([...])`` to stop at once.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional, Sequence, TypeVar

from .types import Severity, SettingsError

T = TypeVar("T")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a key the operator must set.
REQUIRED: Any = _Required()


class SettingsErrors(Exception):
    """Settings refused: every problem, each with its path. Raise it from ``configure``
    to refuse the settings; the SDK turns it into the contract's ``list<settings-error>``."""

    def __init__(self, errors: Sequence[SettingsError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.path or '(settings)'}: {e.message}" for e in self.errors))


def describe(value: Any) -> str:
    """How a message names a JSON value the operator wrote: ``"urgent"``, ``a list``."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:40] + "…", ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _expected(keys: list[str]) -> str:
    quoted = [f"`{k}`" for k in keys]
    if len(quoted) == 1:
        return f"expected {quoted[0]}"
    if len(quoted) == 2:
        return f"expected {quoted[0]} or {quoted[1]}"
    return "expected one of " + ", ".join(quoted)


class Settings:
    """A settings table (or a table inside it), read key by key with every problem recorded."""

    def __init__(self, value: Any, path: str = "", errors: Optional[list[SettingsError]] = None):
        self._value = value
        self._path = path
        self._errors: list[SettingsError] = [] if errors is None else errors
        self._asked: list[str] = []
        self._children: list[Settings] = []
        self._raw_read = False
        if not isinstance(value, dict):
            self._errors.append(SettingsError(path, f"must be a table, not {describe(value)}"))
            self._value = {}

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Read the JSON text the host passes to ``configure``; not JSON is one error
        on the whole table."""
        try:
            value = json.loads(text)
        except ValueError as e:
            raise SettingsErrors([SettingsError("", f"settings are not valid JSON: {e}")]) from None
        return cls(value)

    # --- reading --------------------------------------------------------------------

    @property
    def value(self) -> dict[str, Any]:
        """The table as parsed JSON. Reading it means you check the keys yourself: no
        key of this table is then reported as unknown."""
        self._raw_read = True
        return self._value

    def path(self, key: str) -> str:
        """The path of ``key`` in this table, as errors name it."""
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        """Whether the operator set ``key`` (asking marks it as known)."""
        self._ask(key)
        return key in self._value

    def error(self, path: str, message: str) -> None:
        """Record a problem at ``path`` (as ``path(key)`` spells it): lowercase, no
        trailing period, saying what was expected."""
        self._errors.append(SettingsError(path, message))

    @property
    def errors(self) -> list[SettingsError]:
        """The problems recorded so far (without unknown keys: see ``problems``)."""
        return list(self._errors)

    def get(self, key: str, default: Any = None) -> Any:
        """The raw JSON value of ``key``, unchecked, or ``default``."""
        self._ask(key)
        return self._value.get(key, default)

    def string(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        allow_empty: bool = False,
        max_chars: Optional[int] = None,
        choices: Optional[Sequence[str]] = None,
    ) -> str:
        """A string; not blank unless ``allow_empty``; at most ``max_chars``; one of ``choices``."""
        value = self._take(key, default)
        if value is _MISSING:
            return default if default is not REQUIRED else ""
        at = self.path(key)
        if not isinstance(value, str):
            self.error(at, f"must be a string, not {describe(value)}")
            return _or(default, "")
        if not self._string_ok(at, value, allow_empty, max_chars):
            return _or(default, "")
        if choices is not None and value not in choices:
            self.error(at, f"must be {_one_of(choices)}, not {describe(value)}")
            return _or(default, "")
        return value

    def integer(self, key: str, default: Any = REQUIRED, *, min: Optional[int] = None, max: Optional[int] = None) -> int:
        """An integer within ``min``..``max`` (inclusive)."""
        value = self._take(key, default)
        if value is _MISSING:
            return default if default is not REQUIRED else 0
        at = self.path(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(at, f"must be an integer, not {describe(value)}")
            return _or(default, 0)
        if not self._in_range(at, value, min, max):
            return _or(default, 0)
        return value

    def number(
        self, key: str, default: Any = REQUIRED, *, min: Optional[float] = None, max: Optional[float] = None
    ) -> float:
        """A number within ``min``..``max`` (inclusive)."""
        value = self._take(key, default)
        if value is _MISSING:
            return default if default is not REQUIRED else 0.0
        at = self.path(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.error(at, f"must be a number, not {describe(value)}")
            return _or(default, 0.0)
        if not self._in_range(at, value, min, max):
            return _or(default, 0.0)
        return float(value)

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        """``true`` or ``false``."""
        value = self._take(key, default)
        if value is _MISSING:
            return default if default is not REQUIRED else False
        if not isinstance(value, bool):
            self.error(self.path(key), f"must be true or false, not {describe(value)}")
            return _or(default, False)
        return value

    def strings(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        min_items: int = 0,
        max_items: Optional[int] = None,
        allow_empty: bool = False,
        max_chars: Optional[int] = None,
    ) -> list[str]:
        """A list of strings: ``min_items``..``max_items`` entries, each checked as
        ``string`` does (each problem at its own ``key[n]``)."""
        value = self._take(key, default)
        if value is _MISSING:
            return list(default) if default is not REQUIRED else []
        at = self.path(key)
        if not isinstance(value, list):
            self.error(at, f"must be a list of strings, not {describe(value)}")
            return list(_or(default, []))
        ok = self._count_ok(at, len(value), min_items, max_items)
        for n, item in enumerate(value):
            if not isinstance(item, str):
                self.error(f"{at}[{n}]", f"must be a string, not {describe(item)}")
                ok = False
            elif not self._string_ok(f"{at}[{n}]", item, allow_empty, max_chars):
                ok = False
        return list(value) if ok else list(_or(default, []))

    def severity(self, key: str, default: Any = REQUIRED) -> Severity:
        """A severity name: ``info``, ``low``, ``medium``, ``high`` or ``critical``."""
        value = self._take(key, default)
        if value is _MISSING:
            return default if default is not REQUIRED else Severity.MEDIUM
        parsed = Severity.parse(value) if isinstance(value, str) else None
        if parsed is None:
            self.error(self.path(key), f"must be info, low, medium, high or critical, not {describe(value)}")
            return _or(default, Severity.MEDIUM)
        return parsed

    def table(self, key: str) -> Settings:
        """The table under ``key`` (an empty one when absent), read the same way; its
        problems carry the path ``key.inner``."""
        self._ask(key)
        child = Settings(self._value.get(key, {}), self.path(key), self._errors)
        self._children.append(child)
        return child

    def tables(self, key: str) -> list[Settings]:
        """The list of tables under ``key`` (empty when absent): ``key[0]``, ``key[1]`` …"""
        self._ask(key)
        value = self._value.get(key, [])
        if not isinstance(value, list):
            self.error(self.path(key), f"must be a list of tables, not {describe(value)}")
            return []
        children = [Settings(v, f"{self.path(key)}[{n}]", self._errors) for n, v in enumerate(value)]
        self._children.extend(children)
        return children

    # --- the verdict ------------------------------------------------------------------

    def problems(self) -> list[SettingsError]:
        """Every problem: those recorded, then each key nobody asked for."""
        out = list(self._errors)
        out.extend(self._unknown())
        return out

    def check(self) -> None:
        """Raise ``SettingsErrors`` with every problem, if there is any (the SDK calls
        it after ``configure`` returns)."""
        problems = self.problems()
        if problems:
            raise SettingsErrors(problems)

    def _unknown(self) -> list[SettingsError]:
        out: list[SettingsError] = []
        if not self._raw_read:
            for key in self._value:
                if key not in self._asked:
                    if self._asked:
                        message = f"unknown field `{key}`, {_expected(self._asked)}"
                    elif self._path:
                        message = f"unknown field `{key}`, this table takes no keys"
                    else:
                        message = "this plugin takes no settings"
                    out.append(SettingsError(self.path(key), message))
        for child in self._children:
            out.extend(child._unknown())
        return out

    # --- helpers ----------------------------------------------------------------------

    def _ask(self, key: str) -> None:
        if key not in self._asked:
            self._asked.append(key)

    def _take(self, key: str, default: Any) -> Any:
        self._ask(key)
        if key not in self._value:
            if default is REQUIRED:
                self.error(self.path(key), "is required")
            return _MISSING
        return self._value[key]

    def _string_ok(self, at: str, value: str, allow_empty: bool, max_chars: Optional[int]) -> bool:
        if not allow_empty and not value.strip():
            self.error(at, "must not be empty")
            return False
        if max_chars is not None and len(value) > max_chars:
            self.error(at, f"must be at most {max_chars} characters, not {len(value)}")
            return False
        return True

    def _in_range(self, at: str, value: float, lo: Optional[float], hi: Optional[float]) -> bool:
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if lo is not None and hi is not None:
                self.error(at, f"must be between {lo} and {hi}, not {value}")
            elif lo is not None:
                self.error(at, f"must be at least {lo}, not {value}")
            else:
                self.error(at, f"must be at most {hi}, not {value}")
            return False
        return True

    def _count_ok(self, at: str, n: int, lo: int, hi: Optional[int]) -> bool:
        if n < lo or (hi is not None and n > hi):
            if hi is None:
                self.error(at, f"must list at least {lo} entries, not {n}")
            else:
                self.error(at, f"must list {lo} to {hi} entries, not {n}")
            return False
        return True


_MISSING: Any = object()


def _or(default: Any, fallback: T) -> T:
    return fallback if default is REQUIRED else default


def _one_of(choices: Sequence[str]) -> str:
    names = list(choices)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]
