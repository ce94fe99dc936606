"""Test a plugin's logic natively, with pytest, no component build.

``Harness`` drives a detector the way the host does: ``configure`` with the settings,
then ``inspect`` only the events whose kind ``info`` asks for, with state kept per
partition, and checks every finding against the host's rules (``boundary``)::

    from aiir_sdk import Event, Inference
    from aiir_sdk.testing import Harness, settings_errors

    def test_fires_on_the_default_phrase():
        h = Harness(Watch)
        assert h.rules(Event("e1", Inference().user("ignore previous instructions"))) == ["watch/phrase"]

    def test_every_problem_is_reported():
        assert settings_errors(Watch, {"severity": "urgent"}) == [("severity", "must be …")]

``Cases`` runs an ``aiir test`` cases file natively (Python 3.11+, for ``tomllib``), so
the same cases check the logic in pytest and the built component in ``aiir test``.
``ResponderHarness`` and ``Store`` do the same for responders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable, Optional, Union

from . import _adapter, _runtime, boundary
from .incidents import Incident, IncidentFinding, LineageImpact, ModelVersion, Proposal
from .settings import SettingsErrors
from .types import Event, Finding, Severity, SettingsError

SettingsArg = Union[str, dict, None]

#: Fields evidence may point at besides those of ``Event.texts()``.
NON_TEXT_FIELDS = (
    "model.",
    "principal",
    "session",
    "attributes.",
    "payload.model_lifecycle.",
    "payload.tool_call.tool",
    "payload.inference.input_tokens",
    "payload.inference.output_tokens",
    "payload.training_data.",
    "payload.custom.kind",
)


def _json(settings: SettingsArg) -> str:
    if settings is None:
        return "{}"
    if isinstance(settings, str):
        return settings
    return json.dumps(settings, default=str)


def _fresh_backend() -> _runtime.Native:
    if _runtime.in_component:  # pragma: no cover
        raise RuntimeError("aiir_sdk.testing runs natively, not inside the component")
    backend = _runtime.Native()
    _runtime.backend = backend
    return backend


def settings_errors(cls: type, settings: SettingsArg) -> list[tuple[str, str]]:
    """The problems ``cls`` finds in ``settings`` (a dict or JSON text), as
    ``(path, message)`` pairs in the order reported; ``[]`` when it accepts them."""
    plugin = _adapter.Plugin(cls, detector=_is_detector(cls))
    errors = plugin.configure(_json(settings))
    return [(e.path, e.message) for e in errors or []]


def _is_detector(cls: type) -> bool:
    from ._detector import Detector

    return issubclass(cls, Detector)


class Harness:
    """One detector instance driven as the host would drive it.

    ``Harness(Watch)`` configures it with ``{}``; ``Harness(Watch, {"severity": "high"})``
    (or JSON text) with those settings; either raises ``SettingsErrors`` when refused.
    The state (``aiir_sdk.state``) starts empty with each harness."""

    def __init__(self, cls: type, settings: SettingsArg = None):
        self._plugin = _adapter.Plugin(cls, detector=True)
        self._settings = _json(settings)
        errors = self._plugin.configure(self._settings)
        if errors is not None:
            raise SettingsErrors(errors)
        self._backend = _fresh_backend()
        self._partition: Callable[[Event], str] = lambda event: ""
        self.info = self._plugin.info

    @property
    def detector(self) -> Any:
        """The configured detector object, to look at what it keeps."""
        return self._plugin.instance

    def partition_by(self, partition: Callable[[Event], str]) -> Harness:
        """Keep state by the key ``partition`` gives each event, as the host does by
        the detector's configured partition (one partition for all when not said)."""
        self._partition = partition
        return self

    def restart(self) -> None:
        """A new instance with the same settings, keeping the state, as the host
        makes after a failure or a restart."""
        errors = self._plugin.configure(self._settings)
        if errors is not None:  # pragma: no cover - the same settings were accepted once
            raise SettingsErrors(errors)

    def sent(self, event: Event) -> bool:
        """Whether the host would send ``event`` to this detector (its kind is asked for)."""
        return event.kind in self.info.kinds

    def try_inspect(self, event: Event) -> list[Finding]:
        """Inspect one event, unchecked; raises ``PluginError`` as the host would
        record the plugin's error (``Declined`` or any other exception)."""
        if not self.sent(event):
            return []
        self._backend.current_partition = self._partition(event)
        self._backend.in_call = True
        try:
            return self._plugin.inspect(event)
        finally:
            self._backend.in_call = False

    def inspect(self, event: Event) -> list[Finding]:
        """Inspect one event (nothing when its kind was not asked for); fails the test
        when the detector raises or returns a finding the host would refuse."""
        findings = self.try_inspect(event)
        check_findings(self.info.name, event, findings)
        return findings

    def rules(self, event: Event) -> list[str]:
        """The rule ids found in one event, in order."""
        return [f.rule for f in self.inspect(event)]

    def logs(self) -> list[tuple[str, str]]:
        """The ``(level, message)`` lines logged since the last call, oldest first."""
        lines, self._backend.lines = self._backend.lines, []
        return lines


def check_findings(plugin: str, event: Event, findings: list[Finding]) -> None:
    """Fail (``AssertionError``) on what the host would refuse, and on two things it
    cannot check: evidence pointing at a field this event lacks, a finding without a
    technique."""
    assert len(findings) <= boundary.MAX_FINDINGS, (
        f"{len(findings)} findings on event {event.id}, more than the host's max_findings ({boundary.MAX_FINDINGS})"
    )
    fields = {t.field for t in event.texts()}
    for n, f in enumerate(findings):
        problem = boundary.check_finding(plugin, f)
        assert problem is None, f"the host would refuse findings[{n}] ({getattr(f, 'rule', f)!r}): {problem}"
        assert f.techniques, f"finding {f.rule} names no technique"
        for e in f.evidence:
            known = e.field in fields or e.field.startswith(NON_TEXT_FIELDS)
            assert known, f"finding {f.rule} points at {e.field!r}, not a field of event {event.id}"


# --- responders -------------------------------------------------------------------------


class Store:
    """The host's store as a responder sees it (a ``StoreView``), from data the test gives::

        store = Store().add_finding("INC-1", IncidentFinding("e1", 1, "prompt-injection", finding, principal="mallory"))
    """

    MAX_FINDINGS = 1000

    def __init__(self) -> None:
        self._findings: list[tuple[str, IncidentFinding]] = []
        self._versions: list[ModelVersion] = []
        self._impacts: dict[str, LineageImpact] = {}

    def add_finding(self, incident: str, finding: IncidentFinding) -> Store:
        """Add a finding of ``incident``; give them oldest first."""
        self._findings.append((incident, finding))
        return self

    def add_version(self, version: ModelVersion) -> Store:
        """Add a model version; give each model's oldest first."""
        self._versions.append(version)
        return self

    def add_impact(self, incident: str, impact: LineageImpact) -> Store:
        """Say what the data of ``incident`` reached."""
        self._impacts[incident] = impact
        return self

    def findings(self, incident: str) -> list[IncidentFinding]:
        """The findings of an incident, oldest first (at most the newest 1000)."""
        mine = [f for i, f in self._findings if i == incident]
        return mine[-self.MAX_FINDINGS :]

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model, oldest first."""
        return [v for v in self._versions if v.model == model]

    def impact(self, incident: str) -> Optional[LineageImpact]:
        """What the data of ``incident`` reached, if the test said."""
        return self._impacts.get(incident)


class ResponderHarness:
    """One responder instance driven as the host would, over a ``Store``."""

    def __init__(self, cls: type, settings: SettingsArg = None, store: Optional[Store] = None):
        self._plugin = _adapter.Plugin(cls, detector=False)
        errors = self._plugin.configure(_json(settings))
        if errors is not None:
            raise SettingsErrors(errors)
        self._backend = _fresh_backend()
        self.store = store or Store()
        self.info = self._plugin.info

    @property
    def responder(self) -> Any:
        return self._plugin.instance

    def try_respond(self, incident: Incident) -> list[Proposal]:
        """Respond to one incident, unchecked; raises ``PluginError`` on its error."""
        return self._plugin.respond(incident, self.store)

    def respond(self, incident: Incident) -> list[Proposal]:
        """Respond to one incident; fails the test on an error or on a proposal whose
        shape the host would refuse."""
        proposals = self.try_respond(incident)
        assert len(proposals) <= boundary.MAX_PROPOSALS, f"{len(proposals)} proposals, more than the host's cap"
        for n, p in enumerate(proposals):
            problem = boundary.check_proposal(p)
            assert problem is None, f"the host would refuse proposals[{n}]: {problem}"
        return proposals

    def logs(self) -> list[tuple[str, str]]:
        lines, self._backend.lines = self._backend.lines, []
        return lines


# --- aiir test cases files ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """TOML values as JSON would have them (dates as RFC 3339 text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


@dataclass
class CaseResult:
    """One case run natively: whether it passed, why not, what was found."""

    name: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    findings: list[tuple[str, Finding]] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"{'PASS' if self.passed else 'FAIL'}  {self.name}"]
        lines += [f"      {f}" for f in self.failures]
        for n, (event, f) in enumerate(self.findings, 1):
            at = f.evidence[0].field if f.evidence else "-"
            lines.append(f"        #{n} {f.rule}  {f.severity.value}  event {event}  at {at}")
        return "\n".join(lines)


def _matches(spec: dict[str, Any], event: str, f: Finding) -> bool:
    if "rule" in spec and f.rule != spec["rule"]:
        return False
    if "min_severity" in spec and f.severity < Severity(spec["min_severity"]):
        return False
    if "technique" in spec and spec["technique"] not in f.techniques:
        return False
    if "event" in spec and event != spec["event"]:
        return False
    return True


class Cases:
    """An ``aiir test`` cases file, run natively against a detector class::

        CASES = Cases("cases.toml")

        @pytest.mark.parametrize("name", CASES.names())
        def test_case(name):
            CASES.check(Watch, name)
    """

    def __init__(self, path: str):
        try:
            import tomllib
        except ImportError as e:  # pragma: no cover - Python 3.10
            raise RuntimeError("reading a cases file natively needs Python 3.11 or later (tomllib)") from e
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        self.path = path
        self.settings: dict[str, Any] = _plain(doc.get("settings", {}))
        self.cases: list[dict[str, Any]] = doc.get("case", [])

    def names(self) -> list[str]:
        """The cases' names, in file order."""
        return [c["name"] for c in self.cases]

    def run(self, cls: type, name: str) -> CaseResult:
        """Run one case in a fresh detector, as ``aiir test`` does."""
        case = next((c for c in self.cases if c["name"] == name), None)
        if case is None:
            raise KeyError(f"no case {name!r} in {self.path}")
        result = CaseResult(name, True)
        settings = _plain(case.get("settings", self.settings))
        try:
            h = Harness(cls, settings)
        except SettingsErrors as e:
            result.failures += ["settings rejected:"] + [f"  {x.path}: {x.message}" for x in e.errors]
            result.passed = False
            return result
        for raw in case.get("events", []):
            event = Event.from_json(_plain(raw))
            if not h.sent(event):
                result.not_sent.append(event.id)
                continue
            try:
                findings = h.inspect(event)
            except (_adapter.PluginError, AssertionError) as e:
                result.failures.append(f"event {event.id}: plugin error: {e}")
                continue
            result.findings += [(event.id, f) for f in findings]
        for spec in case.get("expect", []):
            got = sum(_matches(spec, e, f) for e, f in result.findings)
            want = spec.get("count")
            if (want is None and got == 0) or (want is not None and got != want):
                result.failures.append(f"expected {spec}, got {got}")
        for spec in case.get("forbid", []):
            got = sum(_matches(spec, e, f) for e, f in result.findings)
            if got:
                result.failures.append(f"forbidden {spec}, got {got}")
        if case.get("none") and result.findings:
            result.failures.append(f"expected no findings, got {len(result.findings)}")
        result.passed = not result.failures
        return result

    def check(self, cls: type, name: str) -> None:
        """Run one case; fail (``AssertionError``) with the diff when it does not pass."""
        result = self.run(cls, name)
        assert result.passed, result.report()


__all__ = [
    "Cases",
    "CaseResult",
    "Harness",
    "ResponderHarness",
    "SettingsError",
    "Store",
    "check_findings",
    "settings_errors",
]
