import pytest

from aiir_sdk import (
    Declined,
    Detector,
    Event,
    EventKind,
    Finding,
    Inference,
    ModelLifecycle,
    ModelRef,
    PluginError,
    PluginInfo,
    Settings,
    SettingsErrors,
    Severity,
    detector,
    excerpt,
    export_detector,
    log,
    state,
)
from aiir_sdk.testing import Harness, settings_errors


class Canary(Detector):
    def __init__(self):
        self.token = "XYZZY"

    def info(self):
        return PluginInfo("canary", "0.1.0", "a canary token in model output", kinds=[EventKind.INFERENCE])

    def configure(self, settings: Settings):
        self.token = settings.string("token", "XYZZY")

    def inspect(self, event):
        out = []
        for t in event.texts():
            at = t.text.find(self.token)
            if at >= 0:
                f = Finding("canary/leak", "canary token in output", Severity.HIGH, techniques=["AML.T0056"])
                out.append(f.with_evidence(t.field, excerpt(t.text, at, at + len(self.token))))
        return out


def test_harness_configures_and_inspects():
    h = Harness(Canary, {"token": "SECRET-1"})
    assert h.rules(Event("e1", Inference().assistant("here: SECRET-1"))) == ["canary/leak"]
    assert h.rules(Event("e2", Inference().assistant("here: XYZZY"))) == []
    assert h.detector.token == "SECRET-1"


def test_events_of_kinds_not_asked_for_are_not_sent():
    h = Harness(Canary)
    assert not h.sent(Event("e", ModelLifecycle("deployed", ModelRef("m"))))
    assert h.inspect(Event("e", ModelLifecycle("deployed", ModelRef("XYZZY")))) == []


def test_refused_settings_raise_with_every_problem():
    with pytest.raises(SettingsErrors) as e:
        Harness(Canary, {"token": "", "colour": 1})
    assert [x.path for x in e.value.errors] == ["token", "colour"]
    assert settings_errors(Canary, '{"token": 7}') == [("token", "must be a string, not 7")]
    assert settings_errors(Canary, "{") == [("", "settings are not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")]


class Broken(Detector):
    def info(self):
        return PluginInfo("broken", "0.1.0", "fails", kinds=[EventKind.INFERENCE])

    def configure(self, settings):
        if settings.get("explode"):
            raise ZeroDivisionError("configured to explode")

    def inspect(self, event):
        text = event.texts()[0].text
        if text == "decline":
            raise Declined("cannot read this event")
        if text == "none":
            return None
        if text == "forged":
            return [Finding("aiir/not-inspected", "x", Severity.HIGH, techniques=["LLM01"])]
        return {}["missing"]


def test_exceptions_become_the_contracts_errors_with_type_message_and_line():
    h = Harness(Broken)
    with pytest.raises(PluginError) as e:
        h.inspect(Event("e", Inference().user("boom")))
    assert e.value.message.startswith("KeyError: 'missing' (at test_detector.py:")
    assert e.value.message.endswith(" in inspect)")
    level, trace = h.logs()[-1]
    assert level == "error" and trace.startswith("Traceback (most recent call last):")
    with pytest.raises(PluginError, match="^cannot read this event$"):
        h.inspect(Event("e", Inference().user("decline")))
    with pytest.raises(PluginError, match="returned None"):
        h.inspect(Event("e", Inference().user("none")))
    with pytest.raises(AssertionError, match="is not <plugin>/<slug>"):
        h.inspect(Event("e", Inference().user("forged")))
    (path, message), = settings_errors(Broken, {"explode": True})
    assert path == "" and message.startswith("configure failed: ZeroDivisionError: configured to explode (at")


def test_a_refused_configure_keeps_the_previous_instance():
    World = export_detector(Canary)
    world = World()
    world.configure('{"token": "ONE"}')
    with pytest.raises(SettingsErrors):
        world.configure('{"token": 2}')
    assert world.inspect(Event("e", Inference().assistant("ONE")))[0].rule == "canary/leak"
    assert world.info().name == "canary"


def test_export_refuses_an_info_the_host_would_refuse():
    class Bad(Detector):
        def info(self):
            return PluginInfo("Bad Name", "1.0", "x", kinds=[EventKind.INFERENCE])

    with pytest.raises(ValueError, match="info.name"):
        export_detector(Bad)

    class NoKinds(Detector):
        def info(self):
            return PluginInfo("none", "0.1.0", "x")

    with pytest.raises(ValueError, match="asks for no event kinds"):
        export_detector(NoKinds)
    with pytest.raises(TypeError):
        export_detector(object)


def test_function_detectors():
    @detector(PluginInfo("shouting", "0.1.0", "a user shouts", kinds=[EventKind.INFERENCE]))
    def shouting(event):
        return [
            Finding("shouting/caps", "all caps", Severity.INFO, techniques=["LLM01"]).with_evidence(t.field, t.text)
            for t in event.texts()
            if t.text.isupper()
        ]

    assert Harness(shouting).rules(Event("e", Inference().user("HELLO").user("hi"))) == ["shouting/caps"]
    assert export_detector(shouting)().info().name == "shouting"


class Counter(Detector):
    def info(self):
        return PluginInfo("counter", "0.1.0", "counts events per session", kinds=[EventKind.INFERENCE])

    def inspect(self, event):
        n = state.load("count", 0) + 1
        state.save("count", n)
        log.info(f"{state.partition()}: {n}")
        if n == 3:
            return [Finding("counter/third", "third event", Severity.LOW, techniques=["LLM10"])]
        return []


def test_state_is_kept_per_partition_and_survives_a_restart():
    h = Harness(Counter).partition_by(lambda e: e.session or "")
    a = Event("a", Inference().user("x"), session="s1")
    b = Event("b", Inference().user("x"), session="s2")
    assert h.rules(a) == [] and h.rules(a) == [] and h.rules(b) == []
    h.restart()
    assert h.rules(a) == ["counter/third"]
    assert h.logs() == [("info", "s1: 1"), ("info", "s1: 2"), ("info", "s2: 1"), ("info", "s1: 3")]


def test_state_outside_inspect_and_over_the_caps():
    Harness(Counter)
    assert state.get("count") is None and state.keys() == []
    with pytest.raises(state.StateError):
        state.set("k", b"v")
