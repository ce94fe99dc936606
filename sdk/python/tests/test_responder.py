import pytest

from aiir_sdk import (
    Finding,
    Incident,
    IncidentFinding,
    ModelRef,
    ModelVersion,
    PluginInfo,
    Proposal,
    Report,
    Responder,
    Scope,
    Severity,
    export_responder,
)
from aiir_sdk.boundary import check_proposal
from aiir_sdk.testing import ResponderHarness, Store


class Block(Responder):
    def info(self):
        return PluginInfo("block", "0.1.0", "blocks principals who keep injecting prompts")

    def configure(self, settings):
        self.min = settings.integer("min_findings", 3, min=1)

    def respond(self, incident, store):
        if incident.family != "prompt-injection":
            return []
        findings = store.findings(incident.id)
        count = lambda p: sum(f.principal == p for f in findings)  # noqa: E731
        return [
            Proposal.block(p, f"{count(p)} prompt injections by {p} in {incident.id}")
            for p in incident.principals
            if count(p) >= self.min
        ]


def hit(event):
    f = Finding("prompt-injection/direct", "injection", Severity.HIGH)
    return IncidentFinding(event, 1, "prompt-injection", f, principal="mallory")


def test_responder_harness_serves_the_store():
    store = Store().add_finding("INC-1", hit("e1")).add_finding("INC-1", hit("e2")).add_finding("INC-1", hit("e3"))
    h = ResponderHarness(Block, store=store)
    incident = Incident("INC-1", "prompt-injection", Scope.PRINCIPAL, "mallory", principals=["mallory"])
    assert incident.title == "prompt-injection"
    assert h.respond(incident) == [Proposal.block("mallory", "3 prompt injections by mallory in INC-1")]
    assert ResponderHarness(Block, {"min_findings": 4}, store).respond(incident) == []


def test_store_views():
    v = ModelVersion("m", "2", digest="sha256:ab", known_good=True)
    store = Store().add_version(ModelVersion("m", "1")).add_version(v).add_version(ModelVersion("n", "1"))
    assert [x.version for x in store.versions("m")] == ["1", "2"]
    assert v.model_ref() == ModelRef("m", "2", "sha256:ab")
    assert store.impact("INC-1") is None and store.findings("INC-1") == []


def test_proposal_shapes_are_checked():
    assert check_proposal(Proposal.rollback("m", "tampered")) is None
    assert check_proposal(Proposal.block("", "x")) == "principal: is empty"
    assert check_proposal(Proposal.file_report(Report("Art 73", "# x", "{}"), "r")).startswith("kind:")
    assert check_proposal(Proposal.notify("http://h/x", "{\"a\": \"\\u001b\"}", "r")) is None
    assert check_proposal(Proposal.quarantine(ModelRef("m", "", None), "r")) is None


def test_native_export():
    World = export_responder(Block)
    assert World().info().name == "block"
    assert World().respond(Incident("INC-9", "other", Scope.MODEL, "m")) == []
    with pytest.raises(TypeError):
        export_responder(Block())
