/*
 * Native tests of {{name}}: ./test.sh compiles them with the machine's C compiler
 * against the sources in src/ and the SDK's host stand-in (aiir/sdk/c/aiir_native.c),
 * whose store holds the findings each test puts there (aiir_test_store_finding).
 */
#include "aiir_testkit.h"

#include <stdlib.h>
#include <string.h>

/* Findings of INC-1, one per principal given, from events e0, e1, ... */
static void store(const char *const *principals) {
    for (size_t n = 0; principals[n]; n++) {
        char *event = aiir_format("e%zu", n);
        aiir_test_store_finding("INC-1", event, "prompt-injection/direct", principals[n]);
        free(event);
    }
}

/* INC-1 of `family`, with mallory and alice among its principals. */
static aiir_incident *incident(const char *family) {
    aiir_incident *i = aiir_test_incident("INC-1", family, AIIR_SCOPE(SESSION), "sess-1");
    aiir_test_incident_principal(i, "mallory");
    aiir_test_incident_principal(i, "alice");
    return i;
}

/* The proposals for `i` (freed) under `settings`; the test fails if respond does. */
static aiir_proposals respond(const char *settings, aiir_incident *i) {
    aiir_proposals made = {0};
    char *error = NULL;
    AIIR_CHECK(aiir_test_configure(settings, NULL));
    if (!AIIR_CHECK(aiir_test_respond(i, &made, &error))) free(error);
    aiir_test_incident_free(i);
    return made;
}

/* Whether proposal `p` blocks `who` for `why`. */
static bool blocks(const aiir_proposal *p, const char *who, const char *why) {
    if (p->action.tag != AIIR_PLUGIN_INCIDENTS_ACTION_BLOCK_PRINCIPAL) return false;
    char *principal = aiir_str_dup(p->action.val.block_principal), *reason = aiir_str_dup(p->reason);
    bool ok = AIIR_CHECK_STR(principal, who) & AIIR_CHECK_STR(reason, why);
    free(principal), free(reason);
    return ok;
}

static void only_the_principal_behind_enough_findings_is_blocked(void) {
    store((const char *const[]){"mallory", "alice", "mallory", "mallory", NULL});
    aiir_proposals made = respond("{}", incident("prompt-injection"));
    if (AIIR_CHECK(made.len == 1)) AIIR_CHECK(blocks(&made.ptr[0], "mallory", "3 findings by mallory in INC-1"));
    aiir_proposals_free(&made);
}

static void fewer_findings_or_other_families_get_nothing(void) {
    store((const char *const[]){"mallory", "mallory", NULL});
    aiir_proposals made = respond("{}", incident("prompt-injection"));
    AIIR_CHECK(made.len == 0);
    aiir_proposals_free(&made);
    aiir_strs logs = aiir_test_logs();
    if (AIIR_CHECK(logs.len == 1)) AIIR_CHECK_STR(logs.items[0], "info: INC-1: no principal has 3 findings yet");
    aiir_strs_free(&logs);

    store((const char *const[]){"mallory", NULL});
    made = respond("{}", incident("data-leakage"));
    AIIR_CHECK(made.len == 0);
    aiir_proposals_free(&made);
}

static void settings_choose_the_families_and_the_threshold(void) {
    store((const char *const[]){"mallory", NULL});
    aiir_proposals made = respond("{\"families\": [\"data-leakage\"], \"min_findings\": 1}", incident("data-leakage"));
    if (AIIR_CHECK(made.len == 1)) AIIR_CHECK(blocks(&made.ptr[0], "mallory", "1 findings by mallory in INC-1"));
    aiir_proposals_free(&made);
}

static void every_settings_problem_is_reported_with_its_path(void) {
    aiir_strs problems = {0};
    AIIR_CHECK(!aiir_test_configure("{\"families\": [\"ok\", \"\"], \"min_findings\": 0, \"mode\": 1}", &problems));
    if (AIIR_CHECK(problems.len == 3)) {
        AIIR_CHECK_STR(problems.items[0], "families[1]: must not be empty");
        AIIR_CHECK_STR(problems.items[1], "min_findings: must be at least 1, not 0");
        AIIR_CHECK_STR(problems.items[2], "mode: unknown key `mode`, expected `families` or `min_findings`");
    }
    aiir_strs_free(&problems);

    AIIR_CHECK(!aiir_test_configure("{\"families\": \"prompt-injection\", \"min_findings\": 2.5}", &problems));
    if (AIIR_CHECK(problems.len == 2)) {
        AIIR_CHECK(!strncmp(problems.items[0], "families: ", 10));
        AIIR_CHECK(!strncmp(problems.items[1], "min_findings: ", 14));
    }
    aiir_strs_free(&problems);
    AIIR_CHECK(aiir_test_configure("{}", NULL));
}

int main(void) {
    AIIR_RUN(only_the_principal_behind_enough_findings_is_blocked);
    AIIR_RUN(fewer_findings_or_other_families_get_nothing);
    AIIR_RUN(settings_choose_the_families_and_the_threshold);
    AIIR_RUN(every_settings_problem_is_reported_with_its_path);
    return aiir_test_summary();
}
