import textwrap

from aiir_sdk import EventKind, Finding, PluginInfo, Severity
from aiir_sdk.boundary import check_finding, check_info


def test_info_rules():
    assert check_info(PluginInfo("x", "0.1.0", "finds things", [EventKind.CUSTOM], "- `a`: one\n- `b`:\ttwo")) is None
    assert check_info(PluginInfo("aiir", "0.1.0", "", [EventKind.CUSTOM])).startswith("info.name")
    assert check_info(PluginInfo("x", "0.1.0", "finds\x1b[2J", [EventKind.CUSTOM])).startswith("info.description: control")
    assert check_info(PluginInfo("x", "01.0.0", "", [EventKind.CUSTOM])).startswith("info.version")
    assert check_info(PluginInfo("x", "1.2.3-rc.1+b.5", "", [EventKind.CUSTOM])) is None
    assert check_info(PluginInfo("x", "0.1.0", "", [EventKind.CUSTOM], "a\rb")).startswith("info.settings")


def test_finding_rules():
    ok = Finding("acme/canary", "canary token", Severity.HIGH, 0.9, ["AML.T0051.001", "LLM01", "custom-id"])
    assert check_finding("acme", ok.with_evidence("payload.custom.data", "x")) is None
    assert check_finding("acme", Finding("other/x", "t", Severity.LOW)).startswith("rule:")
    assert check_finding("acme", Finding("acme/X", "t", Severity.LOW)).startswith("rule:")
    assert check_finding("acme", Finding("acme/x", "", Severity.LOW)) == "title: is empty"
    assert check_finding("acme", Finding("acme/x", "t", Severity.LOW, float("nan"))).startswith("confidence")
    assert check_finding("acme", Finding("acme/x", "t", Severity.LOW, 1, ["AML.T51"])).startswith("techniques[0]")
    bad_field = Finding("acme/x", "t", Severity.LOW).with_evidence("body.text", "x")
    assert check_finding("acme", bad_field).startswith("evidence[0].field")
    big = Finding("acme/x", "t", Severity.LOW).with_evidence("payload.custom.data", "é" * 2049)
    assert check_finding("acme", big) == "evidence[0].excerpt: 4098 bytes, more than the cap of 4096"


def test_cases_files_run_natively(tmp_path):
    from aiir_sdk.testing import Cases
    from test_detector import Canary

    cases = tmp_path / "cases.toml"
    cases.write_text(textwrap.dedent('''
        [settings]
        token = "XYZZY-42"

        [[case]]
        name = "leaks"
        [[case.events]]
        id = "c1"
        time = 2026-11-27T13:00:00Z
        source = "review"
        payload = { inference = { output = [{ role = "assistant", content = "sure: XYZZY-42" }] } }
        [[case.expect]]
        rule = "canary/leak"
        min_severity = "high"
        count = 1

        [[case]]
        name = "wrong expectation"
        settings = { token = "OTHER" }
        [[case.events]]
        id = "c2"
        time = "2026-11-27T13:00:00Z"
        source = "review"
        payload = { inference = { output = [{ role = "assistant", content = "sure: XYZZY-42" }] } }
        [[case.expect]]
        rule = "canary/leak"

        [[case]]
        name = "not sent"
        none = true
        [[case.events]]
        id = "c3"
        time = 2026-11-27T13:00:00Z
        source = "review"
        payload = { custom = { kind = "x", data = { a = 1 } } }
    '''))
    c = Cases(str(cases))
    assert c.names() == ["leaks", "wrong expectation", "not sent"]
    assert c.run(Canary, "leaks").passed
    wrong = c.run(Canary, "wrong expectation")
    assert not wrong.passed and "expected" in wrong.report()
    not_sent = c.run(Canary, "not sent")
    assert not_sent.passed and not_sent.not_sent == ["c3"]
