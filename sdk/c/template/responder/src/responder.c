/*
 * {{name}}: proposes to block each principal behind enough findings of an incident of
 * the configured families.
 *
 * A responder never acts: it proposes, and the host carries a proposal out only as the
 * operator's `mode` allows (`dry-run`, `approve`, `enforce`). Start here: change
 * aiir_responder_respond, keep tests/native.c in step, and run ./test.sh and ./build.sh.
 * The SDK (aiir/sdk/c/aiir.h) documents every helper used here.
 */
#include "aiir.h"

#include <stdlib.h>
#include <string.h>

#define PLUGIN "{{name}}"

static const char SETTINGS_DOC[] =
    "Every key is optional.\n\n"
    "- `families` (list of non-empty strings, default `[\"prompt-injection\"]`): the incident "
    "families it answers.\n"
    "- `min_findings` (integer, at least 1, default `3`): findings by one principal in an "
    "incident before it is blocked.";

/* The settings, kept in module state: configure may run more than once (once per
   instance the host starts), and each time replaces them whole. */
static struct {
    aiir_strs families;
    long long min_findings;
    bool configured;
} config;

static void defaults(void) {
    aiir_strs_free(&config.families);
    aiir_strs_push(&config.families, "prompt-injection");
    config.min_findings = 3;
    config.configured = true;
}

void aiir_responder_info(aiir_info *info) {
    info->name = PLUGIN;
    info->version = "0.1.0";
    info->description = "Proposes to block principals behind repeated findings";
    info->kinds = 0; /* ignored for responders */
    info->settings = SETTINGS_DOC;
}

bool aiir_responder_configure(aiir_settings *settings) {
    aiir_strs families = {0};
    long long min_findings = 3;
    aiir_strings_rule rule = {.non_empty = true}; /* any number of entries, none blank */
    bool set_families = aiir_settings_strings(settings, "families", rule, &families);
    /* Read any whole number, then say what is wrong with it in the settings' own terms. */
    if (aiir_settings_int(settings, "min_findings", -(1LL << 53), 1LL << 53, &min_findings) && min_findings < 1) {
        aiir_settings_error(settings, "min_findings", "must be at least 1, not %lld", min_findings);
    }
    /* Every problem above is recorded with its path; finish adds unknown keys. */
    if (!aiir_settings_finish(settings)) {
        aiir_strs_free(&families);
        return false;
    }
    defaults();
    if (set_families) {
        aiir_strs_free(&config.families);
        config.families = families;
    }
    config.min_findings = min_findings;
    return true;
}

static bool answers(aiir_string family) {
    for (size_t i = 0; i < config.families.len; i++)
        if (aiir_str_eq(family, config.families.items[i])) return true;
    return false;
}

bool aiir_responder_respond(const aiir_incident *incident, aiir_proposals *proposals, aiir_error *error) {
    (void)error; /* return aiir_fail(error, "...") when an incident cannot be looked at */
    if (!config.configured) defaults();
    if (!answers(incident->family)) return true;

    char *id = aiir_str_dup(incident->id);
    aiir_incident_findings findings = aiir_store_findings(id);
    for (size_t i = 0; i < incident->principals.len; i++) {
        char *principal = aiir_str_dup(incident->principals.ptr[i]);
        long long n = 0;
        for (size_t k = 0; k < findings.len; k++)
            if (findings.ptr[k].principal.is_some && aiir_str_eq(findings.ptr[k].principal.val, principal)) n++;
        if (n >= config.min_findings) {
            char *reason = aiir_format("%lld findings by %s in %s", n, principal, id);
            aiir_propose_block(proposals, principal, reason);
            free(reason);
        }
        free(principal);
    }
    aiir_incident_findings_free(&findings);
    if (proposals->len == 0) aiir_log_info("%s: no principal has %lld findings yet", id, config.min_findings);
    free(id);
    return true;
}
