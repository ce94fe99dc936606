/*
 * Native tests of the SDK's pure parts: JSON, settings, texts and their paths,
 * excerpts and masks, findings and the boundary checks, state and logging stand-ins.
 * Run by tests/run.sh with the machine's C compiler.
 */
#include "aiir_testkit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SDK tests bring their own tiny detector, which the testkit drives. */
static int inspected;
void aiir_detector_info(aiir_info *info) {
    info->name = "sdk-test";
    info->version = "0.1.0";
    info->description = "the SDK's test detector";
    info->kinds = AIIR_KIND(INFERENCE);
    info->settings = "";
}
bool aiir_detector_configure(aiir_settings *s) {
    char *mode = NULL;
    aiir_settings_string(s, "mode", 0, false, &mode);
    free(mode);
    return aiir_settings_finish(s);
}
bool aiir_detector_inspect(const aiir_event *event, aiir_findings *findings, aiir_error *error) {
    inspected++;
    if (aiir_str_eq(event->id, "fail")) return aiir_fail(error, "cannot inspect %.*s", AIIR_S(event->id));
    if (aiir_str_eq(event->id, "forge")) aiir_findings_add(findings, "aiir/not-inspected", "forged", AIIR_HIGH);
    if (aiir_str_eq(event->id, "good")) {
        aiir_finding *f = aiir_findings_add(findings, "sdk-test/rule", "a title", AIIR_LOW);
        aiir_finding_technique(f, "AML.T0051.001");
        aiir_finding_technique(f, "LLM01");
        aiir_finding_evidence(f, "payload.inference.input[0].content", "x");
    }
    return true;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_reads_every_type(void) {
    const char *text = " {\"a\": [1, -2.5e2, true, false, null], \"b\": {\"c\": \"d\\u00e9\\ud83d\\ude00\\n\"}, \"e\": \"\"} ";
    char *error = NULL;
    aiir_json *v = aiir_json_parse(text, strlen(text), &error);
    if (!AIIR_CHECK(v != NULL)) {
        fprintf(stderr, "%s\n", error);
        return;
    }
    AIIR_CHECK(v->type == AIIR_JSON_OBJECT && v->count == 3);
    const aiir_json *a = aiir_json_get(v, "a");
    AIIR_CHECK(a && a->type == AIIR_JSON_ARRAY && a->count == 5);
    AIIR_CHECK(aiir_json_at(a, 0)->number == 1 && aiir_json_is_integer(aiir_json_at(a, 0)));
    AIIR_CHECK(aiir_json_at(a, 1)->number == -250);
    AIIR_CHECK(aiir_json_at(a, 2)->type == AIIR_JSON_BOOL && aiir_json_at(a, 2)->boolean);
    AIIR_CHECK(aiir_json_at(a, 3)->type == AIIR_JSON_BOOL && !aiir_json_at(a, 3)->boolean);
    AIIR_CHECK(aiir_json_at(a, 4)->type == AIIR_JSON_NULL);
    AIIR_CHECK(aiir_json_at(a, 5) == NULL);
    const aiir_json *c = aiir_json_get(aiir_json_get(v, "b"), "c");
    AIIR_CHECK_STR(c->string, "d\xC3\xA9\xF0\x9F\x98\x80\n");
    AIIR_CHECK(c->len == 8);
    AIIR_CHECK(aiir_json_get(v, "e")->len == 0);
    AIIR_CHECK(aiir_json_get(v, "zz") == NULL);
    aiir_json_free(v);
}

static void json_errors_say_where(void) {
    struct {
        const char *text, *error;
    } cases[] = {
        {"{", "unexpected end of text in a table at line 1 column 2"},
        {"{\"a\" 1}", "expected `:` at line 1 column 6"},
        {"[1,]", "expected a value at line 1 column 4"},
        {"[1 2]", "expected `,` or `]` at line 1 column 4"},
        {"{\"a\":\n  tru}", "expected a value at line 2 column 3"},
        {"\"a\x01\"", "control character in a string at line 1 column 3"},
        {"\"\\x\"", "invalid escape in a string at line 1 column 3"},
        {"\"\\ud800\"", "unpaired surrogate in a \\u escape at line 1 column 8"},
        {"01", "trailing characters at line 1 column 2"},
        {"1e999", "number out of range at line 1 column 6"},
        {"-", "invalid number at line 1 column 2"},
        {"{} x", "trailing characters at line 1 column 4"},
        {"", "unexpected end of text at line 1 column 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *error = NULL;
        aiir_json *v = aiir_json_parse(cases[i].text, strlen(cases[i].text), &error);
        AIIR_CHECK(v == NULL);
        AIIR_CHECK_STR(error, cases[i].error);
        free(error);
        aiir_json_free(v);
    }
}

static void json_depth_is_bounded(void) {
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    char *error = NULL;
    AIIR_CHECK(aiir_json_parse(deep, 130, &error) == NULL);
    AIIR_CHECK(error && strstr(error, "nested deeper than 64 levels"));
    free(error);
    aiir_json *ok = aiir_json_parse(deep + 1, 128, &error);
    AIIR_CHECK(ok != NULL);
    aiir_json_free(ok);
}

/* ---- Settings -------------------------------------------------------------------------- */

/* "path: message" of every problem, joined with " | ". */
static char *problems(aiir_settings *s) {
    char *out = aiir_format("%s", "");
    for (size_t i = 0; i < aiir_settings_error_count(s); i++) {
        char *next = aiir_format("%s%s%s: %s", out, i ? " | " : "", aiir_settings_error_path(s, i),
                                 aiir_settings_error_message(s, i));
        free(out);
        out = next;
    }
    return out;
}

static void settings_report_every_problem_with_its_path(void) {
    const char *json = "{\"phrases\": [\"ok\", \"\", 7, \"" /* 201 characters: */
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaa\"], \"severity\": \"urgent\", \"colour\": \"red\", \"limit\": 2.5,"
                       " \"ratio\": 3, \"on\": \"yes\"}";
    aiir_settings *s = aiir_settings_new(json, strlen(json));
    aiir_strs phrases = {0};
    aiir_severity severity = AIIR_MEDIUM;
    long long limit = 10;
    double ratio = 0.5;
    bool on = false;
    aiir_strings_rule rule = {1, 64, 200, true};
    AIIR_CHECK(!aiir_settings_strings(s, "phrases", rule, &phrases));
    AIIR_CHECK(!aiir_settings_severity(s, "severity", &severity));
    AIIR_CHECK(!aiir_settings_int(s, "limit", 1, 100, &limit));
    AIIR_CHECK(!aiir_settings_number(s, "ratio", 0, 1, &ratio));
    AIIR_CHECK(!aiir_settings_bool(s, "on", &on));
    AIIR_CHECK(!aiir_settings_finish(s));
    AIIR_CHECK(phrases.len == 0 && severity == AIIR_MEDIUM && limit == 10 && ratio == 0.5 && !on);
    char *got = problems(s);
    AIIR_CHECK_STR(got, "phrases[1]: must not be empty"
                        " | phrases[2]: expected a string, found a number"
                        " | phrases[3]: must be at most 200 characters, not 201"
                        " | severity: must be info, low, medium, high or critical, not \"urgent\""
                        " | limit: expected a whole number, found 2.5"
                        " | ratio: must be between 0 and 1, not 3"
                        " | on: expected a boolean, found a string"
                        " | colour: unknown key `colour`, expected one of `phrases`, `severity`, `limit`, `ratio`, `on`");
    free(got);
    aiir_settings_error_list list = aiir_settings_take_errors(s);
    AIIR_CHECK(list.len == 8);
    AIIR_CHECK(list.ptr[7].path.len == 6 && memcmp(list.ptr[7].path.ptr, "colour", 6) == 0);
    for (size_t i = 0; i < list.len; i++) {
        free(list.ptr[i].path.ptr);
        free(list.ptr[i].message.ptr);
    }
    free(list.ptr);
    aiir_settings_free(s);
}

static void settings_defaults_stay_when_keys_are_absent(void) {
    aiir_settings *s = aiir_settings_new("{}", 2);
    aiir_strs phrases = {0};
    aiir_severity severity = AIIR_HIGH;
    AIIR_CHECK(!aiir_settings_strings(s, "phrases", (aiir_strings_rule){1, 64, 200, true}, &phrases));
    AIIR_CHECK(!aiir_settings_severity(s, "severity", &severity));
    AIIR_CHECK(aiir_settings_finish(s));
    AIIR_CHECK(severity == AIIR_HIGH && phrases.len == 0);
    aiir_settings_free(s);
}

static void settings_accept_good_values(void) {
    const char *json = "{\"phrases\": [\"a\", \"b\"], \"severity\": \"critical\", \"mode\": \"fast\"}";
    aiir_settings *s = aiir_settings_new(json, strlen(json));
    aiir_strs phrases = {0};
    aiir_strs_push(&phrases, "default");
    aiir_severity severity = AIIR_LOW;
    const char *const modes[] = {"fast", "thorough", NULL};
    int mode = -1;
    AIIR_CHECK(aiir_settings_strings(s, "phrases", (aiir_strings_rule){1, 64, 200, true}, &phrases));
    AIIR_CHECK(aiir_settings_severity(s, "severity", &severity));
    AIIR_CHECK(aiir_settings_choice(s, "mode", modes, &mode));
    AIIR_CHECK(aiir_settings_finish(s));
    AIIR_CHECK(phrases.len == 2 && !strcmp(phrases.items[0], "a") && !strcmp(phrases.items[1], "b"));
    AIIR_CHECK(severity == AIIR_CRITICAL && mode == 0);
    aiir_strs_free(&phrases);
    aiir_settings_free(s);
}

static void settings_that_are_not_a_table_or_not_json(void) {
    aiir_settings *s = aiir_settings_new("[1]", 3);
    AIIR_CHECK(aiir_settings_key(s, "phrases") == NULL);
    AIIR_CHECK(!aiir_settings_finish(s));
    char *got = problems(s);
    AIIR_CHECK_STR(got, ": settings must be a table, not a list");
    free(got);
    aiir_settings_free(s);

    s = aiir_settings_new("{\"a\": }", 7);
    AIIR_CHECK(aiir_settings_root(s) == NULL && !aiir_settings_finish(s));
    got = problems(s);
    AIIR_CHECK_STR(got, ": settings are not valid JSON: expected a value at line 1 column 7");
    free(got);
    aiir_settings_free(s);
}

static void settings_list_counts_and_types(void) {
    const char *json = "{\"a\": [], \"b\": \"x\", \"c\": [1, 2, 3]}";
    aiir_settings *s = aiir_settings_new(json, strlen(json));
    aiir_strs out = {0};
    AIIR_CHECK(!aiir_settings_strings(s, "a", (aiir_strings_rule){1, 2, 0, false}, &out));
    AIIR_CHECK(!aiir_settings_strings(s, "b", (aiir_strings_rule){0, 0, 0, false}, &out));
    AIIR_CHECK(!aiir_settings_strings(s, "c", (aiir_strings_rule){0, 2, 0, false}, &out));
    char *got = problems(s);
    AIIR_CHECK_STR(got, "a: must have at least 1 entry, not 0 | b: expected a list of strings, found a string"
                        " | c: must have at most 2 entries, not 3 | c[0]: expected a string, found a number"
                        " | c[1]: expected a string, found a number | c[2]: expected a string, found a number");
    free(got);
    aiir_settings_free(s);
}

static void nested_tables_check_their_keys(void) {
    const char *json = "{\"allowed\": [{\"name\": \"m\", \"digest\": 7, \"colour\": 1}]}";
    aiir_settings *s = aiir_settings_new(json, strlen(json));
    const aiir_json *allowed = aiir_settings_key(s, "allowed");
    static const char *const known[] = {"name", "digest", NULL};
    for (size_t i = 0; i < allowed->count; i++) {
        char *at = aiir_path_index("allowed", i);
        char *digest_at = aiir_path_key(at, "digest");
        const aiir_json *digest = aiir_json_get(aiir_json_at(allowed, i), "digest");
        if (digest) aiir_settings_expect(s, digest_at, digest, AIIR_JSON_STRING);
        aiir_settings_known_keys(s, at, aiir_json_at(allowed, i), known);
        free(digest_at);
        free(at);
    }
    AIIR_CHECK(!aiir_settings_finish(s));
    char *got = problems(s);
    AIIR_CHECK_STR(got, "allowed[0].digest: expected a string, found a number"
                        " | allowed[0].colour: unknown key `colour`, expected `name` or `digest`");
    free(got);
    aiir_settings_free(s);
}

static void configure_is_driven_like_the_host(void) {
    aiir_strs p = {0};
    AIIR_CHECK(aiir_test_configure("{}", &p) && p.len == 0);
    AIIR_CHECK(aiir_test_configure("{\"mode\": \"x\"}", &p));
    AIIR_CHECK(!aiir_test_configure("{\"mode\": 1, \"x\": 2}", &p));
    AIIR_CHECK(p.len == 2);
    if (p.len == 2) {
        AIIR_CHECK_STR(p.items[0], "mode: expected a string, found a number");
        AIIR_CHECK_STR(p.items[1], "x: unknown key `x`, expected `mode`");
    }
    aiir_strs_free(&p);
}

/* ---- Texts ------------------------------------------------------------------------------- */

static void inference_texts_carry_paths_and_origins(void) {
    aiir_event *e = aiir_test_inference("e");
    aiir_test_input(e, AIIR_ROLE(SYSTEM), "be nice");
    aiir_test_input(e, AIIR_ROLE(USER), "hi");
    aiir_test_input(e, AIIR_ROLE(TOOL), "tool said");
    aiir_test_retrieved(e, "d", "https://x", "doc");
    aiir_test_output(e, "hello");
    const char *fields[] = {"payload.inference.input[0].content", "payload.inference.input[1].content",
                            "payload.inference.input[2].content", "payload.inference.output[0].content",
                            "payload.inference.retrieved[0].content"};
    aiir_origin origins[] = {AIIR_ORIGIN_SYSTEM, AIIR_ORIGIN_USER, AIIR_ORIGIN_TOOL_RESULT, AIIR_ORIGIN_ASSISTANT,
                             AIIR_ORIGIN_RETRIEVED};
    const char *texts[] = {"be nice", "hi", "tool said", "hello", "doc"};
    aiir_texts it = aiir_texts_of(e);
    aiir_text t;
    size_t n = 0;
    while (aiir_texts_next(&it, &t)) {
        if (!AIIR_CHECK(n < 5)) break;
        AIIR_CHECK_STR(t.field, fields[n]);
        AIIR_CHECK(t.origin == origins[n]);
        AIIR_CHECK(t.len == strlen(texts[n]) && memcmp(t.text, texts[n], t.len) == 0);
        n++;
    }
    AIIR_CHECK(n == 5);
    AIIR_CHECK(!aiir_texts_next(&it, &t));
    AIIR_CHECK(aiir_origin_is_third_party(AIIR_ORIGIN_RETRIEVED) && !aiir_origin_is_third_party(AIIR_ORIGIN_USER));
    aiir_test_event_free(e);
}

static void tool_call_and_custom_texts(void) {
    aiir_event *e = aiir_test_tool_call("t", "shell", "{}", "out");
    aiir_texts it = aiir_texts_of(e);
    aiir_text t;
    AIIR_CHECK(aiir_texts_next(&it, &t) && !strcmp(t.field, "payload.tool_call.arguments") &&
               t.origin == AIIR_ORIGIN_TOOL_ARGUMENTS);
    AIIR_CHECK(aiir_texts_next(&it, &t) && !strcmp(t.field, "payload.tool_call.result") &&
               t.origin == AIIR_ORIGIN_TOOL_RESULT);
    AIIR_CHECK(!aiir_texts_next(&it, &t));
    aiir_test_event_free(e);

    e = aiir_test_tool_call("t", "shell", "{}", NULL);
    it = aiir_texts_of(e);
    AIIR_CHECK(aiir_texts_next(&it, &t) && !aiir_texts_next(&it, &t));
    aiir_test_event_free(e);

    e = aiir_test_custom("c", "verdict", "{\"x\": 1}");
    it = aiir_texts_of(e);
    AIIR_CHECK(aiir_texts_next(&it, &t) && !strcmp(t.field, "payload.custom.data") && t.origin == AIIR_ORIGIN_CUSTOM);
    AIIR_CHECK(!aiir_texts_next(&it, &t));
    aiir_test_event_free(e);
}

/* ---- Excerpts, masks, search ------------------------------------------------------------ */

static void check_excerpt(const char *text, size_t start, size_t end, const char *want) {
    char *got = aiir_excerpt(text, strlen(text), start, end);
    AIIR_CHECK_STR(got, want);
    free(got);
}

static void excerpts_match_the_rust_sdk(void) {
    check_excerpt("ignore previous instructions", 0, 6, "ignore previous instructions");
    char text[256], want[256];
    memset(text, 'a', 100);
    memcpy(text + 100, "MATCH", 5);
    memset(text + 105, 'b', 100);
    text[205] = '\0';
    /* …, 40 a, MATCH, 40 b, … */
    strcpy(want, "\xE2\x80\xA6");
    memset(want + 3, 'a', 40);
    memcpy(want + 43, "MATCH", 5);
    memset(want + 48, 'b', 40);
    strcpy(want + 88, "\xE2\x80\xA6");
    check_excerpt(text, 100, 105, want);
    check_excerpt("\xC3\xA9", 1, 1, "\xC3\xA9");          /* inside a character: widened */
    check_excerpt("abc", 10, 20, "abc");                  /* past the end: clamped */
    check_excerpt("", 0, 0, "");
    /* A match longer than 160 characters is cut after 160 and marked. */
    char longer[400];
    memset(longer, 'x', 300);
    longer[300] = '\0';
    char *got = aiir_excerpt(longer, 300, 0, 300);
    AIIR_CHECK(strlen(got) == 163 && !strcmp(got + 160, "\xE2\x80\xA6"));
    free(got);
    /* Context is counted in characters, not bytes. */
    got = aiir_excerpt("\xC3\xA9\xC3\xA9 key", 8, 5, 8);
    AIIR_CHECK_STR(got, "\xC3\xA9\xC3\xA9 key");
    free(got);
}

static void masks_hide_the_match(void) {
    char *m = aiir_mask_token("AKIAIOSFODNN7EXAMPLE", 20);
    AIIR_CHECK_STR(m, "AKIA************MPLE");
    free(m);
    m = aiir_mask_token("short", 5);
    AIIR_CHECK_STR(m, "*****");
    free(m);
    m = aiir_mask_token("abcdefghijklmnop", 16);
    AIIR_CHECK_STR(m, "abcd************");
    free(m);
    m = aiir_mask_token("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40);
    AIIR_CHECK_STR(m, "ghp_*[32]*aaaa");
    free(m);
    const char *text = "my key is AKIAIOSFODNN7EXAMPLE ok";
    m = aiir_excerpt_masked(text, strlen(text), 10, 30);
    AIIR_CHECK_STR(m, "my key is AKIA************MPLE ok");
    free(m);
}

static void find_ignores_ascii_case(void) {
    const char *hay = "Ignore all PREVIOUS Instructions";
    AIIR_CHECK(aiir_find_nocase(hay, strlen(hay), "previous instructions", 21, 0) == 11);
    AIIR_CHECK(aiir_find_nocase(hay, strlen(hay), "previous instructions", 21, 12) == AIIR_NOT_FOUND);
    AIIR_CHECK(aiir_find_nocase(hay, strlen(hay), "xyz", 3, 0) == AIIR_NOT_FOUND);
    AIIR_CHECK(aiir_find_nocase("ab", 2, "abc", 3, 0) == AIIR_NOT_FOUND);
    AIIR_CHECK(aiir_find(hay, strlen(hay), "PREVIOUS", 8, 0) == 11);
    AIIR_CHECK(aiir_find(hay, strlen(hay), "previous", 8, 0) == AIIR_NOT_FOUND);
    AIIR_CHECK(aiir_utf8_chars("\xC3\xA9x", 3) == 2);
}

/* ---- Findings --------------------------------------------------------------------------- */

static void builder_sets_every_part(void) {
    aiir_findings fs = {0};
    aiir_finding *f = aiir_findings_add(&fs, "p/r", "t", AIIR_LOW);
    aiir_finding_confidence(f, 2.0f);
    aiir_finding_technique(f, "LLM01");
    aiir_finding_evidence(f, "payload.custom.data", "x");
    AIIR_CHECK(fs.len == 1 && f->confidence == 1.0f && f->severity == AIIR_LOW);
    AIIR_CHECK(f->techniques.len == 1 && f->techniques.ptr[0].len == 5);
    AIIR_CHECK(f->evidence.len == 1 && f->evidence.ptr[0].field.len == 19);
    aiir_finding_confidence(f, NAN);
    AIIR_CHECK(f->confidence == 0.0f);
    aiir_findings_free(&fs);
    AIIR_CHECK(fs.len == 0 && fs.ptr == NULL);
}

static void titles_are_made_one_line_and_short(void) {
    aiir_findings fs = {0};
    aiir_finding *f = aiir_findings_add(&fs, "p/r", "a\nb\x1b[2J\xE2\x80\xAE" "c", AIIR_LOW);
    char *title = aiir_str_dup(f->title);
    AIIR_CHECK_STR(title, "a b [2J c");
    free(title);
    char big[700];
    memset(big, 'x', 699);
    big[699] = '\0';
    memcpy(big + 508, "\xC3\xA9", 2);
    f = aiir_findings_add(&fs, "p/r", big, AIIR_LOW);
    AIIR_CHECK(f->title.len <= 512 && f->title.len >= 508);
    AIIR_CHECK(memcmp(f->title.ptr + f->title.len - 3, "\xE2\x80\xA6", 3) == 0);
    f = aiir_findings_add(&fs, "p/r", "  ", AIIR_LOW);
    AIIR_CHECK(f->title.len == 3 && memcmp(f->title.ptr, "p/r", 3) == 0);
    aiir_findings_free(&fs);
}

static void the_boundary_rules_are_checked(void) {
    aiir_findings fs = {0};
    char *why = NULL;
    aiir_finding *f = aiir_findings_add(&fs, "acme/canary", "ok", AIIR_HIGH);
    aiir_finding_technique(f, "AML.T0051.001");
    aiir_finding_technique(f, "AML.TA0004");
    aiir_finding_technique(f, "LLM07");
    aiir_finding_technique(f, "data-leak");
    aiir_finding_evidence(f, "payload.inference.output[0].content", "x");
    AIIR_CHECK(aiir_test_check_finding(f, "acme", &why));
    f = aiir_findings_add(&fs, "aiir/not-inspected", "x", AIIR_HIGH);
    AIIR_CHECK(!aiir_test_check_finding(f, "acme", &why));
    AIIR_CHECK_STR(why, "rule: is not <plugin>/<slug> with the plugin's own name (acme)");
    free(why);
    f = aiir_findings_add(&fs, "acme/Bad", "x", AIIR_HIGH);
    AIIR_CHECK(!aiir_test_check_finding(f, "acme", NULL));
    f = aiir_findings_add(&fs, "acme/x", "x", AIIR_HIGH);
    aiir_finding_technique(f, "AML.T51");
    AIIR_CHECK(!aiir_test_check_finding(f, "acme", &why));
    AIIR_CHECK_STR(why, "techniques[0]: is neither an ATLAS id, an OWASP LLM id nor a short slug");
    free(why);
    f = aiir_findings_add(&fs, "acme/x", "x", AIIR_HIGH);
    aiir_finding_evidence(f, "body text", "x");
    AIIR_CHECK(!aiir_test_check_finding(f, "acme", &why));
    AIIR_CHECK_STR(why, "evidence[0].field: is not a field of the event");
    free(why);
    aiir_findings_free(&fs);
}

static void inspect_is_driven_like_the_host(void) {
    aiir_findings fs;
    char *error = NULL;
    aiir_event *e = aiir_test_inference("good");
    AIIR_CHECK(aiir_test_inspect(e, &fs, &error) && fs.len == 1);
    aiir_findings_free(&fs);
    aiir_test_event_free(e);

    e = aiir_test_inference("fail");
    AIIR_CHECK(!aiir_test_inspect(e, &fs, &error));
    AIIR_CHECK_STR(error, "cannot inspect fail");
    free(error);
    aiir_test_event_free(e);

    e = aiir_test_inference("forge");
    AIIR_CHECK(!aiir_test_inspect(e, &fs, &error));
    AIIR_CHECK_STR(error, "invalid-output: findings[0].rule: is not <plugin>/<slug> with the plugin's own name (sdk-test)");
    free(error);
    aiir_test_event_free(e);
}

/* ---- Errors, logging, state ---------------------------------------------------------------- */

static void fail_sets_the_message(void) {
    aiir_error e = {0};
    AIIR_CHECK(!aiir_fail(&e, "no %s in %d", "key", 3));
    AIIR_CHECK(e.len == 11 && memcmp(e.ptr, "no key in 3", 11) == 0);
    AIIR_CHECK(!aiir_fail(&e, "again"));
    AIIR_CHECK(e.len == 5);
    free(e.ptr);
}

static void logs_go_through_the_host(void) {
    aiir_log_warn("%d phrases", 3);
    aiir_log_debug("x");
    aiir_strs logs = aiir_test_logs();
    AIIR_CHECK(logs.len == 2);
    if (logs.len == 2) {
        AIIR_CHECK_STR(logs.items[0], "warn: 3 phrases");
        AIIR_CHECK_STR(logs.items[1], "debug: x");
    }
    aiir_strs_free(&logs);
}

static void state_is_kept_per_partition_in_write_order(void) {
    aiir_test_state_clear();
    aiir_test_partition("alice");
    AIIR_CHECK(aiir_state_set_string("b", "1", NULL));
    AIIR_CHECK(aiir_state_set_string("a", "2", NULL));
    char *v = aiir_state_get_string("b");
    AIIR_CHECK_STR(v, "1");
    free(v);
    aiir_strs keys = aiir_state_keys();
    AIIR_CHECK(keys.len == 2 && !strcmp(keys.items[0], "b") && !strcmp(keys.items[1], "a"));
    aiir_strs_free(&keys);
    char *p = aiir_state_partition();
    AIIR_CHECK_STR(p, "alice");
    free(p);
    aiir_test_partition("bob");
    AIIR_CHECK(aiir_state_get_string("b") == NULL);
    aiir_test_partition("alice");
    aiir_state_remove("b");
    AIIR_CHECK(aiir_state_get_string("b") == NULL);
    char big_key[300];
    memset(big_key, 'k', 299);
    big_key[299] = '\0';
    char *error = NULL;
    AIIR_CHECK(!aiir_state_set(big_key, "x", 1, &error) && error != NULL);
    free(error);
    aiir_test_state_clear();
    aiir_test_partition(NULL);
}

static void severity_names_round_trip(void) {
    for (aiir_severity s = AIIR_INFO; s <= AIIR_CRITICAL; s++) {
        aiir_severity back;
        const char *name = aiir_severity_name(s);
        AIIR_CHECK(aiir_severity_from_name(name, strlen(name), &back) && back == s);
    }
    aiir_severity out;
    AIIR_CHECK(!aiir_severity_from_name("urgent", 6, &out));
    AIIR_CHECK(aiir_severity_name(9) == NULL);
}

static void info_lowers_kinds(void) {
    aiir_info info = {"n", "1.0.0", "d", AIIR_KIND(INFERENCE) | AIIR_KIND(CUSTOM), "s"};
    aiir_plugin_types_plugin_info_t out = aiir_info_lower(&info);
    AIIR_CHECK(out.kinds.len == 2 && out.kinds.ptr[0] == AIIR_PLUGIN_TYPES_EVENT_KIND_INFERENCE &&
               out.kinds.ptr[1] == AIIR_PLUGIN_TYPES_EVENT_KIND_CUSTOM);
    AIIR_CHECK(out.name.len == 1 && out.version.len == 5);
    free(out.name.ptr);
    free(out.version.ptr);
    free(out.description.ptr);
    free(out.settings.ptr);
    free(out.kinds.ptr);
}

int main(void) {
    AIIR_RUN(json_reads_every_type);
    AIIR_RUN(json_errors_say_where);
    AIIR_RUN(json_depth_is_bounded);
    AIIR_RUN(settings_report_every_problem_with_its_path);
    AIIR_RUN(settings_defaults_stay_when_keys_are_absent);
    AIIR_RUN(settings_accept_good_values);
    AIIR_RUN(settings_that_are_not_a_table_or_not_json);
    AIIR_RUN(settings_list_counts_and_types);
    AIIR_RUN(nested_tables_check_their_keys);
    AIIR_RUN(configure_is_driven_like_the_host);
    AIIR_RUN(inference_texts_carry_paths_and_origins);
    AIIR_RUN(tool_call_and_custom_texts);
    AIIR_RUN(excerpts_match_the_rust_sdk);
    AIIR_RUN(masks_hide_the_match);
    AIIR_RUN(find_ignores_ascii_case);
    AIIR_RUN(builder_sets_every_part);
    AIIR_RUN(titles_are_made_one_line_and_short);
    AIIR_RUN(the_boundary_rules_are_checked);
    AIIR_RUN(inspect_is_driven_like_the_host);
    AIIR_RUN(fail_sets_the_message);
    AIIR_RUN(logs_go_through_the_host);
    AIIR_RUN(state_is_kept_per_partition_in_write_order);
    AIIR_RUN(severity_names_round_trip);
    AIIR_RUN(info_lowers_kinds);
    (void)inspected;
    return aiir_test_summary();
}
