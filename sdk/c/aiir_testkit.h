/*
 * aiir_testkit.h - test a plugin natively, with the machine's C compiler.
 *
 * Compile your plugin's sources with aiir.c and aiir_native.c (not aiir_wasm.c nor
 * the generated bindings/WORLD/WORLD.c): aiir_native.c stands in for the host. It keeps
 * log lines, state and (for responders) the store of findings in memory, drives
 * configure and inspect / respond as the host does, and checks every finding against
 * the host's boundary rules (rule, title, confidence, techniques, evidence), so a
 * finding the host would refuse fails the test.
 *
 *     cc -std=c11 -I aiir/sdk/c -I aiir/sdk/c/bindings/detector \
 *        src/detector.c tests/native.c aiir/sdk/c/aiir.c aiir/sdk/c/aiir_native.c -lm
 */
#ifndef AIIR_TESTKIT_H
#define AIIR_TESTKIT_H

#include "aiir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Events (natively built; free with aiir_test_event_free) ---------------------------- */

/* An inference event with no messages; add them with the functions below. */
aiir_event *aiir_test_inference(const char *id);
/* Add an input message (AIIR_ROLE(SYSTEM), USER, ASSISTANT or TOOL). */
void aiir_test_input(aiir_event *event, aiir_plugin_types_role_t role, const char *content);
/* Add an output message of the model. */
void aiir_test_output(aiir_event *event, const char *content);
/* Add a retrieved document. */
void aiir_test_retrieved(aiir_event *event, const char *id, const char *source, const char *content);
/* A tool call; `result` NULL for none. */
aiir_event *aiir_test_tool_call(const char *id, const char *tool, const char *arguments, const char *result);
/* A custom event. */
aiir_event *aiir_test_custom(const char *id, const char *kind, const char *data);
/* Set the principal and session (NULL for none). */
void aiir_test_who(aiir_event *event, const char *principal, const char *session);
void aiir_test_event_free(aiir_event *event);

/* ---- Driving the plugin as the host does ---------------------------------------------- */

/* The plugin's info, as the host reads it; the name is what rules must start with. */
aiir_info aiir_test_info(void);
/* configure with the JSON text; false with every problem as "path: message" in *problems
   (if not NULL; aiir_strs_free it). */
bool aiir_test_configure(const char *json, aiir_strs *problems);

#if !defined(AIIR_RESPONDER)
/* inspect the event in `partition` (its state's); false with *error (malloc'd) when the
   detector failed or returned a finding the host would refuse (the message says which
   rule it broke). On success *findings holds them (aiir_findings_free). */
bool aiir_test_inspect(const aiir_event *event, aiir_findings *findings, char **error);
/* The partition the next inspect runs in ("" by default). */
void aiir_test_partition(const char *partition);
/* Forget all state kept so far. */
void aiir_test_state_clear(void);
#else
/* An open incident of `family` grouped by `scope` = `key` (one finding, medium). */
aiir_incident *aiir_test_incident(const char *id, const char *family, aiir_plugin_incidents_scope_t scope,
                                  const char *key);
void aiir_test_incident_principal(aiir_incident *incident, const char *principal);
void aiir_test_incident_free(aiir_incident *incident);
/* respond to the incident, as the host does; what the responder reads from the store
   (aiir_store_findings) is what the test put there with aiir_test_store_finding. */
bool aiir_test_respond(const aiir_incident *incident, aiir_proposals *proposals, char **error);

/* ---- The host's store, natively (empty until filled) --------------------------------- */

/* Put a finding of incident `incident` in the store, from event `event_id`, by
   `principal` (NULL for none): rule `rule` (its plugin is the part before `/`), title
   the rule, severity medium, confidence 1, found at time 1. aiir_store_findings returns
   an incident's findings in the order they were put. The returned finding may be
   refined (session, model, severity, ...; malloc'd strings) until the next call. Each
   AIIR_RUN test starts with an empty store. */
aiir_incident_finding *aiir_test_store_finding(const char *incident, const char *event_id, const char *rule,
                                               const char *principal);
/* Empty the store. */
void aiir_test_store_clear(void);
#endif

/* Whether a finding would pass the host's boundary for a plugin named `plugin`; when
   not, *why (malloc'd) names the broken rule. */
bool aiir_test_check_finding(const aiir_finding *finding, const char *plugin, char **why);

/* The lines logged since the last call, as "level: message" (aiir_strs_free them). */
aiir_strs aiir_test_logs(void);

/* ---- A minimal test runner --------------------------------------------------------------

       static void defaults_fire(void) { AIIR_CHECK(1 + 1 == 2); }
       int main(void) {
           AIIR_RUN(defaults_fire);
           return aiir_test_summary();   // prints "N passed, M failed"
       }                                                                                     */
#define AIIR_CHECK(cond) aiir_test_check((cond), #cond, __FILE__, __LINE__)
#define AIIR_CHECK_STR(got, want) aiir_test_check_str((got), (want), __FILE__, __LINE__)
#define AIIR_RUN(fn) aiir_test_run(#fn, fn)
/* Record a failed check (printing where) when `ok` is false; returns `ok`. */
bool aiir_test_check(bool ok, const char *what, const char *file, int line);
/* Check two NUL-terminated strings are equal (NULL equals only NULL). */
bool aiir_test_check_str(const char *got, const char *want, const char *file, int line);
/* Run one test: it passes when none of its checks failed. */
void aiir_test_run(const char *name, void (*test)(void));
/* Print "N passed, M failed" and return the exit status: 0 when all passed. */
int aiir_test_summary(void);

#ifdef __cplusplus
}
#endif
#endif
