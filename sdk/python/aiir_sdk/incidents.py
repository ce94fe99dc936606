"""Incidents as responders see them, and the actions responders may propose: the
records of the contract's ``incidents`` interface, as dataclasses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional, Union

from .types import Finding, ModelRef, Severity


class State(enum.Enum):
    """Where an incident is in its lifecycle."""

    OPEN = "open"
    CONTAINED = "contained"
    RECOVERED = "recovered"
    CLOSED = "closed"


class Scope(enum.Enum):
    """What the findings of an incident have in common."""

    MODEL = "model"
    SESSION = "session"
    PRINCIPAL = "principal"


@dataclass
class Incident:
    """A group of findings that are one incident:
    ``Incident("INC-1", "prompt-injection", Scope.PRINCIPAL, "mallory", principals=["mallory"])``."""

    id: str
    family: str
    scope: Scope
    key: str
    #: One line for a human; the family when not given.
    title: str = ""
    severity: Severity = Severity.MEDIUM
    state: State = State.OPEN
    model: Optional[ModelRef] = None
    principals: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    finding_count: int = 1
    first_seen_unix_nano: int = 0
    last_seen_unix_nano: int = 0
    opened_unix_nano: int = 0

    def __post_init__(self) -> None:
        if not self.title:
            self.title = self.family


@dataclass
class IncidentFinding:
    """One finding of an incident, with the event it came from."""

    event_id: str
    time_unix_nano: int
    plugin: str
    finding: Finding
    model: Optional[ModelRef] = None
    principal: Optional[str] = None
    session: Optional[str] = None


@dataclass
class ModelVersion:
    """One version of a model in the host's registry."""

    model: str
    version: str
    digest: Optional[str] = None
    known_good: bool = False
    quarantined: bool = False
    serving: bool = False
    registered_unix_nano: int = 0

    def model_ref(self) -> ModelRef:
        """The version as a ``ModelRef``, to quarantine it for instance."""
        return ModelRef(self.model, self.version, self.digest)


@dataclass
class LineageImpact:
    """What the data an incident's findings name reached, by the host's lineage."""

    affected: list[ModelRef] = field(default_factory=list)
    clean: list[ModelRef] = field(default_factory=list)
    events: int = 0
    sessions: int = 0
    principals: int = 0


@dataclass
class Notice:
    """A message for a webhook: the URL (its host on the operator's allow-list), a JSON body."""

    url: str
    body: str


@dataclass
class Report:
    """A report to file: its kind (a slug, used in file names), Markdown and JSON."""

    kind: str
    markdown: str
    json: str


@dataclass
class RollbackModel:
    """Move the model's serving alias back to its newest known-good version."""

    model: str


@dataclass
class QuarantineModel:
    """Quarantine a model version: events it serves become findings."""

    model: ModelRef


@dataclass
class BlockPrincipal:
    """Block a principal: its later events become findings."""

    principal: str


@dataclass
class Notify:
    """POST a notice to a webhook."""

    notice: Notice


@dataclass
class FileReport:
    """Write a report beside the store."""

    report: Report


Action = Union[RollbackModel, QuarantineModel, BlockPrincipal, Notify, FileReport]


@dataclass
class Proposal:
    """An action and why (one line for the audit log). The host decides, by the
    operator's policy, whether it is done, only recorded or queued for approval."""

    action: Action
    reason: str

    @classmethod
    def rollback(cls, model: str, reason: str) -> Proposal:
        """Move ``model``'s serving alias back to its newest known-good version."""
        return cls(RollbackModel(model), reason)

    @classmethod
    def quarantine(cls, model: ModelRef, reason: str) -> Proposal:
        """Quarantine a model version."""
        return cls(QuarantineModel(model), reason)

    @classmethod
    def block(cls, principal: str, reason: str) -> Proposal:
        """Block a principal."""
        return cls(BlockPrincipal(principal), reason)

    @classmethod
    def notify(cls, url: str, body: str, reason: str) -> Proposal:
        """POST the JSON ``body`` to the webhook at ``url``."""
        return cls(Notify(Notice(url, body)), reason)

    @classmethod
    def file_report(cls, report: Report, reason: str) -> Proposal:
        """File a report."""
        return cls(FileReport(report), reason)
