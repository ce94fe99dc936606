"""Native tests of the responder's logic: `pytest` (no component build needed)."""

from aiir_sdk import BlockPrincipal, Finding, Incident, IncidentFinding, Scope, Severity
from aiir_sdk.testing import ResponderHarness, Store, settings_errors

from app import Block


def hit(event: str, principal: str) -> IncidentFinding:
    finding = Finding("prompt-injection/direct", "injection", Severity.HIGH, techniques=["LLM01"])
    return IncidentFinding(event, 1, "prompt-injection", finding, principal=principal)


def store(*principals: str) -> Store:
    s = Store()
    for n, p in enumerate(principals):
        s.add_finding("INC-1", hit(f"e{n}", p))
    return s


INCIDENT = Incident("INC-1", "prompt-injection", Scope.SESSION, "sess-1", principals=["mallory", "alice"])


def test_blocks_each_principal_behind_enough_findings():
    h = ResponderHarness(Block, store=store("mallory", "alice", "mallory", "mallory"))
    (proposal,) = h.respond(INCIDENT)
    assert proposal.action == BlockPrincipal("mallory")
    assert proposal.reason == "3 findings by mallory in INC-1"


def test_fewer_findings_or_other_families_get_nothing():
    h = ResponderHarness(Block, store=store("mallory", "mallory"))
    assert h.respond(INCIDENT) == []
    assert h.logs() == [("info", "INC-1: no principal has 3 findings yet")]
    other = Incident("INC-1", "data-leakage", Scope.SESSION, "sess-1", principals=["mallory"])
    assert ResponderHarness(Block, store=store("mallory", "mallory", "mallory")).respond(other) == []


def test_settings_choose_families_and_threshold():
    h = ResponderHarness(Block, {"families": ["data-leakage"], "min_findings": 1}, store("mallory"))
    other = Incident("INC-1", "data-leakage", Scope.PRINCIPAL, "mallory", principals=["mallory"])
    assert [p.action for p in h.respond(other)] == [BlockPrincipal("mallory")]


def test_every_settings_problem_is_reported_with_its_path():
    assert settings_errors(Block, {"families": ["ok", ""], "min_findings": 0, "mode": 1}) == [
        ("families[1]", "must not be empty"),
        ("min_findings", "must be at least 1, not 0"),
        ("mode", "unknown field `mode`, expected `families` or `min_findings`"),
    ]
