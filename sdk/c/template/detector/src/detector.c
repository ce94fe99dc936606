/*
 * {{name}}: flags watched phrases in the texts of model calls and tool calls.
 *
 * Built into {{name}}.wasm by ./build.sh; the SDK (aiir/sdk/c/aiir.h) documents
 * every helper used here.
 */
#include "aiir.h"

#include <stdlib.h>
#include <string.h>

#define PLUGIN "{{name}}"
#define RULE PLUGIN "/phrase"

static const char SETTINGS_DOC[] =
    "- `phrases` (list of 1 to 64 non-empty strings of at most 200 characters, default "
    "`[\"previous instructions\"]`): the phrases to watch for, matched without regard to "
    "ASCII case in every text of the event.\n"
    "- `severity` (`info`, `low`, `medium`, `high` or `critical`, default `medium`): the "
    "severity of each finding.";

/* The settings, kept in module state: configure may run more than once (once per
   instance the host starts), and each time replaces them whole. */
static struct {
    aiir_strs phrases;
    aiir_severity severity;
    bool configured;
} config;

void aiir_detector_info(aiir_info *info) {
    info->name = PLUGIN;
    info->version = "0.1.0";
    info->description = "flags watched phrases in messages, retrieved documents and tool calls";
    info->kinds = AIIR_KIND(INFERENCE) | AIIR_KIND(TOOL_CALL);
    info->settings = SETTINGS_DOC;
}

bool aiir_detector_configure(aiir_settings *settings) {
    aiir_strs phrases = {0};
    aiir_severity severity = AIIR_MEDIUM;
    aiir_strings_rule rule = {.min_items = 1, .max_items = 64, .max_chars = 200, .non_empty = true};

    aiir_settings_strings(settings, "phrases", rule, &phrases);
    aiir_settings_severity(settings, "severity", &severity);
    /* Every problem above is recorded with its path; finish adds unknown keys. */
    if (!aiir_settings_finish(settings)) {
        aiir_strs_free(&phrases);
        return false;
    }
    if (phrases.len == 0) aiir_strs_push(&phrases, "previous instructions");

    aiir_strs_free(&config.phrases);
    config.phrases = phrases;
    config.severity = severity;
    config.configured = true;
    return true;
}

bool aiir_detector_inspect(const aiir_event *event, aiir_findings *findings, aiir_error *error) {
    (void)error; /* return aiir_fail(error, "...") when an event cannot be inspected */
    if (!config.configured) {
        aiir_strs_push(&config.phrases, "previous instructions");
        config.severity = AIIR_MEDIUM;
        config.configured = true;
    }

    aiir_texts texts = aiir_texts_of(event);
    aiir_text t;
    while (aiir_texts_next(&texts, &t)) {
        for (size_t i = 0; i < config.phrases.len; i++) {
            const char *phrase = config.phrases.items[i];
            size_t n = strlen(phrase);
            size_t at = aiir_find_nocase(t.text, t.len, phrase, n, 0);
            if (at == AIIR_NOT_FOUND) continue;

            char *title = aiir_format("Watched phrase \"%s\" in %s", phrase, t.field);
            aiir_finding *f = aiir_findings_add(findings, RULE, title, config.severity);
            free(title);
            aiir_finding_confidence(f, 0.9f);
            aiir_finding_technique(f, "AML.T0051");
            aiir_finding_evidence_at(f, t.field, t.text, t.len, at, at + n);
        }
    }
    return true;
}
