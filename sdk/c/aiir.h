/*
 * aiir.h - write aiir detector and responder plugins in C.
 *
 * The SDK sits on the bindings that wit-bindgen generates from the WIT contract
 * (bindings/detector, bindings/responder) and hides their ownership rules: the
 * event your detector is handed is freed for you after `aiir_detector_inspect`
 * returns, and everything you return (findings, proposals, settings errors, error
 * messages) is built with the helpers below, which copy what you give them.
 *
 * A detector implements three functions (see the template's src/detector.c):
 *
 *     void aiir_detector_info(aiir_info *info);
 *     bool aiir_detector_configure(aiir_settings *settings);
 *     bool aiir_detector_inspect(const aiir_event *event, aiir_findings *findings, aiir_error *error);
 *
 * A responder implements aiir_responder_info / _configure / _respond and is
 * compiled with -DAIIR_RESPONDER (the template's build.sh does this).
 *
 * What is pure (strings, JSON, settings, texts, excerpts, findings, proposals) is
 * in aiir.c and compiles natively too; aiir_wasm.c binds the host's imports and the
 * world's exports; aiir_native.c stands in for the host in native tests.
 */
#ifndef AIIR_H
#define AIIR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(AIIR_RESPONDER)
#include "responder.h"
typedef responder_string_t aiir_string;
typedef responder_list_string_t aiir_string_list;
typedef responder_option_string_t aiir_option_string;
typedef responder_list_settings_error_t aiir_settings_error_list;
#else
#include "detector.h"
typedef detector_string_t aiir_string;
typedef detector_list_string_t aiir_string_list;
typedef detector_option_string_t aiir_option_string;
typedef detector_list_settings_error_t aiir_settings_error_list;
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define AIIR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define AIIR_NORETURN __attribute__((noreturn))
#else
#define AIIR_PRINTF(f, a)
#define AIIR_NORETURN
#endif

/* ---- The contract's types, by shorter names ------------------------------------ */

typedef aiir_plugin_types_event_t aiir_event;
typedef aiir_plugin_types_model_ref_t aiir_model_ref;
typedef aiir_plugin_types_message_t aiir_message;
typedef aiir_plugin_types_document_t aiir_document;
typedef aiir_plugin_types_inference_t aiir_inference;
typedef aiir_plugin_types_tool_call_t aiir_tool_call;
typedef aiir_plugin_types_finding_t aiir_finding;
typedef aiir_plugin_types_evidence_t aiir_evidence;
typedef aiir_plugin_types_severity_t aiir_severity;

/* Severities, least to most severe. */
#define AIIR_INFO AIIR_PLUGIN_TYPES_SEVERITY_INFO
#define AIIR_LOW AIIR_PLUGIN_TYPES_SEVERITY_LOW
#define AIIR_MEDIUM AIIR_PLUGIN_TYPES_SEVERITY_MEDIUM
#define AIIR_HIGH AIIR_PLUGIN_TYPES_SEVERITY_HIGH
#define AIIR_CRITICAL AIIR_PLUGIN_TYPES_SEVERITY_CRITICAL

/* Event kinds, as a bit set for aiir_info.kinds: AIIR_KIND(INFERENCE) | AIIR_KIND(TOOL_CALL). */
#define AIIR_KIND(k) (1u << AIIR_PLUGIN_TYPES_EVENT_KIND_##k)

/* Payload cases: event->payload.tag == AIIR_PAYLOAD(INFERENCE), then event->payload.val.inference. */
#define AIIR_PAYLOAD(k) AIIR_PLUGIN_TYPES_PAYLOAD_##k

/* Roles of a message. */
#define AIIR_ROLE(r) AIIR_PLUGIN_TYPES_ROLE_##r

/* The name of a severity ("info" ... "critical"); NULL when out of range. */
const char *aiir_severity_name(aiir_severity severity);
/* The severity `name` spells (its first `len` bytes); false when it names none. */
bool aiir_severity_from_name(const char *name, size_t len, aiir_severity *out);

/* ---- Strings --------------------------------------------------------------------- */

/* For printf: printf("%.*s", AIIR_S(s)) with an aiir_string s (not NUL-terminated). */
#define AIIR_S(s) (int)(s).len, (const char *)(s).ptr

/* Returned by the find helpers when there is no match. */
#define AIIR_NOT_FOUND ((size_t)-1)

/* A view of `s` as (pointer, length). */
static inline const char *aiir_str_ptr(aiir_string s) { return (const char *)s.ptr; }
/* Whether `s` equals the NUL-terminated `text`. */
bool aiir_str_eq(aiir_string s, const char *text);
/* A NUL-terminated copy of `s` (malloc: free it). */
char *aiir_str_dup(aiir_string s);
/* A NUL-terminated copy of `len` bytes at `text` (malloc: free it). */
char *aiir_strndup(const char *text, size_t len);
/* printf into a new string (malloc: free it). */
char *aiir_format(const char *fmt, ...) AIIR_PRINTF(1, 2);
char *aiir_vformat(const char *fmt, va_list args);
/* Where `needle` first occurs in `hay` at or after byte `from`, ASCII letters matched
   without regard to case (bytes >= 0x80 match exactly); AIIR_NOT_FOUND if nowhere. */
size_t aiir_find_nocase(const char *hay, size_t hay_len, const char *needle, size_t needle_len, size_t from);
/* The same, matched exactly. */
size_t aiir_find(const char *hay, size_t hay_len, const char *needle, size_t needle_len, size_t from);
/* How many characters (Unicode scalar values) the UTF-8 text has. */
size_t aiir_utf8_chars(const char *text, size_t len);

/* A growable list of owned NUL-terminated strings. */
typedef struct {
    char **items;
    size_t len;
    size_t cap;
} aiir_strs;
/* Append a copy of `text`. */
void aiir_strs_push(aiir_strs *list, const char *text);
/* Append a copy of `len` bytes at `text`. */
void aiir_strs_push_n(aiir_strs *list, const char *text, size_t len);
/* Free every string and the list; leaves it empty, ready for reuse. */
void aiir_strs_free(aiir_strs *list);

/* ---- JSON ------------------------------------------------------------------------- */

typedef enum {
    AIIR_JSON_NULL,
    AIIR_JSON_BOOL,
    AIIR_JSON_NUMBER,
    AIIR_JSON_STRING,
    AIIR_JSON_ARRAY,
    AIIR_JSON_OBJECT,
} aiir_json_type;

/* Deepest nesting of arrays and objects the reader accepts. */
#define AIIR_JSON_MAX_DEPTH 64

/* A JSON value. Strings are decoded, NUL-terminated (an embedded \u0000 shows in `len`). */
typedef struct aiir_json aiir_json;
struct aiir_json {
    aiir_json_type type;
    bool boolean;        /* AIIR_JSON_BOOL */
    double number;       /* AIIR_JSON_NUMBER */
    char *string;        /* AIIR_JSON_STRING */
    size_t len;          /* its length in bytes */
    aiir_json *items;    /* AIIR_JSON_ARRAY elements, AIIR_JSON_OBJECT members, in order */
    size_t count;        /* how many */
    char *key;           /* a member's key, in an object (NUL-terminated) */
    size_t key_len;
};

/* Parse `len` bytes of JSON text. NULL on a syntax error, with *error (if not NULL)
   set to a message with its line and column (malloc: free it). */
aiir_json *aiir_json_parse(const char *text, size_t len, char **error);
void aiir_json_free(aiir_json *value);
/* The member `key` of an object (the first of that name); NULL when absent or not an object. */
const aiir_json *aiir_json_get(const aiir_json *object, const char *key);
/* Element `i` of an array; NULL when out of range or not an array. */
const aiir_json *aiir_json_at(const aiir_json *array, size_t i);
/* "null", "a boolean", "a number", "a string", "a list", "a table": for messages. */
const char *aiir_json_type_name(aiir_json_type type);
/* Whether a number is a whole number. */
bool aiir_json_is_integer(const aiir_json *value);

/* Paths of settings keys, as the contract spells them: `a`, `a.b`, `a[2].b`. */
char *aiir_path_key(const char *parent, const char *key);  /* malloc: free it */
char *aiir_path_index(const char *parent, size_t index);   /* malloc: free it */

/* ---- Settings --------------------------------------------------------------------- */

/* The settings table handed to `configure` (JSON text of the operator's TOML table),
   and every problem found with it so far. Each reader below checks the key it reads,
   records a problem at that key's path when the value is wrong (and then leaves *out
   as it was, so it keeps your default), and returns whether it set *out. Absent keys
   are not problems: *out keeps its default. Unknown keys are reported by
   aiir_settings_finish: every key you did not read. */
typedef struct aiir_settings aiir_settings;

aiir_settings *aiir_settings_new(const char *json, size_t len);
void aiir_settings_free(aiir_settings *settings);
/* The whole table (NULL when the JSON is invalid). */
const aiir_json *aiir_settings_root(const aiir_settings *settings);
/* The value of a top-level key, marking the key as known; NULL when absent. */
const aiir_json *aiir_settings_key(aiir_settings *settings, const char *key);

/* A string of at most `max_chars` characters (0: no limit), non-empty when
   `non_empty`. *out becomes a malloc'd copy (free it). */
bool aiir_settings_string(aiir_settings *settings, const char *key, size_t max_chars, bool non_empty, char **out);
/* A boolean. */
bool aiir_settings_bool(aiir_settings *settings, const char *key, bool *out);
/* A number within [min, max]. */
bool aiir_settings_number(aiir_settings *settings, const char *key, double min, double max, double *out);
/* A whole number within [min, max]. */
bool aiir_settings_int(aiir_settings *settings, const char *key, long long min, long long max, long long *out);
/* One of the NULL-terminated `choices`; *out is its index. */
bool aiir_settings_choice(aiir_settings *settings, const char *key, const char *const *choices, int *out);
/* A severity name: info, low, medium, high or critical. */
bool aiir_settings_severity(aiir_settings *settings, const char *key, aiir_severity *out);

/* What a list of strings must be like. */
typedef struct {
    size_t min_items;  /* fewest entries */
    size_t max_items;  /* most entries; 0: no limit */
    size_t max_chars;  /* longest entry, in characters; 0: no limit */
    bool non_empty;    /* entries must not be empty (or only white space) */
} aiir_strings_rule;
/* A list of strings; each bad entry is reported at `key[i]`. On success *out is
   emptied (aiir_strs_free) and filled with copies of the entries. */
bool aiir_settings_strings(aiir_settings *settings, const char *key, aiir_strings_rule rule, aiir_strs *out);

/* Record a problem at `path` ("" for the whole table). The message is lowercase, with
   no trailing period, and says what was expected. */
void aiir_settings_error(aiir_settings *settings, const char *path, const char *fmt, ...) AIIR_PRINTF(3, 4);
/* Record that `value` at `path` is not of `type`; true when it is. */
bool aiir_settings_expect(aiir_settings *settings, const char *path, const aiir_json *value, aiir_json_type type);
/* Report every member of the object at `path` whose key is not in the NULL-terminated
   `known` (for nested tables; top-level keys are checked by aiir_settings_finish). */
void aiir_settings_known_keys(aiir_settings *settings, const char *path, const aiir_json *object, const char *const *known);
/* Report the table's unknown keys (those no reader asked for), once; then return
   whether the settings have no problem. Call it before you accept the settings. */
bool aiir_settings_finish(aiir_settings *settings);
/* How many problems were recorded, and each one (path and message). */
size_t aiir_settings_error_count(const aiir_settings *settings);
const char *aiir_settings_error_path(const aiir_settings *settings, size_t i);
const char *aiir_settings_error_message(const aiir_settings *settings, size_t i);
/* Hand the problems over as the contract's list (used by the export glue). */
aiir_settings_error_list aiir_settings_take_errors(aiir_settings *settings);

/* ---- Texts of an event ------------------------------------------------------------- */

/* Where a text came from, which says how far it can be trusted. */
typedef enum {
    AIIR_ORIGIN_SYSTEM,          /* the application's instructions (system prompt) */
    AIIR_ORIGIN_USER,            /* an end user's message */
    AIIR_ORIGIN_ASSISTANT,       /* the model's output */
    AIIR_ORIGIN_TOOL_RESULT,     /* a tool's result, as a message or in a tool call */
    AIIR_ORIGIN_RETRIEVED,       /* a document retrieved into the context */
    AIIR_ORIGIN_TOOL_ARGUMENTS,  /* the arguments the model gave a tool */
    AIIR_ORIGIN_TRAINING_RECORD, /* an example of a training-data batch */
    AIIR_ORIGIN_CUSTOM,          /* the body of a custom event */
} aiir_origin;

/* Text from a third party rather than the user served: where indirect injection hides. */
bool aiir_origin_is_third_party(aiir_origin origin);
const char *aiir_origin_name(aiir_origin origin);

/* One text of an event. `field` is its path as in the aiir JSON format, e.g.
   `payload.inference.input[1].content`; it lives in the iterator and changes with
   the next call. `text` points into the event (not NUL-terminated). */
typedef struct {
    const char *field;
    aiir_origin origin;
    const char *text;
    size_t len;
} aiir_text;

/* Walks every text of an event in document order: inference input messages, output
   messages, retrieved documents; tool-call arguments, then result; training-data
   records; a custom event's data. Lifecycle events and training runs have none.

       aiir_texts it = aiir_texts_of(event);
       aiir_text t;
       while (aiir_texts_next(&it, &t)) { ... }                                         */
typedef struct {
    const aiir_event *event;
    int stage;
    size_t index;
    char field[72];
} aiir_texts;
aiir_texts aiir_texts_of(const aiir_event *event);
bool aiir_texts_next(aiir_texts *it, aiir_text *out);

/* ---- Excerpts ------------------------------------------------------------------- */

/* Context kept on each side of a match, and the longest match kept whole, in characters. */
#define AIIR_EXCERPT_CONTEXT_CHARS 40
#define AIIR_EXCERPT_MATCH_CHARS 160

/* The part of `text` at bytes [start, end) with a little context either side, marked
   with `…` where cut; fit to be evidence (malloc: free it). Offsets inside a character
   move outwards to its edges. Same result as the Rust SDK's `excerpt`. */
char *aiir_excerpt(const char *text, size_t len, size_t start, size_t end);
/* The same, with the matched part masked by aiir_mask_token: for secrets and
   personal data, which evidence must not repeat. */
char *aiir_excerpt_masked(const char *text, size_t len, size_t start, size_t end);
/* A token shown as its first four characters and, when 20 or more long, its last four,
   the rest starred (`AKIA************MPLE`); under 12 characters, all starred; more than
   16 stars are written `*[n]*` (malloc: free it). */
char *aiir_mask_token(const char *text, size_t len);

/* ---- Findings --------------------------------------------------------------------- */

/* The findings `inspect` returns: add them with aiir_findings_add. */
typedef struct {
    aiir_finding *ptr;
    size_t len;
    size_t cap;
} aiir_findings;

/* Add a finding of `rule` (`<plugin>/<slug>`) titled `title`, confidence 1.0, no
   techniques, no evidence; the strings are copied. The title is made fit for the
   contract: control and bidi characters become spaces, and it is cut to 512 bytes
   (at a character edge, ending in `…`). Returns the finding to refine. */
aiir_finding *aiir_findings_add(aiir_findings *findings, const char *rule, const char *title, aiir_severity severity);
/* How sure the rule is, clamped to [0, 1] (NaN becomes 0). */
void aiir_finding_confidence(aiir_finding *finding, float confidence);
/* Add an ATLAS or OWASP technique id (copied). */
void aiir_finding_technique(aiir_finding *finding, const char *id);
/* Add evidence: the field path and the excerpt (both copied). */
void aiir_finding_evidence(aiir_finding *finding, const char *field, const char *excerpt);
/* Add evidence with the excerpt of `text` at bytes [start, end) (see aiir_excerpt). */
void aiir_finding_evidence_at(aiir_finding *finding, const char *field, const char *text, size_t len, size_t start,
                              size_t end);
/* Free every finding and empty the list. */
void aiir_findings_free(aiir_findings *findings);

/* ---- Errors, logging ---------------------------------------------------------------- */

/* The error message `inspect` or `respond` returns with false. */
typedef aiir_string aiir_error;
/* Set the error message and return false: `return aiir_fail(error, "no %s", what);`.
   The host records the event as not inspected by this plugin, with the message. */
bool aiir_fail(aiir_error *error, const char *fmt, ...) AIIR_PRINTF(2, 3);

typedef enum {
    AIIR_LOG_DEBUG = AIIR_PLUGIN_HOST_LEVEL_DEBUG, /* detail for the plugin's author */
    AIIR_LOG_INFO = AIIR_PLUGIN_HOST_LEVEL_INFO,   /* normal operation */
    AIIR_LOG_WARN = AIIR_PLUGIN_HOST_LEVEL_WARN,   /* something the operator should look at */
    AIIR_LOG_ERROR = AIIR_PLUGIN_HOST_LEVEL_ERROR, /* something failed */
} aiir_log_level;

/* Write a line to the host's log (the `host.log` import), tagged with the plugin's
   name. The host caps calls and bytes per call (max_log_calls, max_log_bytes). */
void aiir_log(aiir_log_level level, const char *fmt, ...) AIIR_PRINTF(2, 3);
void aiir_vlog(aiir_log_level level, const char *fmt, va_list args);
#define aiir_log_debug(...) aiir_log(AIIR_LOG_DEBUG, __VA_ARGS__)
#define aiir_log_info(...) aiir_log(AIIR_LOG_INFO, __VA_ARGS__)
#define aiir_log_warn(...) aiir_log(AIIR_LOG_WARN, __VA_ARGS__)
#define aiir_log_error(...) aiir_log(AIIR_LOG_ERROR, __VA_ARGS__)

/* For a bug that leaves nothing sensible to return: log the message at error level,
   then trap. The host fails the call (reason `trap`) and shows the message in its log.
   Prefer aiir_fail, which keeps the instance. */
AIIR_NORETURN void aiir_panic(const char *fmt, ...) AIIR_PRINTF(1, 2);

/* ---- The plugin's own description ----------------------------------------------------- */

typedef struct {
    const char *name;        /* lowercase with dashes, e.g. `acme-watch` */
    const char *version;     /* semver, e.g. `0.1.0` */
    const char *description; /* one line */
    unsigned kinds;          /* AIIR_KIND(INFERENCE) | ...: the events inspect gets */
    const char *settings;    /* the settings' keys, types, defaults, meaning (Markdown) */
} aiir_info;

/* Build the contract's plugin-info from `info` (copies; used by the export glue). */
aiir_plugin_types_plugin_info_t aiir_info_lower(const aiir_info *info);

#if !defined(AIIR_RESPONDER)
/* ---- Detector ------------------------------------------------------------------------- */

/* Implement these three. The host calls info once, configure once per instance (so
   possibly several times: keep settings in static variables and replace them whole),
   then inspect for every event of the kinds info asked for. */
void aiir_detector_info(aiir_info *info);
/* Read the settings with the aiir_settings_* readers; return aiir_settings_finish(s)
   once every key is read (and keep the new settings only when it is true). */
bool aiir_detector_configure(aiir_settings *settings);
/* Add findings (often none) and return true, or return aiir_fail(error, ...). The event
   is freed after the call: copy what you keep. */
bool aiir_detector_inspect(const aiir_event *event, aiir_findings *findings, aiir_error *error);

/* ---- Keyed state (the `state` import) ---------------------------------------------- */

/* The partition key of the event being inspected (malloc: free it). */
char *aiir_state_partition(void);
/* The bytes under `key`: *value is malloc'd (free it), NUL-terminated past *len for
   convenience; false when there are none. */
bool aiir_state_get(const char *key, uint8_t **value, size_t *len);
/* Keep `len` bytes under `key`; false (with *error, malloc'd, if error is not NULL) when
   the host refuses: past its caps (a key of 256 bytes, a value of 1 MiB,
   max_state_bytes) or outside inspect. */
bool aiir_state_set(const char *key, const void *value, size_t len, char **error);
/* Forget `key`. */
void aiir_state_remove(const char *key);
/* Every key of the partition, the one written longest ago first. */
aiir_strs aiir_state_keys(void);
/* A string value: NUL-terminated malloc'd copy, or NULL when absent. */
char *aiir_state_get_string(const char *key);
bool aiir_state_set_string(const char *key, const char *value, char **error);
#endif

#if defined(AIIR_RESPONDER)
/* ---- Responder ---------------------------------------------------------------------- */

typedef aiir_plugin_incidents_incident_t aiir_incident;
typedef aiir_plugin_incidents_proposal_t aiir_proposal;
typedef aiir_plugin_incidents_incident_finding_t aiir_incident_finding;
typedef aiir_plugin_incidents_model_version_t aiir_model_version;
typedef aiir_plugin_incidents_lineage_impact_t aiir_lineage_impact;

#define AIIR_STATE(s) AIIR_PLUGIN_INCIDENTS_STATE_##s
#define AIIR_SCOPE(s) AIIR_PLUGIN_INCIDENTS_SCOPE_##s

/* The proposals `respond` returns. */
typedef struct {
    aiir_proposal *ptr;
    size_t len;
    size_t cap;
} aiir_proposals;

/* Propose an action, with a one-line reason for the audit log (strings are copied;
   the reason is made one line of at most 1 KiB). */
void aiir_propose_rollback(aiir_proposals *out, const char *model, const char *reason);
void aiir_propose_quarantine(aiir_proposals *out, const char *model, const char *version, const char *digest,
                             const char *reason); /* version, digest: NULL for none */
void aiir_propose_block(aiir_proposals *out, const char *principal, const char *reason);
void aiir_propose_notify(aiir_proposals *out, const char *url, const char *body, const char *reason);
void aiir_propose_report(aiir_proposals *out, const char *kind, const char *markdown, const char *json,
                         const char *reason);
void aiir_proposals_free(aiir_proposals *proposals);

/* Implement these three: as for a detector, with respond instead of inspect. The
   incident is freed after the call. */
void aiir_responder_info(aiir_info *info);
bool aiir_responder_configure(aiir_settings *settings);
bool aiir_responder_respond(const aiir_incident *incident, aiir_proposals *proposals, aiir_error *error);

/* Read-only views of the host's store (the `response` import). Free what they return
   with the matching _free. */
typedef aiir_plugin_response_list_incident_finding_t aiir_incident_findings;
typedef aiir_plugin_response_list_model_version_t aiir_model_versions;
/* The findings of an incident, oldest first (at most the newest 1000). */
aiir_incident_findings aiir_store_findings(const char *incident);
void aiir_incident_findings_free(aiir_incident_findings *list);
/* Every version of a model the registry knows, oldest first. */
aiir_model_versions aiir_store_versions(const char *model);
void aiir_model_versions_free(aiir_model_versions *list);
/* What the training data an incident's findings name reached; false when none. */
bool aiir_store_impact(const char *incident, aiir_lineage_impact *out);
void aiir_lineage_impact_free(aiir_lineage_impact *impact);
#endif

/* ---- What aiir_wasm.c and aiir_native.c provide to aiir.c ------------------------------ */

/* Write one log line; the host binding or the native stand-in. */
void aiir_host_log(aiir_log_level level, const char *message, size_t len);

#ifdef __cplusplus
}
#endif
#endif
