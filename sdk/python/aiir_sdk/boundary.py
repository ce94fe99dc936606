"""The host's rules for what a plugin returns (the ``aiir-boundary`` crate, in Python),
so that ``testing`` meets them in pytest rather than in production, and a plugin whose
``info`` the host would refuse fails its build.

Each check returns ``None`` when the value passes, else the first rule it breaks as
``"where: what is wrong"``, worded as the host words it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Optional

from .incidents import BlockPrincipal, FileReport, Notify, Proposal, QuarantineModel, RollbackModel
from .text import is_unsafe
from .types import EventKind, Finding, PluginInfo, Severity

NAME_BYTES = 64
VERSION_BYTES = 64
DESCRIPTION_BYTES = 1024
SETTINGS_DOC_BYTES = 16 * 1024
SLUG_BYTES = 64
TITLE_BYTES = 512
TECHNIQUES = 16
TECHNIQUE_BYTES = 32
EVIDENCE = 256
FIELD_BYTES = 256
EXCERPT_BYTES = 4096
TARGET_BYTES = 256
REASON_BYTES = 1024
URL_BYTES = 2048
#: Findings per event (the default ``max_findings`` limit).
MAX_FINDINGS = 100
#: Proposals per incident (the default ``max_proposals`` limit).
MAX_PROPOSALS = 20

FIELD_ROOTS = ("id", "time", "source", "model", "principal", "session", "payload", "attributes")

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_SEMVER_NUMBER = re.compile(r"(0|[1-9][0-9]*)\Z")
_IDENT = re.compile(r"[A-Za-z0-9-]+\Z")
_TECHNIQUE = re.compile(r"(AML\.TA[0-9]{4}|AML\.T[0-9]{4}(\.[0-9]{3})?|LLM[0-9]{2})\Z")


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def is_slug(s: str) -> bool:
    """``[a-z0-9][a-z0-9-]*``."""
    return bool(_SLUG.match(s))


def _check_text(at: str, text: str, cap: int, allowed: str = "", required: bool = True) -> Optional[str]:
    if not isinstance(text, str):
        return f"{at}: must be a string, not {type(text).__name__}"
    if _bytes(text) > cap:
        return f"{at}: {_bytes(text)} bytes, more than the cap of {cap}"
    if required and not text.strip():
        return f"{at}: is empty"
    for i, c in enumerate(text):
        if is_unsafe(c) and c not in allowed:
            return f"{at}: control character U+{ord(c):04X} at byte {_bytes(text[:i])}"
    return None


def _is_semver(version: str) -> bool:
    rest, _, build = version.partition("+")
    core, _, pre = rest.partition("-")
    parts = core.split(".")
    idents = lambda s: all(_IDENT.match(i) for i in s.split("."))  # noqa: E731
    return (
        len(parts) == 3
        and all(_SEMVER_NUMBER.match(p) for p in parts)
        and ("-" not in rest or idents(pre))
        and ("+" not in version or idents(build))
    )


def check_name(name: str) -> Optional[str]:
    """A plugin name: a slug of at most 64 bytes, never ``aiir``."""
    if not isinstance(name, str) or not is_slug(name) or _bytes(name) > NAME_BYTES:
        return f"{name!r} is not a name: use lowercase letters, digits and dashes, at most {NAME_BYTES} bytes"
    if name == "aiir":
        return '"aiir" is the host\'s own name'
    return None


def check_info(info: PluginInfo, detector: bool = True) -> Optional[str]:
    """What the host checks of ``info`` at load (and, for a detector, that it asks
    for at least one kind of event)."""
    if not isinstance(info, PluginInfo):
        return f"info: must be a PluginInfo, not {type(info).__name__}"
    problem = check_name(info.name)
    if problem:
        return f"info.name: {problem}"
    problem = _check_text("info.version", info.version, VERSION_BYTES)
    if problem:
        return problem
    if not _is_semver(info.version):
        return f"info.version: {info.version!r} is not a semantic version such as 1.2.3"
    problem = _check_text("info.description", info.description, DESCRIPTION_BYTES, required=False)
    if problem:
        return problem
    problem = _check_text("info.settings", info.settings, SETTINGS_DOC_BYTES, "\n\t", required=False)
    if problem:
        return problem
    if any(not isinstance(k, EventKind) for k in info.kinds):
        return "info.kinds: each must be an EventKind"
    if detector and not info.kinds:
        return f"info.kinds: plugin {info.name} asks for no event kinds, so it would see no events"
    return None


def check_finding(plugin: str, f: Finding) -> Optional[str]:
    """What the host checks of each finding a plugin called ``plugin`` returns."""
    if not isinstance(f, Finding):
        return f"must be a Finding, not {type(f).__name__}"
    prefix, slash, slug = f.rule.partition("/") if isinstance(f.rule, str) else ("", "", "")
    if not slash or prefix != plugin or plugin == "aiir" or not is_slug(slug) or _bytes(slug) > SLUG_BYTES:
        return f"rule: {f.rule!r} is not <plugin>/<slug> with the plugin's own name ({plugin})"
    problem = _check_text("title", f.title, TITLE_BYTES)
    if problem:
        return problem
    if not isinstance(f.severity, Severity):
        return f"severity: must be a Severity, not {type(f.severity).__name__}"
    c = f.confidence
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or not 0.0 <= c <= 1.0:
        return f"confidence: {c} is not a number from 0 to 1"
    if len(f.techniques) > TECHNIQUES:
        return f"techniques: {len(f.techniques)} ids, more than the cap of {TECHNIQUES}"
    for i, t in enumerate(f.techniques):
        if not isinstance(t, str) or not (_TECHNIQUE.match(t) or (is_slug(t) and _bytes(t) <= TECHNIQUE_BYTES)):
            return f"techniques[{i}]: {t!r} is neither an ATLAS id (AML.T0051.001), an OWASP LLM id (LLM01) nor a short slug"
    if len(f.evidence) > EVIDENCE:
        return f"evidence: {len(f.evidence)} entries, more than the cap of {EVIDENCE}"
    for i, e in enumerate(f.evidence):
        problem = _check_text(f"evidence[{i}].field", e.field, FIELD_BYTES)
        if problem:
            return problem
        root = re.split(r"[.\[]", e.field, maxsplit=1)[0]
        if root not in FIELD_ROOTS or any(c.isspace() for c in e.field):
            return f"evidence[{i}].field: {e.field!r} is not a field of the event (it starts with one of {', '.join(FIELD_ROOTS)})"
        if not isinstance(e.excerpt, str):
            return f"evidence[{i}].excerpt: must be a string"
        if _bytes(e.excerpt) > EXCERPT_BYTES:
            return f"evidence[{i}].excerpt: {_bytes(e.excerpt)} bytes, more than the cap of {EXCERPT_BYTES}"
    return None


def _json_or_text(at: str, value: str) -> Optional[str]:
    try:
        json.loads(value)
        return None
    except ValueError:
        return _check_text(at, value, 1 << 62, "\n\t", required=False)


def check_proposal(p: Proposal) -> Optional[str]:
    """What the host checks of the shape of each proposal (its scope is judged by
    the host against the incident and the operator's grants)."""
    if not isinstance(p, Proposal):
        return f"must be a Proposal, not {type(p).__name__}"
    problem = _check_text("reason", p.reason, REASON_BYTES, required=False)
    if problem:
        return problem
    a = p.action
    if isinstance(a, RollbackModel):
        return _check_text("model", a.model, TARGET_BYTES)
    if isinstance(a, QuarantineModel):
        problem = _check_text("model", a.model.name, TARGET_BYTES)
        for what, value in (("version", a.model.version), ("digest", a.model.digest)):
            if not problem and value:
                problem = _check_text(what, value, TARGET_BYTES)
        return problem
    if isinstance(a, BlockPrincipal):
        return _check_text("principal", a.principal, TARGET_BYTES)
    if isinstance(a, Notify):
        return _check_text("url", a.notice.url, URL_BYTES) or _json_or_text("body", a.notice.body)
    if isinstance(a, FileReport):
        r = a.report
        if not is_slug(r.kind) or _bytes(r.kind) > TARGET_BYTES:
            return f"kind: {r.kind!r} is not a slug: lowercase letters, digits and dashes"
        return _check_text("markdown", r.markdown, 1 << 62, "\n\t", required=False) or _json_or_text("json", r.json)
    return f"action: not an action: {type(a).__name__}"
