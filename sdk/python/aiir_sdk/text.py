"""Walk every piece of text in an event, with the path of its field for evidence, and
cut excerpts and one-line titles that the host accepts."""

from __future__ import annotations

import enum
import unicodedata
from typing import NamedTuple

from . import types as _types
from .types import Custom, Event, Inference, Role, ToolCall, TrainingData

#: Context kept on each side of a match in an excerpt, in characters.
CONTEXT_CHARS = 40
#: Longest match kept whole in an excerpt, in characters.
MATCH_CHARS = 160


class Origin(enum.Enum):
    """Where a piece of text came from, which says how far it can be trusted."""

    SYSTEM = "system"  #: the application's own instructions (system prompt)
    USER = "user"  #: an end user's message
    ASSISTANT = "assistant"  #: the model's output
    TOOL_RESULT = "tool-result"  #: a tool's result, as a message or in a tool call
    RETRIEVED = "retrieved"  #: a document retrieved into the context
    TOOL_ARGUMENTS = "tool-arguments"  #: the arguments the model gave a tool
    TRAINING_RECORD = "training-record"  #: an example of a training-data batch
    CUSTOM = "custom"  #: the body of a custom event

    @property
    def is_third_party(self) -> bool:
        """Text from a third party rather than the user served: where indirect
        prompt injection hides."""
        return self in (Origin.TOOL_RESULT, Origin.RETRIEVED)


class Text(NamedTuple):
    """One piece of text in an event (a named tuple: cheap to make, per text per event)."""

    #: Path of the field, as in the aiir JSON format: ``payload.inference.input[1].content``.
    field: str
    #: Where the text came from.
    origin: Origin
    #: The text.
    text: str


_ORIGIN_OF = {
    Role.SYSTEM: Origin.SYSTEM,
    Role.USER: Origin.USER,
    Role.ASSISTANT: Origin.ASSISTANT,
    Role.TOOL: Origin.TOOL_RESULT,
}


def texts(event: Event) -> list[Text]:
    """Every piece of text in ``event``, in document order, with its field path
    (the same paths, in the same order, as the Rust SDK's ``Event::texts``)."""
    origin_of = _ORIGIN_OF
    p = event.payload
    out: list[Text] = []
    if isinstance(p, Inference):
        for name, messages in (("input", p.input), ("output", p.output)):
            for n, m in enumerate(messages):
                out.append(Text(f"payload.inference.{name}[{n}].content", origin_of[m.role], m.content))
        for n, d in enumerate(p.retrieved):
            out.append(Text(f"payload.inference.retrieved[{n}].content", Origin.RETRIEVED, d.content))
    elif isinstance(p, ToolCall):
        out.append(Text("payload.tool_call.arguments", Origin.TOOL_ARGUMENTS, p.arguments))
        if p.result is not None:
            out.append(Text("payload.tool_call.result", Origin.TOOL_RESULT, p.result))
    elif isinstance(p, TrainingData):
        for n, r in enumerate(p.records):
            out.append(Text(f"payload.training_data.records[{n}].text", Origin.TRAINING_RECORD, r.text))
    elif isinstance(p, Custom):
        out.append(Text("payload.custom.data", Origin.CUSTOM, p.data))
    return out


def excerpt(text: str, start: int, end: int) -> str:
    """The part of ``text`` from ``start`` to ``end`` (character offsets, as Python
    indexes a ``str``) with a little context either side, marked with ``…`` where cut;
    fit to be evidence. At most 40 + 160 + 40 characters and the two marks."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    matched = text[start:end][:MATCH_CHARS]
    before = text[max(0, start - CONTEXT_CHARS) : start]
    lead = "…" if len(before) < start else ""
    if len(matched) < end - start:
        return f"{lead}{before}{matched}…"
    after = text[end : end + CONTEXT_CHARS]
    tail = "…" if end + len(after) < len(text) else ""
    return f"{lead}{before}{matched}{after}{tail}"


#: Longest run of ``*`` a mask writes; longer data say how much was cut instead.
MAX_STARS = 16


def stars(n: int) -> str:
    """``n`` stars, or ``*[n]*`` when that would be long."""
    return f"*[{n}]*" if n > MAX_STARS else "*" * n


def mask(value: str, keep_start: int = 0, keep_end: int = 4) -> str:
    """Enough of a datum to recognise it in a report, never enough to use it: its first
    ``keep_start`` and last ``keep_end`` characters, the rest starred
    (``AKIAIOSFODNN7EXAMPLE`` → ``AKIA************MPLE`` with ``keep_start=4``). A value
    too short to keep that much of and still hide 8 characters is starred whole."""
    n = len(value)
    if n < keep_start + keep_end + 8:
        return stars(n)
    return value[:keep_start] + stars(n - keep_start - keep_end) + value[n - keep_end :]


def masked_excerpt(text: str, start: int, end: int, keep_start: int = 0, keep_end: int = 4) -> str:
    """``excerpt``, with the match itself masked (``mask``): evidence for a secret or
    personal data that does not repeat it."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    lead = "…" if len(before) < start else ""
    tail = "…" if end + len(after) < len(text) else ""
    return f"{lead}{before}{mask(text[start:end], keep_start, keep_end)}{after}{tail}"


_BIDI = {"\u061c", "\u200e", "\u200f", "\u2028", "\u2029"} | {chr(c) for c in range(0x202A, 0x202F)} | {
    chr(c) for c in range(0x2066, 0x206A)
}


def is_unsafe(c: str) -> bool:
    """Whether the host refuses ``c`` in plain one-line text (a title, a field, a
    name): control characters (C0, DEL, C1), bidi controls, line and paragraph separators."""
    return unicodedata.category(c) == "Cc" or c in _BIDI


def one_line(text: str, max_bytes: int = 512) -> str:
    """``text`` made fit for a title: each control or bidi character replaced by a
    space, and cut with ``…`` to at most ``max_bytes`` bytes of UTF-8 (a title's cap is 512)."""
    clean = "".join(" " if is_unsafe(c) else c for c in text)
    if len(clean.encode("utf-8")) <= max_bytes:
        return clean
    budget = max_bytes - len("…".encode("utf-8"))
    out, used = [], 0
    for c in clean:
        size = len(c.encode("utf-8"))
        if used + size > budget:
            break
        out.append(c)
        used += size
    return "".join(out) + "…"


_types._texts = texts  # Event.texts() calls it without an import per call
