"""Inside the component only: the export classes componentize-py calls, the
conversions between the generated binding types (``wit_world``) and the SDK's, and
the host backend for logging, ``print`` and state.

Every export catches every exception and returns the contract's error: with
``--stub-wasi`` an uncaught exception (and anything written to stdout or stderr) would
be a bare trap without a message.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

from componentize_py_types import Err  # type: ignore[import-not-found]
from wit_world.imports import host as _host  # type: ignore[import-not-found]
from wit_world.imports import types as wt  # type: ignore[import-not-found]

from . import _adapter, _runtime
from . import incidents as si
from . import types as st

try:  # the detector world imports `state`; the responder world does not
    from wit_world.imports import state as _state  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    _state = None
try:  # the responder world imports `incidents` and `response`
    from wit_world.imports import incidents as wi  # type: ignore[import-not-found]
    from wit_world.imports import response as _response  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    wi = None
    _response = None

# The host's per-call caps on `log` (defaults of `max_log_calls`, `max_log_bytes`).
_LOG_CALLS = 100
_LOG_BYTES = 65536

_LEVEL = {
    "debug": _host.Level.DEBUG,
    "info": _host.Level.INFO,
    "warn": _host.Level.WARN,
    "error": _host.Level.ERROR,
}


class Host:
    """The contract's imports behind ``aiir_sdk.log`` and ``aiir_sdk.state``."""

    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0

    def start_call(self) -> None:
        self.calls = 0
        self.bytes = 0

    def room(self, size: int) -> bool:
        """Whether one more line of ``size`` bytes stays within the host's default caps."""
        return self.calls + 1 < _LOG_CALLS and self.bytes + size < _LOG_BYTES

    def log(self, level: str, message: str) -> None:
        self.calls += 1
        self.bytes += len(message.encode("utf-8", "replace"))
        _host.log(_LEVEL[level], message)

    def partition(self) -> str:
        return _state.partition() if _state else ""

    def get(self, key: str) -> Optional[bytes]:
        return _state.get(key) if _state else None

    def set(self, key: str, value: bytes) -> Optional[str]:
        if _state is None:
            return "a responder keeps no state"
        try:
            _state.set(key, value)
        except Err as e:
            return str(e.value)
        return None

    def remove(self, key: str) -> None:
        if _state:
            _state.remove(key)

    def keys(self) -> list[str]:
        return list(_state.keys()) if _state else []


class _LogStream:
    """``sys.stdout`` / ``sys.stderr`` inside the component: each line written is one
    ``host.log`` call (WASI's stdout is a trapping stub there)."""

    def __init__(self, level: str):
        self.level = level
        self.pending = ""
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        self.pending += str(text)
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            _runtime.backend.log(self.level, line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            line, self.pending = self.pending, ""
            _runtime.backend.log(self.level, line)

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


_HOST = Host()
_runtime.backend = _HOST
_runtime.in_component = True
_stdout = _LogStream("info")
_stderr = _LogStream("warn")


_started = False


def _no_clock(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(
        "the component has no clock (built with --stub-wasi): use the event's time_unix_nano"
    )


def _no_entropy(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the component has no source of entropy (built with --stub-wasi)")


def _start() -> None:
    """Once, at the first call (at run time, not while the build snapshots the
    module): with ``--stub-wasi`` every WASI import is a trap without a message, so turn
    what would reach one into an exception. Nothing on ``sys.path`` exists at run time:
    an import of a module not loaded at build time then fails as ModuleNotFoundError.
    The clocks and ``os.urandom`` raise RuntimeError."""
    global _started
    _started = True
    sys.path[:] = []
    sys.path_importer_cache.clear()
    for name in (
        "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
        "process_time", "process_time_ns", "thread_time", "thread_time_ns", "sleep",
    ):
        if hasattr(time, name):
            setattr(time, name, _no_clock)
    os.urandom = _no_entropy


def _enter() -> None:
    """At the start of every export call: reset the log budget, point stdio at the log."""
    if not _started:
        _start()
    _HOST.start_call()
    sys.stdout = _stdout
    sys.stderr = _stderr


def _leave() -> None:
    try:
        _stdout.flush()
        _stderr.flush()
    except BaseException:
        pass


# --- types in ------------------------------------------------------------------------

_ROLE = {w: st.Role[w.name] for w in wt.Role}
_KIND_OUT = {k: wt.EventKind[k.name] for k in st.EventKind}
_SEVERITY_IN = {w: st.Severity[w.name] for w in wt.Severity}
_SEVERITY_OUT = {s: wt.Severity[s.name] for s in st.Severity}


def _model_in(m: Any) -> Optional[st.ModelRef]:
    return None if m is None else st.ModelRef(m.name, m.version, m.digest)


def _model_out(m: Optional[st.ModelRef]) -> Any:
    return None if m is None else wt.ModelRef(m.name, m.version, m.digest)


def _payload_in(p: Any) -> st.Payload:
    v = p.value
    if isinstance(p, wt.Payload_Inference):
        return st.Inference(
            [st.Message(_ROLE[m.role], m.content) for m in v.input],
            [st.Message(_ROLE[m.role], m.content) for m in v.output],
            [st.Document(d.id, d.source, d.content) for d in v.retrieved],
            v.input_tokens,
            v.output_tokens,
        )
    if isinstance(p, wt.Payload_ToolCall):
        return st.ToolCall(v.tool, v.arguments, v.result)
    if isinstance(p, wt.Payload_ModelLifecycle):
        return st.ModelLifecycle(v.action, _model_in(v.model), v.registry)  # type: ignore[arg-type]
    if isinstance(p, wt.Payload_TrainingData):
        records = [st.LabeledRecord(r.text, r.label, r.source) for r in v.records]
        return st.TrainingData(v.dataset, v.batch, v.revision, records)
    if isinstance(p, wt.Payload_TrainingRun):
        inputs = [st.DatasetInput(i.dataset, i.revision, list(i.batches)) for i in v.inputs]
        return st.TrainingRun(v.run, v.job, v.state, inputs, _model_in(v.base), _model_in(v.output))
    if isinstance(p, wt.Payload_Custom):
        return st.Custom(v.kind, v.data)
    raise TypeError(f"unknown payload {type(p).__name__}")


def event_in(e: Any) -> st.Event:
    return st.Event(
        e.id,
        _payload_in(e.payload),
        e.time_unix_nano,
        e.source,
        _model_in(e.model),
        e.principal,
        e.session,
        [(k, v) for k, v in e.attributes],
    )


def _finding_in(f: Any) -> st.Finding:
    return st.Finding(
        f.rule,
        f.title,
        _SEVERITY_IN[f.severity],
        f.confidence,
        list(f.techniques),
        [st.Evidence(e.field, e.excerpt) for e in f.evidence],
    )


# --- types out -----------------------------------------------------------------------


def _finding_out(f: st.Finding) -> Any:
    if not isinstance(f, st.Finding):
        raise TypeError(f"inspect returned {type(f).__name__}, not a Finding")
    return wt.Finding(
        f.rule,
        f.title,
        _SEVERITY_OUT[f.severity],
        float(f.confidence),
        [str(t) for t in f.techniques],
        [wt.Evidence(e.field, e.excerpt) for e in f.evidence],
    )


def info_out(i: st.PluginInfo) -> Any:
    return wt.PluginInfo(i.name, i.version, i.description, [_KIND_OUT[k] for k in i.kinds], i.settings)


def _settings_errors_out(errors: list[st.SettingsError]) -> list[Any]:
    return [wt.SettingsError(str(e.path), str(e.message)) for e in errors]


def _configure(plugin: _adapter.Plugin, settings: str) -> None:
    _enter()
    try:
        errors = plugin.configure(settings)
    finally:
        _leave()
    if errors is not None:
        raise Err(_settings_errors_out(errors))


# --- the detector world --------------------------------------------------------------


def detector_world(plugin: _adapter.Plugin) -> type:
    info = info_out(plugin.info)

    class WitWorld:
        def info(self) -> Any:
            return info

        def configure(self, settings: str) -> None:
            _configure(plugin, settings)

        def inspect(self, event: Any) -> list[Any]:
            _enter()
            try:
                findings = plugin.inspect(event_in(event))
                return [_finding_out(f) for f in findings]
            except _adapter.PluginError as e:
                raise Err(e.message) from None
            except BaseException as e:  # a conversion failed: the plugin returned a wrong type
                error = _adapter.failure(e)
                raise Err(error.message) from None
            finally:
                _leave()

    return WitWorld


# --- the responder world -------------------------------------------------------------


def _incident_in(i: Any) -> si.Incident:
    return si.Incident(
        id=i.id,
        family=i.family,
        scope=si.Scope[i.scope.name],
        key=i.key,
        title=i.title,
        severity=_SEVERITY_IN[i.severity],
        state=si.State[i.state.name],
        model=_model_in(i.model),
        principals=list(i.principals),
        sessions=list(i.sessions),
        techniques=list(i.techniques),
        rules=list(i.rules),
        finding_count=i.finding_count,
        first_seen_unix_nano=i.first_seen_unix_nano,
        last_seen_unix_nano=i.last_seen_unix_nano,
        opened_unix_nano=i.opened_unix_nano,
    )


def _proposal_out(p: si.Proposal) -> Any:
    if not isinstance(p, si.Proposal):
        raise TypeError(f"respond returned {type(p).__name__}, not a Proposal")
    a = p.action
    if isinstance(a, si.RollbackModel):
        action = wi.Action_RollbackModel(a.model)
    elif isinstance(a, si.QuarantineModel):
        action = wi.Action_QuarantineModel(_model_out(a.model))
    elif isinstance(a, si.BlockPrincipal):
        action = wi.Action_BlockPrincipal(a.principal)
    elif isinstance(a, si.Notify):
        action = wi.Action_Notify(wi.Notice(a.notice.url, a.notice.body))
    elif isinstance(a, si.FileReport):
        action = wi.Action_FileReport(wi.Report(a.report.kind, a.report.markdown, a.report.json))
    else:
        raise TypeError(f"not an action: {type(a).__name__}")
    return wi.Proposal(action, p.reason)


class HostStore:
    """The ``response`` imports, as a ``StoreView``."""

    def findings(self, incident: str) -> list[si.IncidentFinding]:
        return [
            si.IncidentFinding(
                f.event_id, f.time_unix_nano, f.plugin, _finding_in(f.finding), _model_in(f.model), f.principal, f.session
            )
            for f in _response.findings(incident)
        ]

    def versions(self, model: str) -> list[si.ModelVersion]:
        return [
            si.ModelVersion(v.model, v.version, v.digest, v.known_good, v.quarantined, v.serving, v.registered_unix_nano)
            for v in _response.versions(model)
        ]

    def impact(self, incident: str) -> Optional[si.LineageImpact]:
        i = _response.impact(incident)
        if i is None:
            return None
        return si.LineageImpact(
            [_model_in(m) for m in i.affected],  # type: ignore[misc]
            [_model_in(m) for m in i.clean],  # type: ignore[misc]
            i.events,
            i.sessions,
            i.principals,
        )


def responder_world(plugin: _adapter.Plugin) -> type:
    info = info_out(plugin.info)
    store = HostStore()

    class WitWorld:
        def info(self) -> Any:
            return info

        def configure(self, settings: str) -> None:
            _configure(plugin, settings)

        def respond(self, incident: Any) -> list[Any]:
            _enter()
            try:
                proposals = plugin.respond(_incident_in(incident), store)
                return [_proposal_out(p) for p in proposals]
            except _adapter.PluginError as e:
                raise Err(e.message) from None
            except BaseException as e:
                raise Err(_adapter.failure(e).message) from None
            finally:
                _leave()

    return WitWorld
