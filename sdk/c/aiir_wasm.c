/*
 * aiir_wasm.c - the glue between the generated bindings and the SDK, for wasm32
 * builds only: the world's exports call the plugin's aiir_detector_* (or
 * aiir_responder_*) functions and free what the host handed over; the host's
 * imports (log, state, response) are wrapped so that nothing the plugin sees is
 * owned by the canonical ABI.
 */
#include "aiir.h"

#include <stdlib.h>
#include <string.h>

void aiir_host_log(aiir_log_level level, const char *message, size_t len) {
    aiir_string s = {(uint8_t *)message, len};
    aiir_plugin_host_log((aiir_plugin_host_level_t)level, &s);
}

/* The error message when a plugin returns false without aiir_fail. */
static void default_error(aiir_error *error, const char *what) {
    if (error->ptr == NULL && error->len == 0) aiir_fail(error, "%s returned false without a message", what);
}

/* configure, for either world: parse, hand over, report every problem. */
static bool configure(aiir_string *json, aiir_settings_error_list *err, bool (*plugin)(aiir_settings *)) {
    aiir_settings *s = aiir_settings_new((const char *)json->ptr, json->len);
    free(json->ptr);
    bool ok = aiir_settings_root(s) != NULL && plugin(s);
    ok = aiir_settings_finish(s) && ok;
    if (!ok) {
        if (aiir_settings_error_count(s) == 0) aiir_settings_error(s, "", "the plugin refused its settings");
        *err = aiir_settings_take_errors(s);
    }
    aiir_settings_free(s);
    return ok;
}

#if !defined(AIIR_RESPONDER)

void exports_detector_info(detector_plugin_info_t *ret) {
    aiir_info info;
    memset(&info, 0, sizeof info);
    aiir_detector_info(&info);
    *ret = aiir_info_lower(&info);
}

bool exports_detector_configure(detector_string_t *settings, detector_list_settings_error_t *err) {
    return configure(settings, err, aiir_detector_configure);
}

bool exports_detector_inspect(detector_event_t *event, detector_list_finding_t *ret, detector_string_t *err) {
    aiir_findings findings = {NULL, 0, 0};
    aiir_error error = {NULL, 0};
    bool ok = aiir_detector_inspect(event, &findings, &error);
    aiir_plugin_types_event_free(event);
    if (ok) {
        free(error.ptr);
        ret->ptr = findings.ptr;
        ret->len = findings.len;
        return true;
    }
    aiir_findings_free(&findings);
    default_error(&error, "inspect");
    *err = error;
    return false;
}

char *aiir_state_partition(void) {
    detector_string_t s;
    aiir_plugin_state_partition(&s);
    char *out = aiir_str_dup(s);
    detector_string_free(&s);
    return out;
}

bool aiir_state_get(const char *key, uint8_t **value, size_t *len) {
    detector_string_t k = {(uint8_t *)key, strlen(key)};
    detector_list_u8_t v;
    if (!aiir_plugin_state_get(&k, &v)) return false;
    uint8_t *out = realloc(v.ptr, v.len + 1);
    if (!out) aiir_panic("out of memory");
    out[v.len] = 0;
    *value = out;
    *len = v.len;
    return true;
}

bool aiir_state_set(const char *key, const void *value, size_t len, char **error) {
    detector_string_t k = {(uint8_t *)key, strlen(key)};
    detector_list_u8_t v = {(uint8_t *)value, len};
    detector_string_t e = {NULL, 0};
    if (aiir_plugin_state_set(&k, &v, &e)) return true;
    if (error) *error = aiir_str_dup(e);
    detector_string_free(&e);
    return false;
}

void aiir_state_remove(const char *key) {
    detector_string_t k = {(uint8_t *)key, strlen(key)};
    aiir_plugin_state_remove(&k);
}

aiir_strs aiir_state_keys(void) {
    detector_list_string_t keys;
    aiir_plugin_state_keys(&keys);
    aiir_strs out = {NULL, 0, 0};
    for (size_t i = 0; i < keys.len; i++) aiir_strs_push_n(&out, (const char *)keys.ptr[i].ptr, keys.ptr[i].len);
    detector_list_string_free(&keys);
    return out;
}

char *aiir_state_get_string(const char *key) {
    uint8_t *v;
    size_t n;
    return aiir_state_get(key, &v, &n) ? (char *)v : NULL;
}

bool aiir_state_set_string(const char *key, const char *value, char **error) {
    return aiir_state_set(key, value, strlen(value), error);
}

#else

void exports_responder_info(responder_plugin_info_t *ret) {
    aiir_info info;
    memset(&info, 0, sizeof info);
    aiir_responder_info(&info);
    *ret = aiir_info_lower(&info);
}

bool exports_responder_configure(responder_string_t *settings, responder_list_settings_error_t *err) {
    return configure(settings, err, aiir_responder_configure);
}

bool exports_responder_respond(responder_incident_t *incident, responder_list_proposal_t *ret, responder_string_t *err) {
    aiir_proposals proposals = {NULL, 0, 0};
    aiir_error error = {NULL, 0};
    bool ok = aiir_responder_respond(incident, &proposals, &error);
    aiir_plugin_incidents_incident_free(incident);
    if (ok) {
        free(error.ptr);
        ret->ptr = proposals.ptr;
        ret->len = proposals.len;
        return true;
    }
    aiir_proposals_free(&proposals);
    default_error(&error, "respond");
    *err = error;
    return false;
}

aiir_incident_findings aiir_store_findings(const char *incident) {
    responder_string_t id = {(uint8_t *)incident, strlen(incident)};
    aiir_incident_findings out;
    aiir_plugin_response_findings(&id, &out);
    return out;
}

void aiir_incident_findings_free(aiir_incident_findings *list) { aiir_plugin_response_list_incident_finding_free(list); }

aiir_model_versions aiir_store_versions(const char *model) {
    responder_string_t name = {(uint8_t *)model, strlen(model)};
    aiir_model_versions out;
    aiir_plugin_response_versions(&name, &out);
    return out;
}

void aiir_model_versions_free(aiir_model_versions *list) { aiir_plugin_response_list_model_version_free(list); }

bool aiir_store_impact(const char *incident, aiir_lineage_impact *out) {
    responder_string_t id = {(uint8_t *)incident, strlen(incident)};
    return aiir_plugin_response_impact(&id, out);
}

void aiir_lineage_impact_free(aiir_lineage_impact *impact) { aiir_plugin_incidents_lineage_impact_free(impact); }

#endif
