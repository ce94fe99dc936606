/*
 * aiir.c - the pure part of the C SDK: strings, JSON, settings, texts, excerpts,
 * findings and proposals. It calls no host import (logging goes through
 * aiir_host_log, which aiir_wasm.c or aiir_native.c provides), so it compiles
 * natively as well as for wasm32.
 */
#include "aiir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Memory ---------------------------------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) aiir_panic("out of memory (%zu bytes)", n);
    return p;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) aiir_panic("out of memory (%zu bytes)", n);
    return q;
}

/* Grow *items (of `size` bytes each) to hold at least `need`. */
static void grow(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return;
    size_t next = *cap ? *cap * 2 : 4;
    while (next < need) next *= 2;
    *items = xrealloc(*items, next * size);
    *cap = next;
}

/* ---- Severities -------------------------------------------------------------------------- */

static const char *const SEVERITIES[] = {"info", "low", "medium", "high", "critical", NULL};

const char *aiir_severity_name(aiir_severity severity) {
    return severity <= AIIR_CRITICAL ? SEVERITIES[severity] : NULL;
}

bool aiir_severity_from_name(const char *name, size_t len, aiir_severity *out) {
    for (int i = 0; SEVERITIES[i]; i++) {
        if (strlen(SEVERITIES[i]) == len && memcmp(SEVERITIES[i], name, len) == 0) {
            *out = (aiir_severity)i;
            return true;
        }
    }
    return false;
}

/* ---- Strings ------------------------------------------------------------------------------- */

bool aiir_str_eq(aiir_string s, const char *text) {
    size_t n = strlen(text);
    return s.len == n && (n == 0 || memcmp(s.ptr, text, n) == 0);
}

char *aiir_strndup(const char *text, size_t len) {
    char *out = xmalloc(len + 1);
    if (len) memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

char *aiir_str_dup(aiir_string s) { return aiir_strndup((const char *)s.ptr, s.len); }

char *aiir_vformat(const char *fmt, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) return aiir_strndup("", 0);
    char *out = xmalloc((size_t)n + 1);
    vsnprintf(out, (size_t)n + 1, fmt, args);
    return out;
}

char *aiir_format(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    char *out = aiir_vformat(fmt, args);
    va_end(args);
    return out;
}

static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

size_t aiir_find_nocase(const char *hay, size_t hay_len, const char *needle, size_t needle_len, size_t from) {
    if (needle_len == 0) return from <= hay_len ? from : AIIR_NOT_FOUND;
    if (from > hay_len || hay_len - from < needle_len) return AIIR_NOT_FOUND;
    const unsigned char *h = (const unsigned char *)hay, *n = (const unsigned char *)needle;
    unsigned char first = lower(n[0]);
    for (size_t i = from, last = hay_len - needle_len; i <= last; i++) {
        if (lower(h[i]) != first) continue;
        size_t j = 1;
        while (j < needle_len && lower(h[i + j]) == lower(n[j])) j++;
        if (j == needle_len) return i;
    }
    return AIIR_NOT_FOUND;
}

size_t aiir_find(const char *hay, size_t hay_len, const char *needle, size_t needle_len, size_t from) {
    if (needle_len == 0) return from <= hay_len ? from : AIIR_NOT_FOUND;
    if (from > hay_len || hay_len - from < needle_len) return AIIR_NOT_FOUND;
    for (size_t i = from, last = hay_len - needle_len; i <= last; i++) {
        const char *p = memchr(hay + i, needle[0], last - i + 1);
        if (!p) return AIIR_NOT_FOUND;
        i = (size_t)(p - hay);
        if (memcmp(p, needle, needle_len) == 0) return i;
    }
    return AIIR_NOT_FOUND;
}

static bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

size_t aiir_utf8_chars(const char *text, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += !continuation((unsigned char)text[i]);
    return n;
}

void aiir_strs_push_n(aiir_strs *list, const char *text, size_t len) {
    grow((void **)&list->items, &list->cap, list->len + 1, sizeof(char *));
    list->items[list->len++] = aiir_strndup(text, len);
}

void aiir_strs_push(aiir_strs *list, const char *text) { aiir_strs_push_n(list, text, strlen(text)); }

void aiir_strs_free(aiir_strs *list) {
    for (size_t i = 0; i < list->len; i++) free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->len = list->cap = 0;
}

/* A contract string holding a copy of `len` bytes at `text`. */
static aiir_string own(const char *text, size_t len) {
    aiir_string s = {NULL, len};
    if (len) {
        s.ptr = xmalloc(len);
        memcpy(s.ptr, text, len);
    }
    return s;
}

static aiir_string own_c(const char *text) { return own(text ? text : "", text ? strlen(text) : 0); }

static void free_string(aiir_string *s) {
    free(s->ptr);
    s->ptr = NULL;
    s->len = 0;
}

/* A growable byte buffer. */
typedef struct {
    char *ptr;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const char *text, size_t len) {
    grow((void **)&b->ptr, &b->cap, b->len + len + 1, 1);
    if (len) memcpy(b->ptr + b->len, text, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

static void buf_str(buf *b, const char *text) { buf_add(b, text, strlen(text)); }

static void buf_char(buf *b, char c) { buf_add(b, &c, 1); }

static char *buf_done(buf *b) {
    if (!b->ptr) return aiir_strndup("", 0);
    return b->ptr;
}

/* The next code point of UTF-8 `s` at *i (advancing *i); U+FFFD for a bad byte. */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *i) {
    unsigned char c = s[*i];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n == 0 || *i + n > len) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < n; k++) {
        if (!continuation(s[*i + k])) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3Fu);
    }
    *i += n;
    return cp;
}

/* Characters the host refuses in one-line text: C0, DEL, C1, bidi controls and the
   line and paragraph separators (aiir-boundary's is_unsafe). */
static bool unsafe_cp(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 ||
           cp == 0x2029;
}

/* `text` as one line of at most `max` bytes: unsafe characters become spaces, and a
   longer text is cut at a character edge and ends in `…`. Empty gives `fallback`. */
static bool blank(const char *text) {
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n') text++;
    return *text == '\0';
}

static aiir_string one_line(const char *text, size_t max, const char *fallback) {
    if (!text || blank(text)) text = fallback;
    size_t len = strlen(text);
    buf b = {0};
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t at = i;
        uint32_t cp = next_cp(s, len, &i);
        if (unsafe_cp(cp)) {
            buf_char(&b, ' ');
        } else if (cp == 0xFFFD && i - at == 1) {
            buf_str(&b, "\xEF\xBF\xBD");
        } else {
            buf_add(&b, text + at, i - at);
        }
    }
    if (b.ptr && blank(b.ptr)) {
        free(b.ptr);
        return one_line(fallback, max, "-");
    }
    if (b.len > max) {
        size_t cut = max - 3;
        while (cut > 0 && continuation((unsigned char)b.ptr[cut])) cut--;
        b.len = cut;
        buf_str(&b, "\xE2\x80\xA6");
    }
    aiir_string out = {(uint8_t *)b.ptr, b.len};
    if (!b.ptr) out = own("", 0);
    return out;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len, i;
    int depth;
    char *error;
} parser;

static void where(const parser *p, size_t at, size_t *line, size_t *col) {
    *line = 1;
    *col = 1;
    for (size_t k = 0; k < at && k < p->len; k++) {
        if (p->s[k] == '\n') {
            (*line)++;
            *col = 1;
        } else if (!continuation((unsigned char)p->s[k])) {
            (*col)++;
        }
    }
}

static bool fail_at(parser *p, const char *what) {
    if (!p->error) {
        size_t line, col;
        where(p, p->i, &line, &col);
        p->error = aiir_format("%s at line %zu column %zu", what, line, col);
    }
    return false;
}

static void skip_ws(parser *p) {
    while (p->i < p->len) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static void put_utf8(buf *b, uint32_t cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(b, out, n);
}

static bool hex4(parser *p, uint32_t *out) {
    if (p->len - p->i < 4) return fail_at(p, "unexpected end of text in a \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i + k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return fail_at(p, "invalid \\u escape");
    }
    p->i += 4;
    *out = v;
    return true;
}

/* A string at p->i (after the opening quote): decoded into *out, *len. */
static bool parse_string(parser *p, char **out, size_t *len) {
    buf b = {0};
    buf_add(&b, "", 0);
    for (;;) {
        if (p->i >= p->len) {
            free(b.ptr);
            return fail_at(p, "unexpected end of text in a string");
        }
        size_t start = p->i;
        while (p->i < p->len && p->s[p->i] != '"' && p->s[p->i] != '\\' && (unsigned char)p->s[p->i] >= 0x20) p->i++;
        buf_add(&b, p->s + start, p->i - start);
        if (p->i >= p->len) continue;
        char c = p->s[p->i];
        if (c == '"') {
            p->i++;
            *len = b.len;
            *out = b.ptr;
            return true;
        }
        if (c != '\\') {
            free(b.ptr);
            return fail_at(p, "control character in a string");
        }
        p->i++;
        if (p->i >= p->len) continue;
        char e = p->s[p->i++];
        uint32_t cp;
        switch (e) {
        case '"': buf_char(&b, '"'); break;
        case '\\': buf_char(&b, '\\'); break;
        case '/': buf_char(&b, '/'); break;
        case 'b': buf_char(&b, '\b'); break;
        case 'f': buf_char(&b, '\f'); break;
        case 'n': buf_char(&b, '\n'); break;
        case 'r': buf_char(&b, '\r'); break;
        case 't': buf_char(&b, '\t'); break;
        case 'u':
            if (!hex4(p, &cp)) {
                free(b.ptr);
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t low;
                if (p->len - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                    p->i += 2;
                    if (!hex4(p, &low)) {
                        free(b.ptr);
                        return false;
                    }
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else {
                        free(b.ptr);
                        return fail_at(p, "unpaired surrogate in a \\u escape");
                    }
                } else {
                    free(b.ptr);
                    return fail_at(p, "unpaired surrogate in a \\u escape");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(b.ptr);
                return fail_at(p, "unpaired surrogate in a \\u escape");
            }
            put_utf8(&b, cp);
            break;
        default:
            p->i--;
            free(b.ptr);
            return fail_at(p, "invalid escape in a string");
        }
    }
}

static bool digits(parser *p) {
    size_t start = p->i;
    while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    return p->i > start;
}

static bool parse_number(parser *p, aiir_json *v) {
    size_t start = p->i;
    if (p->s[p->i] == '-') p->i++;
    if (p->i < p->len && p->s[p->i] == '0') {
        p->i++;
    } else if (!digits(p)) {
        return fail_at(p, "invalid number");
    }
    if (p->i < p->len && p->s[p->i] == '.') {
        p->i++;
        if (!digits(p)) return fail_at(p, "invalid number");
    }
    if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (!digits(p)) return fail_at(p, "invalid number");
    }
    char small[64];
    size_t n = p->i - start;
    char *text = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(text, p->s + start, n);
    text[n] = '\0';
    v->type = AIIR_JSON_NUMBER;
    v->number = strtod(text, NULL);
    if (text != small) free(text);
    if (isinf(v->number)) return fail_at(p, "number out of range");
    return true;
}

static bool parse_value(parser *p, aiir_json *v);

static bool literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->i >= n && memcmp(p->s + p->i, word, n) == 0) {
        p->i += n;
        return true;
    }
    return fail_at(p, "expected a value");
}

static void push_item(aiir_json *v, size_t *cap, aiir_json item) {
    grow((void **)&v->items, cap, v->count + 1, sizeof(aiir_json));
    v->items[v->count++] = item;
}

static void free_value(aiir_json *v) {
    for (size_t i = 0; i < v->count; i++) free_value(&v->items[i]);
    free(v->items);
    free(v->string);
    free(v->key);
}

static bool parse_container(parser *p, aiir_json *v, bool object) {
    if (++p->depth > AIIR_JSON_MAX_DEPTH) return fail_at(p, "nested deeper than 64 levels");
    v->type = object ? AIIR_JSON_OBJECT : AIIR_JSON_ARRAY;
    size_t cap = 0;
    char close = object ? '}' : ']';
    p->i++;
    skip_ws(p);
    if (p->i < p->len && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return true;
    }
    for (;;) {
        aiir_json item = {0};
        skip_ws(p);
        if (object) {
            if (p->i >= p->len) return fail_at(p, "unexpected end of text in a table");
            if (p->s[p->i] != '"') return fail_at(p, "expected a key in quotes");
            p->i++;
            if (!parse_string(p, &item.key, &item.key_len)) return false;
            skip_ws(p);
            if (p->i >= p->len || p->s[p->i] != ':') {
                free(item.key);
                return fail_at(p, "expected `:`");
            }
            p->i++;
        }
        bool ok = parse_value(p, &item);
        push_item(v, &cap, item);
        if (!ok) return false;
        skip_ws(p);
        if (p->i >= p->len) return fail_at(p, object ? "unexpected end of text in a table" : "unexpected end of text in a list");
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == close) {
            p->i++;
            p->depth--;
            return true;
        }
        return fail_at(p, object ? "expected `,` or `}`" : "expected `,` or `]`");
    }
}

static bool parse_value(parser *p, aiir_json *v) {
    skip_ws(p);
    if (p->i >= p->len) return fail_at(p, "unexpected end of text");
    char c = p->s[p->i];
    switch (c) {
    case '{': return parse_container(p, v, true);
    case '[': return parse_container(p, v, false);
    case '"':
        p->i++;
        v->type = AIIR_JSON_STRING;
        return parse_string(p, &v->string, &v->len);
    case 't':
        v->type = AIIR_JSON_BOOL;
        v->boolean = true;
        return literal(p, "true");
    case 'f':
        v->type = AIIR_JSON_BOOL;
        return literal(p, "false");
    case 'n':
        v->type = AIIR_JSON_NULL;
        return literal(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
        return fail_at(p, "expected a value");
    }
}

aiir_json *aiir_json_parse(const char *text, size_t len, char **error) {
    parser p = {text, len, 0, 0, NULL};
    aiir_json *root = xmalloc(sizeof *root);
    memset(root, 0, sizeof *root);
    bool ok = parse_value(&p, root);
    if (ok) {
        skip_ws(&p);
        if (p.i < p.len) ok = fail_at(&p, "trailing characters");
    }
    if (ok) {
        if (error) *error = NULL;
        return root;
    }
    aiir_json_free(root);
    if (error) *error = p.error;
    else free(p.error);
    return NULL;
}

void aiir_json_free(aiir_json *value) {
    if (!value) return;
    free_value(value);
    free(value);
}

const aiir_json *aiir_json_get(const aiir_json *object, const char *key) {
    if (!object || object->type != AIIR_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < object->count; i++) {
        const aiir_json *m = &object->items[i];
        if (m->key_len == n && memcmp(m->key, key, n) == 0) return m;
    }
    return NULL;
}

const aiir_json *aiir_json_at(const aiir_json *array, size_t i) {
    if (!array || array->type != AIIR_JSON_ARRAY || i >= array->count) return NULL;
    return &array->items[i];
}

const char *aiir_json_type_name(aiir_json_type type) {
    switch (type) {
    case AIIR_JSON_NULL: return "null";
    case AIIR_JSON_BOOL: return "a boolean";
    case AIIR_JSON_NUMBER: return "a number";
    case AIIR_JSON_STRING: return "a string";
    case AIIR_JSON_ARRAY: return "a list";
    case AIIR_JSON_OBJECT: return "a table";
    }
    return "a value";
}

bool aiir_json_is_integer(const aiir_json *value) {
    return value && value->type == AIIR_JSON_NUMBER && isfinite(value->number) && floor(value->number) == value->number;
}

char *aiir_path_key(const char *parent, const char *key) {
    return parent && *parent ? aiir_format("%s.%s", parent, key) : aiir_format("%s", key);
}

char *aiir_path_index(const char *parent, size_t index) { return aiir_format("%s[%zu]", parent ? parent : "", index); }

/* ---- Settings --------------------------------------------------------------------------- */

typedef struct {
    char *path;
    char *message;
} problem;

struct aiir_settings {
    aiir_json *root;
    aiir_strs known;
    problem *problems;
    size_t count, cap;
    bool finished;
};

void aiir_settings_error(aiir_settings *s, const char *path, const char *fmt, ...) {
    grow((void **)&s->problems, &s->cap, s->count + 1, sizeof(problem));
    va_list args;
    va_start(args, fmt);
    s->problems[s->count].message = aiir_vformat(fmt, args);
    va_end(args);
    s->problems[s->count].path = aiir_format("%s", path ? path : "");
    s->count++;
}

aiir_settings *aiir_settings_new(const char *json, size_t len) {
    aiir_settings *s = xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    char *error = NULL;
    s->root = aiir_json_parse(json, len, &error);
    if (!s->root) {
        aiir_settings_error(s, "", "settings are not valid JSON: %s", error ? error : "?");
        free(error);
    } else if (s->root->type != AIIR_JSON_OBJECT) {
        aiir_settings_error(s, "", "settings must be a table, not %s", aiir_json_type_name(s->root->type));
    }
    return s;
}

void aiir_settings_free(aiir_settings *s) {
    if (!s) return;
    aiir_json_free(s->root);
    aiir_strs_free(&s->known);
    for (size_t i = 0; i < s->count; i++) {
        free(s->problems[i].path);
        free(s->problems[i].message);
    }
    free(s->problems);
    free(s);
}

const aiir_json *aiir_settings_root(const aiir_settings *s) { return s->root; }

const aiir_json *aiir_settings_key(aiir_settings *s, const char *key) {
    bool seen = false;
    for (size_t i = 0; i < s->known.len && !seen; i++) seen = strcmp(s->known.items[i], key) == 0;
    if (!seen) aiir_strs_push(&s->known, key);
    return aiir_json_get(s->root, key);
}

bool aiir_settings_expect(aiir_settings *s, const char *path, const aiir_json *v, aiir_json_type type) {
    if (v->type == type) return true;
    aiir_settings_error(s, path, "expected %s, found %s", aiir_json_type_name(type), aiir_json_type_name(v->type));
    return false;
}

/* Check a string's length; true when fine. */
static bool check_text(aiir_settings *s, const char *path, const aiir_json *v, size_t max_chars, bool non_empty) {
    if (non_empty) {
        bool empty = true;
        for (size_t i = 0; i < v->len && empty; i++) empty = v->string[i] && strchr(" \t\r\n", v->string[i]) != NULL;
        if (empty) {
            aiir_settings_error(s, path, "must not be empty");
            return false;
        }
    }
    size_t chars = aiir_utf8_chars(v->string, v->len);
    if (max_chars && chars > max_chars) {
        aiir_settings_error(s, path, "must be at most %zu characters, not %zu", max_chars, chars);
        return false;
    }
    return true;
}

bool aiir_settings_string(aiir_settings *s, const char *key, size_t max_chars, bool non_empty, char **out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v || !aiir_settings_expect(s, key, v, AIIR_JSON_STRING)) return false;
    if (!check_text(s, key, v, max_chars, non_empty)) return false;
    *out = aiir_strndup(v->string, v->len);
    return true;
}

bool aiir_settings_bool(aiir_settings *s, const char *key, bool *out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v || !aiir_settings_expect(s, key, v, AIIR_JSON_BOOL)) return false;
    *out = v->boolean;
    return true;
}

bool aiir_settings_number(aiir_settings *s, const char *key, double min, double max, double *out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v || !aiir_settings_expect(s, key, v, AIIR_JSON_NUMBER)) return false;
    if (!(v->number >= min && v->number <= max)) {
        aiir_settings_error(s, key, "must be between %g and %g, not %g", min, max, v->number);
        return false;
    }
    *out = v->number;
    return true;
}

bool aiir_settings_int(aiir_settings *s, const char *key, long long min, long long max, long long *out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v || !aiir_settings_expect(s, key, v, AIIR_JSON_NUMBER)) return false;
    if (!aiir_json_is_integer(v)) {
        aiir_settings_error(s, key, "expected a whole number, found %g", v->number);
        return false;
    }
    if (!(v->number >= (double)min && v->number <= (double)max)) {
        aiir_settings_error(s, key, "must be between %lld and %lld, not %.0f", min, max, v->number);
        return false;
    }
    *out = (long long)v->number;
    return true;
}

/* "a, b or c" */
static char *either(const char *const *choices) {
    buf b = {0};
    for (size_t i = 0; choices[i]; i++) {
        if (i > 0) buf_str(&b, choices[i + 1] ? ", " : " or ");
        buf_str(&b, choices[i]);
    }
    return buf_done(&b);
}

bool aiir_settings_choice(aiir_settings *s, const char *key, const char *const *choices, int *out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v) return false;
    char *names = either(choices);
    bool ok = false;
    if (v->type != AIIR_JSON_STRING) {
        aiir_settings_error(s, key, "expected a string (%s), found %s", names, aiir_json_type_name(v->type));
    } else {
        for (int i = 0; choices[i] && !ok; i++) {
            if (strlen(choices[i]) == v->len && memcmp(choices[i], v->string, v->len) == 0) {
                *out = i;
                ok = true;
            }
        }
        if (!ok) aiir_settings_error(s, key, "must be %s, not \"%s\"", names, v->string);
    }
    free(names);
    return ok;
}

bool aiir_settings_severity(aiir_settings *s, const char *key, aiir_severity *out) {
    int i;
    if (!aiir_settings_choice(s, key, SEVERITIES, &i)) return false;
    *out = (aiir_severity)i;
    return true;
}

bool aiir_settings_strings(aiir_settings *s, const char *key, aiir_strings_rule rule, aiir_strs *out) {
    const aiir_json *v = aiir_settings_key(s, key);
    if (!v) return false;
    if (v->type != AIIR_JSON_ARRAY) {
        aiir_settings_error(s, key, "expected a list of strings, found %s", aiir_json_type_name(v->type));
        return false;
    }
    bool ok = true;
    if (v->count < rule.min_items) {
        aiir_settings_error(s, key, "must have at least %zu %s, not %zu", rule.min_items,
                            rule.min_items == 1 ? "entry" : "entries", v->count);
        ok = false;
    } else if (rule.max_items && v->count > rule.max_items) {
        aiir_settings_error(s, key, "must have at most %zu %s, not %zu", rule.max_items,
                            rule.max_items == 1 ? "entry" : "entries", v->count);
        ok = false;
    }
    for (size_t i = 0; i < v->count; i++) {
        char *path = aiir_path_index(key, i);
        const aiir_json *item = &v->items[i];
        if (!aiir_settings_expect(s, path, item, AIIR_JSON_STRING) ||
            !check_text(s, path, item, rule.max_chars, rule.non_empty)) {
            ok = false;
        }
        free(path);
    }
    if (!ok) return false;
    aiir_strs_free(out);
    for (size_t i = 0; i < v->count; i++) aiir_strs_push_n(out, v->items[i].string, v->items[i].len);
    return true;
}

/* "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`" */
static char *expected(const char *const *known, size_t n) {
    buf b = {0};
    if (n == 0) return aiir_format("this plugin takes no settings");
    buf_str(&b, n >= 3 ? "expected one of " : "expected ");
    for (size_t i = 0; i < n; i++) {
        if (i > 0) buf_str(&b, n == 2 ? " or " : ", ");
        buf_char(&b, '`');
        buf_str(&b, known[i]);
        buf_char(&b, '`');
    }
    return buf_done(&b);
}

static void unknown_keys(aiir_settings *s, const char *path, const aiir_json *object, const char *const *known,
                         size_t n) {
    if (!object || object->type != AIIR_JSON_OBJECT) return;
    for (size_t i = 0; i < object->count; i++) {
        const aiir_json *m = &object->items[i];
        bool found = false;
        for (size_t k = 0; k < n && !found; k++) found = strlen(known[k]) == m->key_len && !memcmp(known[k], m->key, m->key_len);
        if (found) continue;
        char *at = aiir_path_key(path, m->key);
        char *want = expected(known, n);
        aiir_settings_error(s, at, "unknown key `%s`, %s", m->key, want);
        free(want);
        free(at);
    }
}

void aiir_settings_known_keys(aiir_settings *s, const char *path, const aiir_json *object, const char *const *known) {
    size_t n = 0;
    while (known[n]) n++;
    unknown_keys(s, path, object, known, n);
}

bool aiir_settings_finish(aiir_settings *s) {
    if (!s->finished) {
        s->finished = true;
        unknown_keys(s, "", s->root, (const char *const *)s->known.items, s->known.len);
    }
    return s->count == 0;
}

size_t aiir_settings_error_count(const aiir_settings *s) { return s->count; }

const char *aiir_settings_error_path(const aiir_settings *s, size_t i) { return i < s->count ? s->problems[i].path : NULL; }

const char *aiir_settings_error_message(const aiir_settings *s, size_t i) {
    return i < s->count ? s->problems[i].message : NULL;
}

aiir_settings_error_list aiir_settings_take_errors(aiir_settings *s) {
    aiir_settings_error_list list = {NULL, 0};
    if (s->count == 0) return list;
    list.ptr = xmalloc(s->count * sizeof *list.ptr);
    list.len = s->count;
    for (size_t i = 0; i < s->count; i++) {
        list.ptr[i].path = own_c(s->problems[i].path);
        list.ptr[i].message = own_c(s->problems[i].message);
    }
    return list;
}

/* ---- Texts ------------------------------------------------------------------------------- */

bool aiir_origin_is_third_party(aiir_origin origin) {
    return origin == AIIR_ORIGIN_TOOL_RESULT || origin == AIIR_ORIGIN_RETRIEVED;
}

const char *aiir_origin_name(aiir_origin origin) {
    static const char *const names[] = {"system",    "user",           "assistant",       "tool-result",
                                        "retrieved", "tool-arguments", "training-record", "custom"};
    return (unsigned)origin < sizeof names / sizeof *names ? names[origin] : "unknown";
}

aiir_texts aiir_texts_of(const aiir_event *event) {
    aiir_texts it;
    memset(&it, 0, sizeof it);
    it.event = event;
    return it;
}

static aiir_origin role_origin(aiir_plugin_types_role_t role) {
    switch (role) {
    case AIIR_ROLE(SYSTEM): return AIIR_ORIGIN_SYSTEM;
    case AIIR_ROLE(USER): return AIIR_ORIGIN_USER;
    case AIIR_ROLE(ASSISTANT): return AIIR_ORIGIN_ASSISTANT;
    default: return AIIR_ORIGIN_TOOL_RESULT;
    }
}

static void set_text(aiir_texts *it, aiir_text *out, aiir_origin origin, aiir_string s) {
    out->field = it->field;
    out->origin = origin;
    out->text = (const char *)s.ptr;
    out->len = s.len;
}

bool aiir_texts_next(aiir_texts *it, aiir_text *out) {
    const aiir_plugin_types_payload_t *p = &it->event->payload;
    switch (p->tag) {
    case AIIR_PAYLOAD(INFERENCE): {
        const aiir_inference *inf = &p->val.inference;
        for (;;) {
            if (it->stage == 0 || it->stage == 1) {
                const aiir_plugin_types_list_message_t *list = it->stage == 0 ? &inf->input : &inf->output;
                if (it->index < list->len) {
                    const aiir_message *m = &list->ptr[it->index];
                    snprintf(it->field, sizeof it->field, "payload.inference.%s[%zu].content",
                             it->stage == 0 ? "input" : "output", it->index);
                    it->index++;
                    set_text(it, out, role_origin(m->role), m->content);
                    return true;
                }
            } else if (it->stage == 2) {
                if (it->index < inf->retrieved.len) {
                    snprintf(it->field, sizeof it->field, "payload.inference.retrieved[%zu].content", it->index);
                    set_text(it, out, AIIR_ORIGIN_RETRIEVED, inf->retrieved.ptr[it->index].content);
                    it->index++;
                    return true;
                }
            } else {
                return false;
            }
            it->stage++;
            it->index = 0;
        }
    }
    case AIIR_PAYLOAD(TOOL_CALL): {
        const aiir_tool_call *call = &p->val.tool_call;
        if (it->stage == 0) {
            it->stage = 1;
            snprintf(it->field, sizeof it->field, "payload.tool_call.arguments");
            set_text(it, out, AIIR_ORIGIN_TOOL_ARGUMENTS, call->arguments);
            return true;
        }
        if (it->stage == 1) {
            it->stage = 2;
            if (call->result.is_some) {
                snprintf(it->field, sizeof it->field, "payload.tool_call.result");
                set_text(it, out, AIIR_ORIGIN_TOOL_RESULT, call->result.val);
                return true;
            }
        }
        return false;
    }
    case AIIR_PAYLOAD(TRAINING_DATA): {
        const aiir_plugin_types_training_data_t *data = &p->val.training_data;
        if (it->index >= data->records.len) return false;
        snprintf(it->field, sizeof it->field, "payload.training_data.records[%zu].text", it->index);
        set_text(it, out, AIIR_ORIGIN_TRAINING_RECORD, data->records.ptr[it->index].text);
        it->index++;
        return true;
    }
    case AIIR_PAYLOAD(CUSTOM):
        if (it->stage++ > 0) return false;
        snprintf(it->field, sizeof it->field, "payload.custom.data");
        set_text(it, out, AIIR_ORIGIN_CUSTOM, p->val.custom.data);
        return true;
    default:
        return false;
    }
}

/* ---- Excerpts -------------------------------------------------------------------------- */

static size_t floor_char(const char *t, size_t i) {
    while (i > 0 && continuation((unsigned char)t[i])) i--;
    return i;
}

static size_t ceil_char(const char *t, size_t len, size_t i) {
    while (i < len && continuation((unsigned char)t[i])) i++;
    return i;
}

/* Byte offset after `n` characters forward from `from`. */
static size_t chars_forward(const char *t, size_t len, size_t from, size_t n) {
    size_t i = from;
    while (i < len && n > 0) {
        i++;
        while (i < len && continuation((unsigned char)t[i])) i++;
        n--;
    }
    return i;
}

/* Byte offset `n` characters back from `from`. */
static size_t chars_back(const char *t, size_t from, size_t n) {
    size_t i = from;
    while (i > 0 && n > 0) {
        i--;
        while (i > 0 && continuation((unsigned char)t[i])) i--;
        n--;
    }
    return i;
}

static char *excerpt(const char *text, size_t len, size_t start, size_t end, bool masked) {
    static const char ellipsis[] = "\xE2\x80\xA6";
    if (!text) len = 0;
    start = floor_char(text, start < len ? start : len);
    end = end < start ? start : end > len ? len : end;
    end = ceil_char(text, len, end);
    size_t before = chars_back(text, start, AIIR_EXCERPT_CONTEXT_CHARS);
    buf b = {0};
    buf_add(&b, "", 0);
    if (before > 0) buf_str(&b, ellipsis);
    buf_add(&b, text + before, start - before);
    if (masked) {
        char *mask = aiir_mask_token(text + start, end - start);
        buf_str(&b, mask);
        free(mask);
    } else {
        size_t cut = chars_forward(text, len, start, AIIR_EXCERPT_MATCH_CHARS);
        if (cut < end) {
            buf_add(&b, text + start, cut - start);
            buf_str(&b, ellipsis);
            return buf_done(&b);
        }
        buf_add(&b, text + start, end - start);
    }
    size_t after = chars_forward(text, len, end, AIIR_EXCERPT_CONTEXT_CHARS);
    buf_add(&b, text + end, after - end);
    if (after < len) buf_str(&b, ellipsis);
    return buf_done(&b);
}

char *aiir_excerpt(const char *text, size_t len, size_t start, size_t end) {
    return excerpt(text, len, start, end, false);
}

char *aiir_excerpt_masked(const char *text, size_t len, size_t start, size_t end) {
    return excerpt(text, len, start, end, true);
}

static void stars(buf *b, size_t n) {
    if (n > 16) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "*[%zu]*", n);
        buf_str(b, tmp);
        return;
    }
    while (n--) buf_char(b, '*');
}

char *aiir_mask_token(const char *text, size_t len) {
    size_t n = aiir_utf8_chars(text, len);
    buf b = {0};
    buf_add(&b, "", 0);
    if (n < 12) {
        stars(&b, n);
        return buf_done(&b);
    }
    size_t head = chars_forward(text, len, 0, 4);
    size_t tail = n >= 20 ? chars_back(text, len, 4) : len;
    buf_add(&b, text, head);
    stars(&b, n - 4 - (n >= 20 ? 4 : 0));
    buf_add(&b, text + tail, len - tail);
    return buf_done(&b);
}

/* ---- Findings ------------------------------------------------------------------------- */

aiir_finding *aiir_findings_add(aiir_findings *fs, const char *rule, const char *title, aiir_severity severity) {
    grow((void **)&fs->ptr, &fs->cap, fs->len + 1, sizeof(aiir_finding));
    aiir_finding *f = &fs->ptr[fs->len++];
    memset(f, 0, sizeof *f);
    f->rule = own_c(rule);
    f->title = one_line(title, 512, rule && *rule ? rule : "finding");
    f->severity = severity;
    f->confidence = 1.0f;
    return f;
}

void aiir_finding_confidence(aiir_finding *f, float confidence) {
    f->confidence = isnan(confidence) ? 0.0f : confidence < 0.0f ? 0.0f : confidence > 1.0f ? 1.0f : confidence;
}

void aiir_finding_technique(aiir_finding *f, const char *id) {
    size_t n = f->techniques.len;
    f->techniques.ptr = xrealloc(f->techniques.ptr, (n + 1) * sizeof *f->techniques.ptr);
    f->techniques.ptr[n] = own_c(id);
    f->techniques.len = n + 1;
}

void aiir_finding_evidence(aiir_finding *f, const char *field, const char *excerpt_text) {
    size_t n = f->evidence.len;
    f->evidence.ptr = xrealloc(f->evidence.ptr, (n + 1) * sizeof *f->evidence.ptr);
    f->evidence.ptr[n].field = own_c(field);
    f->evidence.ptr[n].excerpt = own_c(excerpt_text);
    f->evidence.len = n + 1;
}

void aiir_finding_evidence_at(aiir_finding *f, const char *field, const char *text, size_t len, size_t start,
                              size_t end) {
    char *e = aiir_excerpt(text, len, start, end);
    aiir_finding_evidence(f, field, e);
    free(e);
}

static void finding_free(aiir_finding *f) {
    free_string(&f->rule);
    free_string(&f->title);
    for (size_t i = 0; i < f->techniques.len; i++) free_string(&f->techniques.ptr[i]);
    free(f->techniques.ptr);
    for (size_t i = 0; i < f->evidence.len; i++) {
        free_string(&f->evidence.ptr[i].field);
        free_string(&f->evidence.ptr[i].excerpt);
    }
    free(f->evidence.ptr);
}

void aiir_findings_free(aiir_findings *fs) {
    for (size_t i = 0; i < fs->len; i++) finding_free(&fs->ptr[i]);
    free(fs->ptr);
    fs->ptr = NULL;
    fs->len = fs->cap = 0;
}

/* ---- Errors, logging, info ------------------------------------------------------------- */

bool aiir_fail(aiir_error *error, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    char *message = aiir_vformat(fmt, args);
    va_end(args);
    if (error) {
        free(error->ptr);
        error->ptr = (uint8_t *)message;
        error->len = strlen(message);
    } else {
        free(message);
    }
    return false;
}

void aiir_vlog(aiir_log_level level, const char *fmt, va_list args) {
    char *message = aiir_vformat(fmt, args);
    aiir_host_log(level, message, strlen(message));
    free(message);
}

void aiir_log(aiir_log_level level, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    aiir_vlog(level, fmt, args);
    va_end(args);
}

void aiir_panic(const char *fmt, ...) {
    char line[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    aiir_host_log(AIIR_LOG_ERROR, line, (size_t)n);
#if defined(__wasm__)
    __builtin_trap();
#else
    abort();
#endif
}

aiir_plugin_types_plugin_info_t aiir_info_lower(const aiir_info *info) {
    aiir_plugin_types_plugin_info_t out;
    memset(&out, 0, sizeof out);
    out.name = own_c(info->name);
    out.version = own_c(info->version);
    out.description = own_c(info->description);
    out.settings = own_c(info->settings);
    size_t n = 0;
    for (unsigned k = 0; k < 32; k++) n += (info->kinds >> k) & 1u;
    out.kinds.ptr = n ? xmalloc(n * sizeof *out.kinds.ptr) : NULL;
    for (unsigned k = 0; k < 32; k++) {
        if ((info->kinds >> k) & 1u) out.kinds.ptr[out.kinds.len++] = (aiir_plugin_types_event_kind_t)k;
    }
    return out;
}

/* ---- Proposals ------------------------------------------------------------------------ */

#if defined(AIIR_RESPONDER)
static aiir_proposal *propose(aiir_proposals *out, uint8_t tag, const char *reason) {
    grow((void **)&out->ptr, &out->cap, out->len + 1, sizeof(aiir_proposal));
    aiir_proposal *p = &out->ptr[out->len++];
    memset(p, 0, sizeof *p);
    p->action.tag = tag;
    p->reason = one_line(reason, 1024, "proposed");
    return p;
}

void aiir_propose_rollback(aiir_proposals *out, const char *model, const char *reason) {
    propose(out, AIIR_PLUGIN_INCIDENTS_ACTION_ROLLBACK_MODEL, reason)->action.val.rollback_model = own_c(model);
}

static aiir_option_string some_or_none(const char *text) {
    aiir_option_string o;
    memset(&o, 0, sizeof o);
    if (text && *text) {
        o.is_some = true;
        o.val = own_c(text);
    }
    return o;
}

void aiir_propose_quarantine(aiir_proposals *out, const char *model, const char *version, const char *digest,
                             const char *reason) {
    aiir_model_ref *m = &propose(out, AIIR_PLUGIN_INCIDENTS_ACTION_QUARANTINE_MODEL, reason)->action.val.quarantine_model;
    m->name = own_c(model);
    m->version = some_or_none(version);
    m->digest = some_or_none(digest);
}

void aiir_propose_block(aiir_proposals *out, const char *principal, const char *reason) {
    propose(out, AIIR_PLUGIN_INCIDENTS_ACTION_BLOCK_PRINCIPAL, reason)->action.val.block_principal = own_c(principal);
}

void aiir_propose_notify(aiir_proposals *out, const char *url, const char *body, const char *reason) {
    aiir_plugin_incidents_notice_t *n = &propose(out, AIIR_PLUGIN_INCIDENTS_ACTION_NOTIFY, reason)->action.val.notify;
    n->url = own_c(url);
    n->body = own_c(body);
}

void aiir_propose_report(aiir_proposals *out, const char *kind, const char *markdown, const char *json,
                         const char *reason) {
    aiir_plugin_incidents_report_t *r = &propose(out, AIIR_PLUGIN_INCIDENTS_ACTION_FILE_REPORT, reason)->action.val.file_report;
    r->kind = own_c(kind);
    r->markdown = own_c(markdown);
    r->json = own_c(json);
}

static void free_option(aiir_option_string *o) {
    if (o->is_some) free_string(&o->val);
    o->is_some = false;
}

void aiir_proposals_free(aiir_proposals *out) {
    for (size_t i = 0; i < out->len; i++) {
        aiir_proposal *p = &out->ptr[i];
        free_string(&p->reason);
        switch (p->action.tag) {
        case AIIR_PLUGIN_INCIDENTS_ACTION_ROLLBACK_MODEL: free_string(&p->action.val.rollback_model); break;
        case AIIR_PLUGIN_INCIDENTS_ACTION_QUARANTINE_MODEL:
            free_string(&p->action.val.quarantine_model.name);
            free_option(&p->action.val.quarantine_model.version);
            free_option(&p->action.val.quarantine_model.digest);
            break;
        case AIIR_PLUGIN_INCIDENTS_ACTION_BLOCK_PRINCIPAL: free_string(&p->action.val.block_principal); break;
        case AIIR_PLUGIN_INCIDENTS_ACTION_NOTIFY:
            free_string(&p->action.val.notify.url);
            free_string(&p->action.val.notify.body);
            break;
        case AIIR_PLUGIN_INCIDENTS_ACTION_FILE_REPORT:
            free_string(&p->action.val.file_report.kind);
            free_string(&p->action.val.file_report.markdown);
            free_string(&p->action.val.file_report.json);
            break;
        default: break;
        }
    }
    free(out->ptr);
    out->ptr = NULL;
    out->len = out->cap = 0;
}
#endif
