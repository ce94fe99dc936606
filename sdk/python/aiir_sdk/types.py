"""The data a detector sees and returns: events and findings, as plain dataclasses.

They mirror the records of the WIT contract (``aiir/wit/plugin.wit``, interface
``types``) field for field, in snake_case, so that the contract's documentation is
theirs. Inside the component the SDK converts the generated binding types to these
and back; natively (pytest) they are all there is.

Differences from the raw contract, for convenience:

- ``Event.payload`` is the record itself (an ``Inference``, a ``ToolCall`` …), not a
  tagged union; ``Event.kind`` says which.
- Every field has a default, and the builders (``Inference().user("hi")``) return the
  object, so a test event is one line.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:  # pragma: no cover
    from .text import Text


class Role(enum.Enum):
    """Who wrote a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class EventKind(enum.Enum):
    """The kinds of event, as a plugin asks for them in its ``info``."""

    INFERENCE = "inference"
    TOOL_CALL = "tool-call"
    MODEL_LIFECYCLE = "model-lifecycle"
    TRAINING_DATA = "training-data"
    TRAINING_RUN = "training-run"
    CUSTOM = "custom"


class Severity(enum.Enum):
    """How bad a finding is; ordered, ``Severity.LOW < Severity.HIGH``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for ``info`` … 4 for ``critical``."""
        return _SEVERITY_ORDER.index(self)

    def __lt__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, name: str) -> Optional[Severity]:
        """The severity called ``name`` (``info`` … ``critical``), or ``None``."""
        try:
            return cls(name)
        except ValueError:
            return None


_SEVERITY_ORDER = list(Severity)

# `aiir_sdk.text.texts`, set when that module loads (it imports this one).
_texts: Any = None


@dataclass
class ModelRef:
    """Which model served or is affected by an event."""

    name: str
    version: Optional[str] = None
    digest: Optional[str] = None


@dataclass
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass
class Document:
    """A document retrieved into the model's context (untrusted)."""

    id: str
    source: str
    content: str


@dataclass
class Inference:
    """One model call: what went in, what came out.

    ``Inference().system("be brief").user("hi").document("d1", "kb://x", "…").assistant("hello")``
    """

    input: list[Message] = field(default_factory=list)
    output: list[Message] = field(default_factory=list)
    retrieved: list[Document] = field(default_factory=list)
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None

    def _push(self, role: Role, content: str) -> Inference:
        (self.output if role is Role.ASSISTANT else self.input).append(Message(role, content))
        return self

    def system(self, content: str) -> Inference:
        """Add a system message to the input."""
        return self._push(Role.SYSTEM, content)

    def user(self, content: str) -> Inference:
        """Add a user message to the input."""
        return self._push(Role.USER, content)

    def tool(self, content: str) -> Inference:
        """Add a tool-result message to the input."""
        return self._push(Role.TOOL, content)

    def assistant(self, content: str) -> Inference:
        """Add an assistant message to the output."""
        return self._push(Role.ASSISTANT, content)

    def document(self, id: str, source: str, content: str) -> Inference:
        """Add a retrieved document to the context."""
        self.retrieved.append(Document(id, source, content))
        return self


@dataclass
class ToolCall:
    """A tool (function) call made by a model or an agent."""

    tool: str
    arguments: str = ""
    result: Optional[str] = None


@dataclass
class ModelLifecycle:
    """Something happened to a model artifact: deployed, loaded, promoted, rolled back."""

    action: str
    model: ModelRef
    registry: Optional[str] = None


@dataclass
class LabeledRecord:
    """One labeled example of a training-data batch."""

    text: str
    label: str
    source: Optional[str] = None


@dataclass
class TrainingData:
    """A batch of training or fine-tuning data entering a pipeline."""

    dataset: str
    batch: str
    revision: Optional[str] = None
    records: list[LabeledRecord] = field(default_factory=list)

    def record(self, text: str, label: str, source: Optional[str] = None) -> TrainingData:
        """Add an example."""
        self.records.append(LabeledRecord(text, label, source))
        return self


@dataclass
class DatasetInput:
    """Data a training run read: one revision of a data set, or some of its batches."""

    dataset: str
    revision: Optional[str] = None
    batches: list[str] = field(default_factory=list)


@dataclass
class TrainingRun:
    """A training or fine-tuning run changed state."""

    run: str
    job: str
    state: str
    inputs: list[DatasetInput] = field(default_factory=list)
    base: Optional[ModelRef] = None
    output: Optional[ModelRef] = None


@dataclass
class Custom:
    """An event the contract has no record for yet: ``data`` is JSON text."""

    kind: str
    data: str


Payload = Union[Inference, ToolCall, ModelLifecycle, TrainingData, TrainingRun, Custom]

_KINDS: dict[type, EventKind] = {
    Inference: EventKind.INFERENCE,
    ToolCall: EventKind.TOOL_CALL,
    ModelLifecycle: EventKind.MODEL_LIFECYCLE,
    TrainingData: EventKind.TRAINING_DATA,
    TrainingRun: EventKind.TRAINING_RUN,
    Custom: EventKind.CUSTOM,
}


@dataclass
class Event:
    """One event from a model log: ``Event("e1", Inference().user("hi"))``."""

    id: str
    payload: Payload
    time_unix_nano: int = 0
    source: str = ""
    model: Optional[ModelRef] = None
    principal: Optional[str] = None
    session: Optional[str] = None
    #: Any other key-value pairs the log carried, sorted by key.
    attributes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kind(self) -> EventKind:
        """The kind of the payload."""
        try:
            return _KINDS[type(self.payload)]
        except KeyError:
            raise TypeError(f"not a payload: {type(self.payload).__name__}") from None

    def texts(self) -> list[Text]:
        """Every piece of text in the event, in document order, with its field path."""
        return _texts(self)

    def attribute(self, key: str) -> Optional[str]:
        """The value of the attribute ``key``, if the event carries it."""
        for k, v in self.attributes:
            if k == key:
                return v
        return None

    def subject_model(self) -> Optional[ModelRef]:
        """The model the event is about: the lifecycle's model, else the event's."""
        if isinstance(self.payload, ModelLifecycle):
            return self.payload.model
        return self.model

    @classmethod
    def from_json(cls, line: Union[str, bytes, dict[str, Any]]) -> Event:
        """An event in the aiir JSON format (one line of a ``.jsonl`` log, or its dict)."""
        value = json.loads(line) if isinstance(line, (str, bytes)) else line
        return _event_from_dict(value)


@dataclass
class Evidence:
    """Where in the event a finding's cause lies."""

    field: str
    excerpt: str


@dataclass
class Finding:
    """Something a detector found in an event.

    ``Finding("acme/leak", "canary token in output", Severity.HIGH, confidence=0.9,
    techniques=["AML.T0056"]).with_evidence(text.field, excerpt(text.text, at, end))``
    """

    rule: str
    title: str
    severity: Severity
    confidence: float = 1.0
    techniques: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def with_evidence(self, field: str, excerpt: str) -> Finding:
        """Add evidence: the field path and the offending excerpt."""
        self.evidence.append(Evidence(field, excerpt))
        return self

    def with_techniques(self, *ids: str) -> Finding:
        """Add ATLAS / OWASP technique ids."""
        self.techniques.extend(ids)
        return self

    def with_confidence(self, confidence: float) -> Finding:
        """Set how sure the rule is, clamped to 0.0..1.0."""
        self.confidence = min(1.0, max(0.0, float(confidence)))
        return self


@dataclass
class PluginInfo:
    """What a plugin tells the host about itself."""

    name: str
    version: str
    description: str
    kinds: list[EventKind] = field(default_factory=list)
    #: What the settings table accepts (Markdown), shown by `aiir inspect`.
    settings: str = ""


@dataclass
class SettingsError:
    """One thing wrong with the settings: the key's path (``phrases[2]``), what is wrong."""

    path: str
    message: str


# --- the aiir JSON event format -------------------------------------------------------

_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")


def _time_unix_nano(value: Any) -> int:
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        seconds = int(when.timestamp() // 1)
        return seconds * 1_000_000_000 + when.microsecond * 1000
    m = _TIME.match(str(value))
    if not m:
        raise ValueError(f"time: {value!r} is not an RFC 3339 time")
    day, clock, fraction, offset = m.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    when = datetime.fromisoformat(f"{day}T{clock}{offset}")
    nanos = int((fraction or "0").ljust(9, "0"))
    return int(when.timestamp()) * 1_000_000_000 + nanos


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _model(value: Optional[dict[str, Any]]) -> Optional[ModelRef]:
    if value is None:
        return None
    return ModelRef(value["name"], value.get("version"), value.get("digest"))


def _payload(value: dict[str, Any]) -> Payload:
    if len(value) != 1:
        raise ValueError(f"payload: exactly one key, not {sorted(value)}")
    ((key, body),) = value.items()
    if key == "inference":
        return Inference(
            input=[Message(Role(m["role"]), m["content"]) for m in body.get("input", [])],
            output=[Message(Role(m["role"]), m["content"]) for m in body.get("output", [])],
            retrieved=[Document(d["id"], d["source"], d["content"]) for d in body.get("retrieved", [])],
            input_tokens=body.get("input_tokens"),
            output_tokens=body.get("output_tokens"),
        )
    if key == "tool_call":
        result = body.get("result")
        return ToolCall(body["tool"], _json_text(body.get("arguments", "")), None if result is None else _json_text(result))
    if key == "model_lifecycle":
        return ModelLifecycle(body["action"], _model(body["model"]), body.get("registry"))  # type: ignore[arg-type]
    if key == "training_data":
        records = [LabeledRecord(r["text"], r["label"], r.get("source")) for r in body.get("records", [])]
        return TrainingData(body["dataset"], body["batch"], body.get("revision"), records)
    if key == "training_run":
        inputs = [DatasetInput(i["dataset"], i.get("revision"), list(i.get("batches", []))) for i in body.get("inputs", [])]
        return TrainingRun(body["run"], body["job"], body["state"], inputs, _model(body.get("base")), _model(body.get("output")))
    if key == "custom":
        return Custom(body["kind"], _json_text(body.get("data")))
    raise ValueError(f"payload: unknown kind {key!r}")


def _event_from_dict(value: dict[str, Any]) -> Event:
    attributes = value.get("attributes") or {}
    return Event(
        id=value["id"],
        payload=_payload(value["payload"]),
        time_unix_nano=_time_unix_nano(value["time"]) if "time" in value else 0,
        source=value.get("source", ""),
        model=_model(value.get("model")),
        principal=value.get("principal"),
        session=value.get("session"),
        attributes=sorted((str(k), str(v)) for k, v in attributes.items()),
    )
