/*
 * aiir_native.c - the host's stand-in for native tests (see aiir_testkit.h). Link it
 * instead of aiir_wasm.c and the generated bindings/WORLD/WORLD.c.
 */
#include "aiir_testkit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static aiir_string copy(const char *text) {
    aiir_string s = {NULL, 0};
    if (text && *text) {
        s.len = strlen(text);
        s.ptr = malloc(s.len);
        memcpy(s.ptr, text, s.len);
    }
    return s;
}

static aiir_option_string option(const char *text) {
    aiir_option_string o;
    memset(&o, 0, sizeof o);
    if (text) {
        o.is_some = true;
        o.val = copy(text);
    }
    return o;
}

static void drop(aiir_string *s) {
    free(s->ptr);
    s->ptr = NULL;
    s->len = 0;
}

static void drop_option(aiir_option_string *o) {
    if (o->is_some) drop(&o->val);
}

/* ---- Log ------------------------------------------------------------------------- */

static aiir_strs logged;

void aiir_host_log(aiir_log_level level, const char *message, size_t len) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char *line = aiir_format("%s: %.*s", (unsigned)level < 4 ? names[level] : "?", (int)len, message);
    aiir_strs_push(&logged, line);
    free(line);
}

aiir_strs aiir_test_logs(void) {
    aiir_strs out = logged;
    memset(&logged, 0, sizeof logged);
    return out;
}

/* ---- Test runner ---------------------------------------------------------------------- */

static int passed, failed, failed_checks;

bool aiir_test_check(bool ok, const char *what, const char *file, int line) {
    if (!ok) {
        failed_checks++;
        fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

bool aiir_test_check_str(const char *got, const char *want, const char *file, int line) {
    bool ok = (!got && !want) || (got && want && strcmp(got, want) == 0);
    if (!ok) {
        failed_checks++;
        fprintf(stderr, "    %s:%d: check failed\n      got:  %s\n      want: %s\n", file, line, got ? got : "(null)",
                want ? want : "(null)");
    }
    return ok;
}

void aiir_test_run(const char *name, void (*test)(void)) {
    int before = failed_checks;
    test();
    aiir_strs rest = aiir_test_logs();
    aiir_strs_free(&rest);
#if defined(AIIR_RESPONDER)
    aiir_test_store_clear();
#endif
    if (failed_checks == before) {
        passed++;
        printf("ok      %s\n", name);
    } else {
        failed++;
        printf("FAILED  %s\n", name);
    }
    fflush(stdout);
}

int aiir_test_summary(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

/* ---- Events -------------------------------------------------------------------------- */

static aiir_event *event_new(const char *id, uint8_t tag) {
    aiir_event *e = calloc(1, sizeof *e);
    e->id = copy(id);
    e->source = copy("test");
    e->payload.tag = tag;
    return e;
}

aiir_event *aiir_test_inference(const char *id) { return event_new(id, AIIR_PAYLOAD(INFERENCE)); }

static void push_message(aiir_plugin_types_list_message_t *list, aiir_plugin_types_role_t role, const char *content) {
    list->ptr = realloc(list->ptr, (list->len + 1) * sizeof *list->ptr);
    list->ptr[list->len].role = role;
    list->ptr[list->len].content = copy(content);
    list->len++;
}

void aiir_test_input(aiir_event *e, aiir_plugin_types_role_t role, const char *content) {
    push_message(&e->payload.val.inference.input, role, content);
}

void aiir_test_output(aiir_event *e, const char *content) {
    push_message(&e->payload.val.inference.output, AIIR_ROLE(ASSISTANT), content);
}

void aiir_test_retrieved(aiir_event *e, const char *id, const char *source, const char *content) {
    aiir_plugin_types_list_document_t *list = &e->payload.val.inference.retrieved;
    list->ptr = realloc(list->ptr, (list->len + 1) * sizeof *list->ptr);
    list->ptr[list->len].id = copy(id);
    list->ptr[list->len].source = copy(source);
    list->ptr[list->len].content = copy(content);
    list->len++;
}

aiir_event *aiir_test_tool_call(const char *id, const char *tool, const char *arguments, const char *result) {
    aiir_event *e = event_new(id, AIIR_PAYLOAD(TOOL_CALL));
    e->payload.val.tool_call.tool = copy(tool);
    e->payload.val.tool_call.arguments = copy(arguments);
    e->payload.val.tool_call.result = option(result);
    return e;
}

aiir_event *aiir_test_custom(const char *id, const char *kind, const char *data) {
    aiir_event *e = event_new(id, AIIR_PAYLOAD(CUSTOM));
    e->payload.val.custom.kind = copy(kind);
    e->payload.val.custom.data = copy(data);
    return e;
}

void aiir_test_who(aiir_event *e, const char *principal, const char *session) {
    drop_option(&e->principal);
    drop_option(&e->session);
    e->principal = option(principal);
    e->session = option(session);
}

static void free_messages(aiir_plugin_types_list_message_t *list) {
    for (size_t i = 0; i < list->len; i++) drop(&list->ptr[i].content);
    free(list->ptr);
}

void aiir_test_event_free(aiir_event *e) {
    if (!e) return;
    drop(&e->id);
    drop(&e->source);
    drop_option(&e->principal);
    drop_option(&e->session);
    switch (e->payload.tag) {
    case AIIR_PAYLOAD(INFERENCE):
        free_messages(&e->payload.val.inference.input);
        free_messages(&e->payload.val.inference.output);
        for (size_t i = 0; i < e->payload.val.inference.retrieved.len; i++) {
            aiir_document *d = &e->payload.val.inference.retrieved.ptr[i];
            drop(&d->id);
            drop(&d->source);
            drop(&d->content);
        }
        free(e->payload.val.inference.retrieved.ptr);
        break;
    case AIIR_PAYLOAD(TOOL_CALL):
        drop(&e->payload.val.tool_call.tool);
        drop(&e->payload.val.tool_call.arguments);
        drop_option(&e->payload.val.tool_call.result);
        break;
    case AIIR_PAYLOAD(CUSTOM):
        drop(&e->payload.val.custom.kind);
        drop(&e->payload.val.custom.data);
        break;
    default: break;
    }
    free(e);
}

/* ---- The boundary's rules for a finding ---------------------------------------------- */

static bool slug(const char *s, size_t len) {
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

static bool all_digits(const char *s, size_t len, size_t n) {
    if (len != n) return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static bool technique(aiir_string t) {
    const char *s = (const char *)t.ptr;
    size_t n = t.len;
    if (n >= 6 && !memcmp(s, "AML.TA", 6)) return all_digits(s + 6, n - 6, 4);
    if (n >= 5 && !memcmp(s, "AML.T", 5)) {
        const char *dot = memchr(s + 5, '.', n - 5);
        if (!dot) return all_digits(s + 5, n - 5, 4);
        return all_digits(s + 5, (size_t)(dot - s - 5), 4) && all_digits(dot + 1, n - (size_t)(dot + 1 - s), 3);
    }
    if (n >= 3 && !memcmp(s, "LLM", 3)) return all_digits(s + 3, n - 3, 2);
    return slug(s, n) && n <= 32;
}

/* The first unsafe character of `s` (aiir-boundary's is_unsafe), or -1. */
static long unsafe_at(aiir_string s) {
    const unsigned char *p = s.ptr;
    for (size_t i = 0; i < s.len;) {
        unsigned char c = p[i];
        uint32_t cp = c;
        size_t n = 1;
        if (c >= 0xC0 && c < 0xE0 && i + 1 < s.len) cp = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu), n = 2;
        else if (c >= 0xE0 && c < 0xF0 && i + 2 < s.len)
            cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu), n = 3;
        else if (c >= 0xF0) n = 4;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
            cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029)
            return (long)i;
        i += n;
    }
    return -1;
}

static bool violation(char **why, const char *fmt, ...) AIIR_PRINTF(2, 3);

static bool violation(char **why, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    if (why) *why = aiir_vformat(fmt, args);
    va_end(args);
    return false;
}

bool aiir_test_check_finding(const aiir_finding *f, const char *plugin, char **why) {
    const char *rule = (const char *)f->rule.ptr;
    const char *slash = f->rule.len ? memchr(rule, '/', f->rule.len) : NULL;
    size_t prefix = slash ? (size_t)(slash - rule) : 0;
    size_t slug_len = slash ? f->rule.len - prefix - 1 : 0;
    if (!slash || prefix != strlen(plugin) || memcmp(rule, plugin, prefix) != 0 || !strcmp(plugin, "aiir") ||
        !slug(slash + 1, slug_len) || slug_len > 64)
        return violation(why, "rule: is not <plugin>/<slug> with the plugin's own name (%s)", plugin);
    bool blank = true;
    for (size_t i = 0; i < f->title.len && blank; i++) blank = strchr(" \t\r\n", f->title.ptr[i]) != NULL;
    if (f->title.len > 512) return violation(why, "title: %zu bytes, more than the cap of 512", f->title.len);
    if (blank) return violation(why, "title: is empty");
    if (unsafe_at(f->title) >= 0) return violation(why, "title: control character at byte %ld", unsafe_at(f->title));
    if (!(f->confidence >= 0.0f && f->confidence <= 1.0f)) return violation(why, "confidence: %g is not a number from 0 to 1", (double)f->confidence);
    if (f->techniques.len > 16) return violation(why, "techniques: %zu ids, more than the cap of 16", f->techniques.len);
    for (size_t i = 0; i < f->techniques.len; i++)
        if (!technique(f->techniques.ptr[i]))
            return violation(why, "techniques[%zu]: is neither an ATLAS id, an OWASP LLM id nor a short slug", i);
    if (f->evidence.len > 256) return violation(why, "evidence: %zu entries, more than the cap of 256", f->evidence.len);
    static const char *const roots[] = {"id", "time", "source", "model", "principal", "session", "payload", "attributes", NULL};
    for (size_t i = 0; i < f->evidence.len; i++) {
        aiir_string field = f->evidence.ptr[i].field;
        size_t root = 0;
        while (root < field.len && field.ptr[root] != '.' && field.ptr[root] != '[') root++;
        bool known = false;
        for (int k = 0; roots[k] && !known; k++) known = strlen(roots[k]) == root && !memcmp(roots[k], field.ptr, root);
        bool spaced = false;
        for (size_t k = 0; k < field.len && !spaced; k++) spaced = field.ptr[k] <= ' ';
        if (!known || spaced || field.len > 256 || unsafe_at(field) >= 0)
            return violation(why, "evidence[%zu].field: is not a field of the event", i);
        if (f->evidence.ptr[i].excerpt.len > 4096)
            return violation(why, "evidence[%zu].excerpt: more than the cap of 4096 bytes", i);
    }
    return true;
}

/* ---- Driving the plugin -------------------------------------------------------------- */

#if !defined(AIIR_RESPONDER)
#define PLUGIN_INFO aiir_detector_info
#define PLUGIN_CONFIGURE aiir_detector_configure
#else
#define PLUGIN_INFO aiir_responder_info
#define PLUGIN_CONFIGURE aiir_responder_configure
#endif

aiir_info aiir_test_info(void) {
    aiir_info info;
    memset(&info, 0, sizeof info);
    PLUGIN_INFO(&info);
    return info;
}

bool aiir_test_configure(const char *json, aiir_strs *problems) {
    aiir_settings *s = aiir_settings_new(json, strlen(json));
    bool ok = aiir_settings_root(s) != NULL && PLUGIN_CONFIGURE(s);
    ok = aiir_settings_finish(s) && ok;
    if (!ok && aiir_settings_error_count(s) == 0) aiir_settings_error(s, "", "the plugin refused its settings");
    for (size_t i = 0; problems && i < aiir_settings_error_count(s); i++) {
        char *line = aiir_format("%s: %s", aiir_settings_error_path(s, i), aiir_settings_error_message(s, i));
        aiir_strs_push(problems, line);
        free(line);
    }
    aiir_settings_free(s);
    return ok;
}

#if !defined(AIIR_RESPONDER)

/* ---- State, kept in memory ------------------------------------------------------------ */

typedef struct {
    char *partition, *key;
    uint8_t *value;
    size_t len;
    unsigned long long written;
} entry;

static entry *entries;
static size_t n_entries;
static unsigned long long writes;
static char *current = NULL;

static const char *partition_now(void) { return current ? current : ""; }

void aiir_test_partition(const char *partition) {
    free(current);
    current = partition ? aiir_format("%s", partition) : NULL;
}

void aiir_test_state_clear(void) {
    for (size_t i = 0; i < n_entries; i++) {
        free(entries[i].partition);
        free(entries[i].key);
        free(entries[i].value);
    }
    free(entries);
    entries = NULL;
    n_entries = 0;
}

static entry *find(const char *key) {
    for (size_t i = 0; i < n_entries; i++)
        if (!strcmp(entries[i].partition, partition_now()) && !strcmp(entries[i].key, key)) return &entries[i];
    return NULL;
}

char *aiir_state_partition(void) { return aiir_format("%s", partition_now()); }

bool aiir_state_get(const char *key, uint8_t **value, size_t *len) {
    entry *e = find(key);
    if (!e) return false;
    *value = malloc(e->len + 1);
    if (e->len) memcpy(*value, e->value, e->len);
    (*value)[e->len] = 0;
    *len = e->len;
    return true;
}

bool aiir_state_set(const char *key, const void *value, size_t len, char **error) {
    if (strlen(key) > 256 || len > (1u << 20)) {
        if (error) *error = aiir_format("a key of %zu bytes or a value of %zu bytes, over the host's caps", strlen(key), len);
        return false;
    }
    entry *e = find(key);
    if (!e) {
        entries = realloc(entries, (n_entries + 1) * sizeof *entries);
        e = &entries[n_entries++];
        e->partition = aiir_format("%s", partition_now());
        e->key = aiir_format("%s", key);
    } else {
        free(e->value);
    }
    e->value = malloc(len ? len : 1);
    if (len) memcpy(e->value, value, len);
    e->len = len;
    e->written = ++writes;
    return true;
}

void aiir_state_remove(const char *key) {
    entry *e = find(key);
    if (!e) return;
    free(e->partition);
    free(e->key);
    free(e->value);
    *e = entries[--n_entries];
}

aiir_strs aiir_state_keys(void) {
    aiir_strs out = {NULL, 0, 0};
    unsigned long long after = 0;
    for (;;) {
        entry *next = NULL;
        for (size_t i = 0; i < n_entries; i++) {
            entry *e = &entries[i];
            if (!strcmp(e->partition, partition_now()) && e->written > after && (!next || e->written < next->written)) next = e;
        }
        if (!next) return out;
        aiir_strs_push(&out, next->key);
        after = next->written;
    }
}

char *aiir_state_get_string(const char *key) {
    uint8_t *v;
    size_t n;
    return aiir_state_get(key, &v, &n) ? (char *)v : NULL;
}

bool aiir_state_set_string(const char *key, const char *value, char **error) {
    return aiir_state_set(key, value, strlen(value), error);
}

bool aiir_test_inspect(const aiir_event *event, aiir_findings *findings, char **error) {
    aiir_findings found = {NULL, 0, 0};
    aiir_error e = {NULL, 0};
    *findings = found;
    if (!aiir_detector_inspect(event, &found, &e)) {
        aiir_findings_free(&found);
        *error = e.ptr ? aiir_str_dup(e) : aiir_format("inspect returned false without a message");
        free(e.ptr);
        return false;
    }
    free(e.ptr);
    aiir_info info = aiir_test_info();
    for (size_t i = 0; i < found.len; i++) {
        char *why = NULL;
        if (!aiir_test_check_finding(&found.ptr[i], info.name, &why)) {
            *error = aiir_format("invalid-output: findings[%zu].%s", i, why);
            free(why);
            aiir_findings_free(&found);
            return false;
        }
    }
    *findings = found;
    return true;
}

#else

aiir_incident *aiir_test_incident(const char *id, const char *family, aiir_plugin_incidents_scope_t scope,
                                  const char *key) {
    aiir_incident *i = calloc(1, sizeof *i);
    i->id = copy(id);
    i->title = copy(family);
    i->family = copy(family);
    i->severity = AIIR_MEDIUM;
    i->state = AIIR_STATE(OPEN);
    i->scope = scope;
    i->key = copy(key);
    i->finding_count = 1;
    return i;
}

void aiir_test_incident_principal(aiir_incident *i, const char *principal) {
    i->principals.ptr = realloc(i->principals.ptr, (i->principals.len + 1) * sizeof *i->principals.ptr);
    i->principals.ptr[i->principals.len++] = copy(principal);
}

static void drop_list(aiir_string_list *l) {
    for (size_t k = 0; k < l->len; k++) drop(&l->ptr[k]);
    free(l->ptr);
}

void aiir_test_incident_free(aiir_incident *i) {
    if (!i) return;
    drop(&i->id);
    drop(&i->title);
    drop(&i->family);
    drop(&i->key);
    drop_list(&i->principals);
    drop_list(&i->sessions);
    drop_list(&i->techniques);
    drop_list(&i->rules);
    free(i);
}

bool aiir_test_respond(const aiir_incident *incident, aiir_proposals *proposals, char **error) {
    aiir_proposals made = {NULL, 0, 0};
    aiir_error e = {NULL, 0};
    *proposals = made;
    if (!aiir_responder_respond(incident, &made, &e)) {
        aiir_proposals_free(&made);
        *error = e.ptr ? aiir_str_dup(e) : aiir_format("respond returned false without a message");
        free(e.ptr);
        return false;
    }
    free(e.ptr);
    *proposals = made;
    return true;
}

/* ---- The store, kept in memory -------------------------------------------------------- */

typedef struct {
    char *incident;
    aiir_incident_finding finding;
} stored;

static stored *store;
static size_t n_stored;

static aiir_string dup_string(aiir_string s) {
    aiir_string d = {NULL, s.len};
    if (s.len) {
        d.ptr = malloc(s.len);
        memcpy(d.ptr, s.ptr, s.len);
    }
    return d;
}

static aiir_option_string dup_option(aiir_option_string o) {
    if (o.is_some) o.val = dup_string(o.val);
    return o;
}

static aiir_incident_finding finding_copy(const aiir_incident_finding *f) {
    aiir_incident_finding c = *f;
    c.event_id = dup_string(f->event_id);
    c.plugin = dup_string(f->plugin);
    if (f->model.is_some) {
        c.model.val.name = dup_string(f->model.val.name);
        c.model.val.version = dup_option(f->model.val.version);
        c.model.val.digest = dup_option(f->model.val.digest);
    }
    c.principal = dup_option(f->principal);
    c.session = dup_option(f->session);
    c.finding.rule = dup_string(f->finding.rule);
    c.finding.title = dup_string(f->finding.title);
    c.finding.techniques.ptr = NULL;
    if (f->finding.techniques.len) {
        c.finding.techniques.ptr = malloc(f->finding.techniques.len * sizeof *c.finding.techniques.ptr);
        for (size_t k = 0; k < f->finding.techniques.len; k++)
            c.finding.techniques.ptr[k] = dup_string(f->finding.techniques.ptr[k]);
    }
    c.finding.evidence.ptr = NULL;
    if (f->finding.evidence.len) {
        c.finding.evidence.ptr = malloc(f->finding.evidence.len * sizeof *c.finding.evidence.ptr);
        for (size_t k = 0; k < f->finding.evidence.len; k++) {
            c.finding.evidence.ptr[k].field = dup_string(f->finding.evidence.ptr[k].field);
            c.finding.evidence.ptr[k].excerpt = dup_string(f->finding.evidence.ptr[k].excerpt);
        }
    }
    return c;
}

static void finding_drop(aiir_incident_finding *f) {
    drop(&f->event_id);
    drop(&f->plugin);
    if (f->model.is_some) {
        drop(&f->model.val.name);
        drop_option(&f->model.val.version);
        drop_option(&f->model.val.digest);
    }
    drop_option(&f->principal);
    drop_option(&f->session);
    drop(&f->finding.rule);
    drop(&f->finding.title);
    for (size_t k = 0; k < f->finding.techniques.len; k++) drop(&f->finding.techniques.ptr[k]);
    free(f->finding.techniques.ptr);
    for (size_t k = 0; k < f->finding.evidence.len; k++) {
        drop(&f->finding.evidence.ptr[k].field);
        drop(&f->finding.evidence.ptr[k].excerpt);
    }
    free(f->finding.evidence.ptr);
    memset(f, 0, sizeof *f);
}

aiir_incident_finding *aiir_test_store_finding(const char *incident, const char *event_id, const char *rule,
                                               const char *principal) {
    store = realloc(store, (n_stored + 1) * sizeof *store);
    stored *s = &store[n_stored++];
    memset(s, 0, sizeof *s);
    s->incident = aiir_format("%s", incident);
    aiir_incident_finding *f = &s->finding;
    const char *slash = strchr(rule, '/');
    char *plugin = aiir_strndup(rule, slash ? (size_t)(slash - rule) : strlen(rule));
    f->event_id = copy(event_id);
    f->time_unix_nano = 1;
    f->plugin = copy(plugin);
    f->principal = option(principal);
    f->finding.rule = copy(rule);
    f->finding.title = copy(rule);
    f->finding.severity = AIIR_MEDIUM;
    f->finding.confidence = 1.0f;
    free(plugin);
    return f;
}

void aiir_test_store_clear(void) {
    for (size_t i = 0; i < n_stored; i++) {
        free(store[i].incident);
        finding_drop(&store[i].finding);
    }
    free(store);
    store = NULL;
    n_stored = 0;
}

aiir_incident_findings aiir_store_findings(const char *incident) {
    aiir_incident_findings out = {NULL, 0};
    for (size_t i = 0; i < n_stored; i++) {
        if (strcmp(store[i].incident, incident) != 0) continue;
        out.ptr = realloc(out.ptr, (out.len + 1) * sizeof *out.ptr);
        out.ptr[out.len++] = finding_copy(&store[i].finding);
    }
    return out;
}

void aiir_incident_findings_free(aiir_incident_findings *list) {
    for (size_t i = 0; i < list->len; i++) finding_drop(&list->ptr[i]);
    free(list->ptr);
    list->ptr = NULL;
    list->len = 0;
}

aiir_model_versions aiir_store_versions(const char *model) {
    (void)model;
    aiir_model_versions none = {NULL, 0};
    return none;
}

void aiir_model_versions_free(aiir_model_versions *list) {
    free(list->ptr);
    list->ptr = NULL;
    list->len = 0;
}

bool aiir_store_impact(const char *incident, aiir_lineage_impact *out) {
    (void)incident;
    (void)out;
    return false;
}

void aiir_lineage_impact_free(aiir_lineage_impact *impact) { (void)impact; }

#endif
