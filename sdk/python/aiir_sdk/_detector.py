"""The ``Detector`` base class and ``export_detector``, which makes it the
component's ``detector`` world."""

from __future__ import annotations

from typing import Callable, Optional, Union

from . import _adapter, _runtime
from .settings import Settings
from .types import Event, Finding, PluginInfo


class Detector:
    """Subclass it and override ``info`` and ``inspect`` (and ``configure`` when the
    detector takes settings). The constructor takes no arguments.

    A detector is one class and one line::

        class Canary(Detector):
            def info(self) -> PluginInfo:
                return PluginInfo("canary", "0.1.0", "a canary token appears in model output",
                                  kinds=[EventKind.INFERENCE], settings="`token` (string, required)")

            def configure(self, settings: Settings) -> None:
                self.token = settings.string("token")

            def inspect(self, event: Event) -> list[Finding]:
                return [
                    Finding("canary/leak", "canary token in model output", Severity.HIGH,
                            techniques=["AML.T0056", "LLM07"])
                    .with_evidence(t.field, excerpt(t.text, at, at + len(self.token)))
                    for t in event.texts()
                    if t.origin is Origin.ASSISTANT and (at := t.text.find(self.token)) >= 0
                ]

        WitWorld = export_detector(Canary)

    The host calls ``info`` once, ``configure`` once per instance with the operator's
    settings, then ``inspect`` for every event of the kinds ``info`` asked for. The SDK
    makes a fresh object of your class for every ``configure`` and keeps it (at module
    level) when the settings are accepted, so attributes set in ``configure`` are there
    in ``inspect``. What must survive a restart belongs in ``aiir_sdk.state``.
    """

    def info(self) -> PluginInfo:
        """Who the plugin is and which events it wants (no others arrive)."""
        raise NotImplementedError(f"{type(self).__name__}.info")

    def configure(self, settings: Settings) -> None:
        """Check and accept the operator's settings, reading them with ``settings``'
        accessors: every problem they record, and every key not asked for, is
        reported at once when this returns. The default asks for nothing, so it
        accepts only an empty table."""

    def inspect(self, event: Event) -> list[Finding]:
        """Look at one event and return what was found (often ``[]``). Raise
        ``Declined("why")`` when the event could not be inspected; any other exception
        is reported the same way, with its type, message and line."""
        raise NotImplementedError(f"{type(self).__name__}.inspect")


def detector(info: PluginInfo) -> Callable[[Callable[[Event], list[Finding]]], type]:
    """Make a settings-free detector of one function::

        @detector(PluginInfo("shouting", "0.1.0", "a user shouts", kinds=[EventKind.INFERENCE]))
        def shouting(event: Event) -> list[Finding]: ...

        WitWorld = export_detector(shouting)
    """

    def wrap(function: Callable[[Event], list[Finding]]) -> type:
        def _info(self: Detector) -> PluginInfo:
            return info

        def _inspect(self: Detector, event: Event) -> list[Finding]:
            return function(event)

        _inspect.__name__ = "inspect"
        name = "".join(part.title() for part in function.__name__.split("_")) or "FunctionDetector"
        return type(name, (Detector,), {"info": _info, "inspect": _inspect, "__doc__": function.__doc__})

    return wrap


class NativeBase:
    """The calls both worlds export, outside the component: ``info`` and
    ``configure`` in the SDK's types (settings errors raised as ``SettingsErrors``)."""

    plugin: Optional[_adapter.Plugin] = None

    def info(self) -> PluginInfo:
        assert self.plugin is not None
        return self.plugin.info

    def configure(self, settings: str) -> None:
        from .settings import SettingsErrors

        assert self.plugin is not None
        errors = self.plugin.configure(settings)
        if errors is not None:
            raise SettingsErrors(errors)


class NativeExport(NativeBase):
    """What ``export_detector`` returns outside the component: the export's three
    calls in the SDK's types (errors raised as ``SettingsErrors`` and
    ``PluginError``), so the app module imports and runs under pytest too."""

    def inspect(self, event: Event) -> list[Finding]:
        assert self.plugin is not None
        return self.plugin.inspect(event)


def export_detector(cls: Union[type, Callable[..., object]]) -> type:
    """Export ``cls`` (a ``Detector`` subclass) as the component's ``detector`` world.
    Assign the result to ``WitWorld`` at the top level of the app module, which is
    where componentize-py looks for it: ``WitWorld = export_detector(MyDetector)``.

    ``info`` is called and checked against the host's rules right away, so a plugin
    the host would refuse fails its build."""
    if not isinstance(cls, type) or not issubclass(cls, Detector):
        raise TypeError(f"export_detector takes a Detector subclass, not {cls!r}")
    plugin = _adapter.Plugin(cls, detector=True)
    _adapter.current = plugin
    if _runtime.in_component:
        from . import _wit

        return _wit.detector_world(plugin)
    return type("WitWorld", (NativeExport,), {"plugin": plugin})
