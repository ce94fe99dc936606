import pytest

from aiir_sdk import REQUIRED, Settings, SettingsError, SettingsErrors, Severity


def problems(value, read):
    s = Settings(value)
    read(s)
    return [(e.path, e.message) for e in s.problems()]


def test_every_problem_is_reported_with_its_path_then_unknown_keys():
    def read(s):
        s.strings("phrases", ["x"], min_items=1, max_items=4, max_chars=5)
        s.severity("severity", Severity.MEDIUM)
        s.integer("limit", 3, min=1)

    got = problems({"phrases": ["ok", " ", 7, "toolong"], "severity": "urgent", "limit": 0, "colour": "red"}, read)
    assert got == [
        ("phrases[1]", "must not be empty"),
        ("phrases[2]", "must be a string, not 7"),
        ("phrases[3]", "must be at most 5 characters, not 7"),
        ("severity", 'must be info, low, medium, high or critical, not "urgent"'),
        ("limit", "must be at least 1, not 0"),
        ("colour", "unknown field `colour`, expected one of `phrases`, `severity`, `limit`"),
    ]


def test_values_and_defaults():
    s = Settings({"a": "x", "n": 2.0, "f": 0.5, "b": True, "l": ["p"], "sev": "high"})
    assert s.string("a") == "x"
    assert s.integer("n") == 2
    assert s.number("f", min=0, max=1) == 0.5
    assert s.boolean("b") is True
    assert s.strings("l") == ["p"]
    assert s.severity("sev") is Severity.HIGH
    assert s.string("missing", "d") == "d" and s.strings("none", ["q"]) == ["q"]
    assert s.problems() == []


def test_a_wrong_value_reads_as_its_default():
    s = Settings({"n": "three", "l": "p", "sev": 3, "b": "yes", "c": "blue"})
    assert s.integer("n", 3) == 3
    assert s.strings("l", ["d"]) == ["d"]
    assert s.severity("sev", Severity.LOW) is Severity.LOW
    assert s.boolean("b", False) is False
    assert s.string("c", "red", choices=["red", "green"]) == "red"
    assert [e.message for e in s.problems()] == [
        'must be an integer, not "three"',
        'must be a list of strings, not "p"',
        "must be info, low, medium, high or critical, not 3",
        'must be true or false, not "yes"',
        'must be red or green, not "blue"',
    ]


def test_required_keys_and_counts():
    got = problems({"l": []}, lambda s: (s.string("token", REQUIRED), s.strings("l", min_items=1, max_items=2)))
    assert got == [("token", "is required"), ("l", "must list 1 to 2 entries, not 0")]
    assert problems({"x": 1.5}, lambda s: s.number("x", min=0.0, max=1.0)) == [("x", "must be between 0.0 and 1.0, not 1.5")]


def test_nested_tables_name_their_paths():
    def read(s):
        for entry in s.tables("allowed"):
            entry.string("name")
            entry.string("digest", None)
        s.table("limits").integer("max", 1, max=10)

    value = {"allowed": [{"name": "m", "digest": "d"}, {"name": "", "dgest": "x"}], "limits": {"max": 11, "min": 0}}
    assert problems(value, read) == [
        ("allowed[1].name", "must not be empty"),
        ("limits.max", "must be at most 10, not 11"),
        ("allowed[1].dgest", "unknown field `dgest`, expected `name` or `digest`"),
        ("limits.min", "unknown field `min`, expected `max`"),
    ]


def test_a_plugin_without_settings_rejects_every_key_and_non_tables():
    assert problems({"a": 1, "b": 2}, lambda s: None) == [
        ("a", "this plugin takes no settings"),
        ("b", "this plugin takes no settings"),
    ]
    assert problems([1], lambda s: None) == [("", "must be a table, not a list")]


def test_reading_the_raw_value_turns_off_unknown_key_checks():
    assert problems({"anything": 1}, lambda s: s.value) == []


def test_invalid_json_is_one_error_on_the_whole_table():
    with pytest.raises(SettingsErrors) as e:
        Settings.from_json("{")
    assert e.value.errors[0].path == ""
    assert e.value.errors[0].message.startswith("settings are not valid JSON")


def test_check_raises_every_problem():
    s = Settings({"x": 1})
    s.error("y", "custom problem")
    with pytest.raises(SettingsErrors) as e:
        s.check()
    assert e.value.errors == [SettingsError("y", "custom problem"), SettingsError("x", "this plugin takes no settings")]
