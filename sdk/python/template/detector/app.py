"""{{name}}: flags the watched phrases wherever they appear in a model call or a tool call.

Start here: change `inspect` to look for what your incident looks like, keep the cases
in `cases.toml` and the tests in `tests/` in step, and run
`./build.sh && aiir test {{name}}.wasm --cases cases.toml`.
"""

import re

from aiir_sdk import (
    Detector,
    Event,
    EventKind,
    Finding,
    PluginInfo,
    Settings,
    Severity,
    excerpt,
    export_detector,
    log,
    one_line,
)

RULE = "{{name}}/phrase"
DEFAULT_PHRASES = ["previous instructions"]
MAX_PHRASES = 64
MAX_PHRASE_CHARS = 200
# The host fails a call that returns more findings than its `max_findings` (100).
MAX_FINDINGS = 100

SETTINGS = """\
- `phrases` (list of 1 to 64 strings of 1 to 200 characters, default `["previous instructions"]`): \
what to watch for, matched case-insensitively in every message, retrieved document and tool call.
- `severity` (`info`, `low`, `medium`, `high` or `critical`, default `medium`): the severity of each finding."""


class Watch(Detector):
    """The detector: its settings, checked, with a pattern per phrase."""

    def __init__(self) -> None:
        self.severity = Severity.MEDIUM
        self.patterns = _compile(DEFAULT_PHRASES)

    def info(self) -> PluginInfo:
        return PluginInfo(
            name="{{name}}",
            version="0.1.0",
            description="Flags watched phrases in prompts, outputs, documents and tool calls",
            kinds=[EventKind.INFERENCE, EventKind.TOOL_CALL],
            settings=SETTINGS,
        )

    def configure(self, settings: Settings) -> None:
        # Each accessor records what is wrong with its key and reads on; the SDK
        # reports every problem (and every unknown key) when this returns.
        phrases = settings.strings(
            "phrases", DEFAULT_PHRASES, min_items=1, max_items=MAX_PHRASES, max_chars=MAX_PHRASE_CHARS
        )
        self.severity = settings.severity("severity", Severity.MEDIUM)
        self.patterns = _compile(phrases)

    def inspect(self, event: Event) -> list[Finding]:
        findings = []
        for text in event.texts():
            for phrase, pattern in self.patterns:
                match = pattern.search(text.text)
                if match is None:
                    continue
                if len(findings) == MAX_FINDINGS:
                    log.warn(f"event {event.id}: more than {MAX_FINDINGS} hits, the rest not reported")
                    return findings
                title = one_line(f'Watched phrase "{phrase}" in {text.field}')
                findings.append(
                    Finding(RULE, title, self.severity, confidence=0.9, techniques=["AML.T0051"]).with_evidence(
                        text.field, excerpt(text.text, match.start(), match.end())
                    )
                )
        return findings


def _compile(phrases: list[str]) -> list[tuple[str, "re.Pattern[str]"]]:
    return [(p, re.compile(re.escape(p), re.IGNORECASE)) for p in phrases]


# The component's export: componentize-py looks for `WitWorld` in this module.
WitWorld = export_detector(Watch)
