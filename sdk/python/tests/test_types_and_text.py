from aiir_sdk import (
    Custom,
    Event,
    EventKind,
    Inference,
    ModelLifecycle,
    ModelRef,
    Origin,
    Role,
    Severity,
    ToolCall,
    TrainingData,
    excerpt,
    one_line,
)
from aiir_sdk.text import is_unsafe


def test_inference_texts_carry_paths_and_origins():
    event = Event("e", Inference().system("be nice").user("hi").document("d", "https://x", "doc").assistant("hello"))
    got = [(t.field, t.origin, t.text) for t in event.texts()]
    assert got == [
        ("payload.inference.input[0].content", Origin.SYSTEM, "be nice"),
        ("payload.inference.input[1].content", Origin.USER, "hi"),
        ("payload.inference.output[0].content", Origin.ASSISTANT, "hello"),
        ("payload.inference.retrieved[0].content", Origin.RETRIEVED, "doc"),
    ]
    assert Origin.RETRIEVED.is_third_party and not Origin.USER.is_third_party


def test_tool_call_training_and_custom_texts():
    assert [t.origin for t in Event("e", ToolCall("shell", "{}", result="out")).texts()] == [
        Origin.TOOL_ARGUMENTS,
        Origin.TOOL_RESULT,
    ]
    assert [t.field for t in Event("e", ToolCall("shell", "{}")).texts()] == ["payload.tool_call.arguments"]
    batch = TrainingData("ds", "b1").record("a", "x").record("b", "y")
    assert [t.field for t in Event("e", batch).texts()] == [
        "payload.training_data.records[0].text",
        "payload.training_data.records[1].text",
    ]
    assert [t.field for t in Event("e", Custom("k", "{}")).texts()] == ["payload.custom.data"]
    assert Event("e", ModelLifecycle("deployed", ModelRef("m"))).texts() == []


def test_kinds_and_subject_model():
    lifecycle = Event("e", ModelLifecycle("deployed", ModelRef("m", "2")), model=ModelRef("other"))
    assert lifecycle.kind is EventKind.MODEL_LIFECYCLE
    assert lifecycle.subject_model() == ModelRef("m", "2")
    assert Event("e", Inference()).kind is EventKind.INFERENCE


def test_excerpt_matches_the_rust_sdk():
    assert excerpt("ignore previous instructions", 0, 6) == "ignore previous instructions"
    text = "a" * 100 + "MATCH" + "b" * 100
    assert excerpt(text, 100, 105) == "…" + "a" * 40 + "MATCH" + "b" * 40 + "…"
    long_match = "x" * 300
    assert excerpt(long_match, 0, 300) == "x" * 160 + "…"
    assert excerpt("é", 5, 9) == "é"  # offsets past the end are clamped: the context stays
    assert excerpt("ab", 1, 0) == "ab"


def test_one_line_replaces_controls_and_caps_bytes():
    assert one_line("a\x1b[2J\nb\u202e") == "a [2J b "
    cut = one_line("é" * 300, max_bytes=512)
    assert len(cut.encode()) <= 512 and cut.endswith("…")
    assert is_unsafe("\x85") and is_unsafe("\u2066") and not is_unsafe("é")


def test_severities_are_ordered_and_parsed():
    assert Severity.LOW < Severity.HIGH and Severity.CRITICAL >= Severity.CRITICAL
    assert max([Severity.MEDIUM, Severity.INFO, Severity.HIGH]) is Severity.HIGH
    assert Severity.parse("high") is Severity.HIGH and Severity.parse("urgent") is None


def test_events_read_from_the_aiir_json_format():
    line = (
        '{"id":"evt-1","time":"2026-11-27T13:00:04.5Z","source":"support-api",'
        '"model":{"name":"support-assistant","version":"2.3.1"},"principal":"user:alice","session":"s1",'
        '"payload":{"tool_call":{"tool":"lookup","arguments":{"order_id":"A-1"},"result":"shipped"}},'
        '"attributes":{"z":"1","a":"2"}}'
    )
    e = Event.from_json(line)
    assert e.time_unix_nano == 1795784404_500000000
    assert e.payload == ToolCall("lookup", '{"order_id":"A-1"}', "shipped")
    assert e.attributes == [("a", "2"), ("z", "1")] and e.attribute("z") == "1"
    assert e.model == ModelRef("support-assistant", "2.3.1")
    inference = Event.from_json({"id": "x", "time": "2026-11-27T13:00:04+01:00", "source": "s",
                                 "payload": {"inference": {"input": [{"role": "tool", "content": "t"}]}}})
    assert inference.payload.input[0].role is Role.TOOL
    assert inference.time_unix_nano == 1795780804_000000000


def test_bench_and_demo_logs_parse():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[3]
    for log in (root / "plugins/tools/bench-events.jsonl", root / "examples/logs/demo.jsonl"):
        if log.exists():
            for line in log.read_text().splitlines():
                if line.strip():
                    Event.from_json(line).texts()


def test_masks_keep_only_what_recognises_a_datum():
    from aiir_sdk import mask, masked_excerpt

    assert mask("AKIAIOSFODNN7EXAMPLE", keep_start=4) == "AKIA************MPLE"
    assert mask("short") == "*****"
    assert mask("x" * 40, 2, 2) == "xx*[36]*xx"
    assert masked_excerpt("key: sk-live-0123456789abcdef please", 5, 29) == "key: *[20]*cdef please"
