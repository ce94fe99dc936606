"""The host's calls, in the SDK's own types: what the component's exports do after
converting the binding types, and what ``testing`` drives natively. Every exception a
plugin raises becomes the contract's error here, with its type and message: inside
the component an uncaught exception would be a bare trap that loses both."""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from . import _runtime, boundary
from .settings import Settings, SettingsErrors
from .types import Event, Finding, PluginInfo, SettingsError

#: The plugin this component exports (one per component), kept at module level: the
#: host makes one instance of the component per replica, and componentize-py makes a
#: new object of the export class for every call, so nothing may live on that object.
current: Optional[Any] = None


class Declined(Exception):
    """Raise it from ``inspect`` (or ``respond``) when the event could not be inspected:
    the host records the event as not inspected by this plugin (reason ``declined``),
    with this message, and keeps the instance."""


class PluginError(Exception):
    """A call failed: the message the host is given (and, for an unexpected exception,
    the traceback logged beside it)."""

    def __init__(self, message: str, trace: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.trace = trace


_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _frames(e: BaseException) -> list[tuple[str, int, str]]:
    """(file, line, function) of each frame of the plugin's own code (the SDK's left
    out), outermost first. By hand rather than with ``traceback``, which reads source
    files: inside the component there are none, and touching the file system there traps."""
    out = []
    tb = e.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith(_SDK_DIR):
            out.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return out


def describe_exception(e: BaseException) -> str:
    """``ValueError: bad input (at app.py:42 in inspect)``: the type, the message and
    where it was raised, for the host's one-line error (capped at 1 KiB there)."""
    text = type(e).__name__
    try:
        message = str(e)
    except BaseException:  # a broken __str__ must not hide the error
        message = ""
    if message:
        text += f": {message}"
    frames = _frames(e)
    if frames:
        filename, line, function = frames[-1]
        text += f" (at {os.path.basename(filename)}:{line} in {function})"
    if isinstance(e, ImportError) and _runtime.in_component:
        text += "; a component imports modules only while it is built: import at the top of a module"
    return text


def failure(e: BaseException) -> PluginError:
    """The error the host is given for an exception raised by the plugin."""
    if isinstance(e, Declined):
        return PluginError(str(e) or "declined")
    lines = ["Traceback (most recent call last):"]
    lines += [f'  File "{f}", line {n}, in {name}' for f, n, name in _frames(e)]
    lines.append(describe_exception(e))
    return PluginError(lines[-1], "\n".join(lines))


def report(error: PluginError) -> None:
    """Log an unexpected exception's traceback through ``host.log`` (the error itself
    carries only its last line)."""
    if error.trace:
        trace = error.trace[-8000:]
        room = getattr(_runtime.backend, "room", None)
        if room is not None and not room(len(trace.encode("utf-8", "replace"))):
            return  # one more line would fail the call as `log-flood` and lose its error
        try:
            _runtime.backend.log("error", trace)
        except BaseException:  # never let logging turn an error into a trap
            pass


class Plugin:
    """One exported detector or responder class: its info, checked once (at build
    time, inside the component), and the configured instance."""

    def __init__(self, cls: type, detector: bool):
        self.cls = cls
        self.detector = detector
        info = cls().info()
        problem = boundary.check_info(info, detector=detector)
        if problem:
            raise ValueError(f"{cls.__name__}.info(): the host would refuse it: {problem}")
        self.info: PluginInfo = info
        # Used until `configure` succeeds (the host always configures first).
        self.instance = cls()

    def configure(self, json_text: str) -> Optional[list[SettingsError]]:
        """``None`` when accepted, else every problem. A new instance is configured and
        kept only when it accepts the settings."""
        try:
            settings = Settings.from_json(json_text)
            instance = self.cls()
            instance.configure(settings)
            settings.check()
        except SettingsErrors as e:
            return e.errors or [SettingsError("", "settings refused")]
        except BaseException as e:
            error = failure(e)
            report(error)
            return [SettingsError("", f"configure failed: {error.message}")]
        self.instance = instance
        return None

    def call(self, method: Callable[..., Any], *args: Any) -> list[Any]:
        """Call ``inspect`` or ``respond``; raises ``PluginError`` on any exception."""
        try:
            result = method(*args)
            if result is None:
                raise TypeError(f"{method.__name__} returned None: return a list (empty when nothing was found)")
            return list(result)
        except BaseException as e:
            error = failure(e)
            report(error)
            raise error from None

    def inspect(self, event: Event) -> list[Finding]:
        return self.call(self.instance.inspect, event)

    def respond(self, incident: Any, store: Any) -> list[Any]:
        return self.call(self.instance.respond, incident, store)
