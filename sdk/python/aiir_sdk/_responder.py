"""The ``Responder`` base class, the ``StoreView`` it reads an incident's context
from, and ``export_responder``, which makes it the component's ``responder`` world."""

from __future__ import annotations

from typing import Optional, Protocol

from . import _adapter, _runtime
from ._detector import NativeBase
from .incidents import Incident, IncidentFinding, LineageImpact, ModelVersion, Proposal
from .settings import Settings
from .types import PluginInfo


class StoreView(Protocol):
    """Read-only views of the host's incident store (the contract's ``response``
    imports); natively, ``testing.Store`` serves what the test gives."""

    def findings(self, incident: str) -> list[IncidentFinding]:
        """The findings of an incident, oldest first (at most the newest 1000)."""
        ...

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model the registry knows, oldest first."""
        ...

    def impact(self, incident: str) -> Optional[LineageImpact]:
        """What the training data an incident's findings name reached; ``None`` when
        no recorded training run read it."""
        ...


class Responder:
    """Subclass it and override ``info`` and ``respond`` (and ``configure`` when the
    responder takes settings). The constructor takes no arguments.

    ::

        class Block(Responder):
            def info(self) -> PluginInfo:
                return PluginInfo("block", "0.1.0", "blocks principals who keep injecting prompts")

            def respond(self, incident: Incident, store: StoreView) -> list[Proposal]:
                if incident.family != "prompt-injection":
                    return []
                findings = store.findings(incident.id)
                return [Proposal.block(p, f"prompt injections by {p} in {incident.id}")
                        for p in incident.principals
                        if sum(f.principal == p for f in findings) >= 3]

        WitWorld = export_responder(Block)

    A responder only proposes: the host carries out what the operator's policy allows.
    """

    def info(self) -> PluginInfo:
        """Who the plugin is (``kinds`` is ignored for responders)."""
        raise NotImplementedError(f"{type(self).__name__}.info")

    def configure(self, settings: Settings) -> None:
        """Check and accept the operator's settings (see ``Detector.configure``)."""

    def respond(self, incident: Incident, store: StoreView) -> list[Proposal]:
        """Look at an incident and return the actions to propose (often ``[]``);
        raise ``Declined("why")`` when it could not be looked at."""
        raise NotImplementedError(f"{type(self).__name__}.respond")


class NativeExport(NativeBase):
    """What ``export_responder`` returns outside the component (see
    ``detector.NativeExport``); ``store`` stands in for the host's."""

    store: Optional[StoreView] = None

    def respond(self, incident: Incident) -> list[Proposal]:
        from .testing import Store

        assert self.plugin is not None
        return self.plugin.respond(incident, self.store or Store())


def export_responder(cls: type) -> type:
    """Export ``cls`` (a ``Responder`` subclass) as the component's ``responder``
    world: ``WitWorld = export_responder(MyResponder)`` at the top level of the app
    module. ``info`` is checked right away, so a bad one fails the build."""
    if not isinstance(cls, type) or not issubclass(cls, Responder):
        raise TypeError(f"export_responder takes a Responder subclass, not {cls!r}")
    plugin = _adapter.Plugin(cls, detector=False)
    _adapter.current = plugin
    if _runtime.in_component:
        from . import _wit

        return _wit.responder_world(plugin)
    return type("WitWorld", (NativeExport,), {"plugin": plugin})
