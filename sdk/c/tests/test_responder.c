/*
 * Native tests of the SDK's responder parts (compiled with -DAIIR_RESPONDER): proposals
 * of every kind, reasons made one line, and respond driven as the host does.
 */
#include "aiir_testkit.h"

#include <stdlib.h>
#include <string.h>

void aiir_responder_info(aiir_info *info) {
    info->name = "sdk-test";
    info->version = "0.1.0";
    info->description = "the SDK's test responder";
    info->settings = "";
}
bool aiir_responder_configure(aiir_settings *s) { return aiir_settings_finish(s); }
bool aiir_responder_respond(const aiir_incident *incident, aiir_proposals *out, aiir_error *error) {
    if (aiir_str_eq(incident->family, "broken")) return aiir_fail(error, "no store for %.*s", AIIR_S(incident->id));
    aiir_incident_findings findings = aiir_store_findings("INC-1");
    size_t n = findings.len;
    aiir_incident_findings_free(&findings);
    char *reason = aiir_format("%zu findings", n);
    aiir_propose_rollback(out, "support-assistant", reason);
    free(reason);
    return true;
}

static bool eq(aiir_string s, const char *want) { return aiir_str_eq(s, want); }

static void every_kind_of_proposal(void) {
    aiir_proposals p = {0};
    aiir_propose_rollback(&p, "m", "roll back");
    aiir_propose_quarantine(&p, "m", "2.0.0", NULL, "quarantine");
    aiir_propose_block(&p, "user:mallory", "block");
    aiir_propose_notify(&p, "https://hooks.example/x", "{\"a\": 1}", "notify");
    aiir_propose_report(&p, "art73", "# Report\n", "{}", "report");
    AIIR_CHECK(p.len == 5);
    AIIR_CHECK(p.ptr[0].action.tag == AIIR_PLUGIN_INCIDENTS_ACTION_ROLLBACK_MODEL && eq(p.ptr[0].action.val.rollback_model, "m"));
    aiir_model_ref *q = &p.ptr[1].action.val.quarantine_model;
    AIIR_CHECK(eq(q->name, "m") && q->version.is_some && eq(q->version.val, "2.0.0") && !q->digest.is_some);
    AIIR_CHECK(eq(p.ptr[2].action.val.block_principal, "user:mallory") && eq(p.ptr[2].reason, "block"));
    AIIR_CHECK(eq(p.ptr[3].action.val.notify.url, "https://hooks.example/x"));
    AIIR_CHECK(eq(p.ptr[4].action.val.file_report.markdown, "# Report\n") && eq(p.ptr[4].action.val.file_report.kind, "art73"));
    aiir_proposals_free(&p);
    AIIR_CHECK(p.len == 0 && p.ptr == NULL);
}

static void reasons_are_one_line_of_at_most_1_kib(void) {
    aiir_proposals p = {0};
    aiir_propose_block(&p, "u", "two\nlines\x1b");
    AIIR_CHECK(eq(p.ptr[0].reason, "two lines "));
    char big[2000];
    memset(big, 'r', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    aiir_propose_block(&p, "u", big);
    AIIR_CHECK(p.ptr[1].reason.len <= 1024);
    aiir_propose_block(&p, "u", "");
    AIIR_CHECK(eq(p.ptr[2].reason, "proposed"));
    aiir_proposals_free(&p);
}

static void respond_is_driven_like_the_host(void) {
    aiir_incident *i = aiir_test_incident("INC-1", "model-integrity", AIIR_SCOPE(MODEL), "support-assistant");
    aiir_proposals p;
    char *error = NULL;
    AIIR_CHECK(aiir_test_configure("{}", NULL));
    AIIR_CHECK(aiir_test_respond(i, &p, &error) && p.len == 1 && eq(p.ptr[0].reason, "0 findings"));
    aiir_proposals_free(&p);
    aiir_test_incident_free(i);

    i = aiir_test_incident("INC-2", "broken", AIIR_SCOPE(MODEL), "m");
    AIIR_CHECK(!aiir_test_respond(i, &p, &error));
    AIIR_CHECK_STR(error, "no store for INC-2");
    free(error);
    aiir_test_incident_free(i);
}

static void the_store_holds_what_the_test_puts_there(void) {
    aiir_incident_finding *f = aiir_test_store_finding("INC-1", "e1", "prompt-injection/direct", "user:mallory");
    AIIR_CHECK(eq(f->plugin, "prompt-injection") && eq(f->finding.rule, "prompt-injection/direct"));
    f->finding.severity = AIIR_HIGH;
    aiir_test_store_finding("INC-2", "e2", "other/x", NULL);
    aiir_test_store_finding("INC-1", "e3", "prompt-injection/indirect", NULL);
    aiir_incident_findings got = aiir_store_findings("INC-1");
    if (AIIR_CHECK(got.len == 2)) {
        AIIR_CHECK(eq(got.ptr[0].event_id, "e1") && got.ptr[0].principal.is_some &&
                   eq(got.ptr[0].principal.val, "user:mallory") && got.ptr[0].finding.severity == AIIR_HIGH);
        AIIR_CHECK(eq(got.ptr[1].event_id, "e3") && !got.ptr[1].principal.is_some);
    }
    aiir_incident_findings_free(&got);
    AIIR_CHECK(got.len == 0 && got.ptr == NULL);

    aiir_incident *i = aiir_test_incident("INC-1", "prompt-injection", AIIR_SCOPE(PRINCIPAL), "user:mallory");
    aiir_proposals p;
    char *error = NULL;
    AIIR_CHECK(aiir_test_respond(i, &p, &error) && p.len == 1 && eq(p.ptr[0].reason, "2 findings"));
    aiir_proposals_free(&p);
    aiir_test_incident_free(i);

    aiir_test_store_clear();
    got = aiir_store_findings("INC-1");
    AIIR_CHECK(got.len == 0);
    aiir_incident_findings_free(&got);
}

int main(void) {
    AIIR_RUN(every_kind_of_proposal);
    AIIR_RUN(reasons_are_one_line_of_at_most_1_kib);
    AIIR_RUN(respond_is_driven_like_the_host);
    AIIR_RUN(the_store_holds_what_the_test_puts_there);
    return aiir_test_summary();
}
