"""Write detector and responder plugins for aiir in Python.

A detector is one class and one line (``help(aiir_sdk.Detector)`` shows one with settings)::

    from aiir_sdk import Detector, Event, EventKind, Finding, Origin, PluginInfo, Severity, excerpt, export_detector

    class Shouting(Detector):
        def info(self) -> PluginInfo:
            return PluginInfo("shouting", "0.1.0", "a user shouts at the model", kinds=[EventKind.INFERENCE])

        def inspect(self, event: Event) -> list[Finding]:
            return [
                Finding("shouting/caps", "all caps", Severity.INFO, techniques=["LLM01"])
                .with_evidence(t.field, excerpt(t.text, 0, len(t.text)))
                for t in event.texts()
                if t.origin is Origin.USER and len(t.text) > 20 and t.text.upper() == t.text
            ]

    WitWorld = export_detector(Shouting)

Build it into a WebAssembly component with componentize-py (the project's
``build.sh``), test its logic natively with pytest through ``aiir_sdk.testing``.
The types mirror the WIT contract (``aiir/wit/plugin.wit``); its documentation is theirs.
"""

from . import log, state
from ._adapter import Declined, PluginError
from ._detector import Detector, detector, export_detector
from .incidents import (
    Action,
    BlockPrincipal,
    FileReport,
    Incident,
    IncidentFinding,
    LineageImpact,
    ModelVersion,
    Notice,
    Notify,
    Proposal,
    QuarantineModel,
    Report,
    RollbackModel,
    Scope,
    State,
)
from ._responder import Responder, StoreView, export_responder
from .settings import REQUIRED, Settings, SettingsErrors
from .state import StateError
from .text import Origin, Text, excerpt, mask, masked_excerpt, one_line
from .types import (
    Custom,
    DatasetInput,
    Document,
    Event,
    EventKind,
    Evidence,
    Finding,
    Inference,
    LabeledRecord,
    Message,
    ModelLifecycle,
    ModelRef,
    Payload,
    PluginInfo,
    Role,
    SettingsError,
    Severity,
    ToolCall,
    TrainingData,
    TrainingRun,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "BlockPrincipal",
    "Custom",
    "DatasetInput",
    "Declined",
    "Detector",
    "Document",
    "Event",
    "EventKind",
    "Evidence",
    "FileReport",
    "Finding",
    "Incident",
    "IncidentFinding",
    "Inference",
    "LabeledRecord",
    "LineageImpact",
    "Message",
    "ModelLifecycle",
    "ModelRef",
    "ModelVersion",
    "Notice",
    "Notify",
    "Origin",
    "Payload",
    "PluginError",
    "PluginInfo",
    "Proposal",
    "QuarantineModel",
    "REQUIRED",
    "Report",
    "Responder",
    "Role",
    "RollbackModel",
    "Scope",
    "Settings",
    "SettingsError",
    "SettingsErrors",
    "Severity",
    "State",
    "StateError",
    "StoreView",
    "Text",
    "ToolCall",
    "TrainingData",
    "TrainingRun",
    "detector",
    "excerpt",
    "export_detector",
    "export_responder",
    "log",
    "mask",
    "masked_excerpt",
    "one_line",
    "state",
]
