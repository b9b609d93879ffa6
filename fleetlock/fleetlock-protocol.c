/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "fleetlock-protocol.h"
#include "net-url.h"

static const char *const op_table[_FLEETLOCK_OP_MAX] = {
        [FLEETLOCK_PRE_REBOOT]   = "pre-reboot",
        [FLEETLOCK_STEADY_STATE] = "steady-state",
};

FleetlockOp fleetlock_op_from_string(const char *s) {
        if (!s)
                return _FLEETLOCK_OP_INVALID;
        for (FleetlockOp op = 0; op < _FLEETLOCK_OP_MAX; op++)
                if (strcmp(s, op_table[op]) == 0)
                        return op;
        return _FLEETLOCK_OP_INVALID;
}

const char *fleetlock_op_to_string(FleetlockOp op) {
        if (op < 0 || op >= _FLEETLOCK_OP_MAX)
                return NULL;
        return op_table[op];
}

FleetlockScheme fleetlock_url_scheme(const char *url) {
        switch (net_url_scheme(url)) {
        case NET_SCHEME_HTTP:
                return FLEETLOCK_SCHEME_HTTP;
        case NET_SCHEME_HTTPS:
                return FLEETLOCK_SCHEME_HTTPS;
        default:
                return _FLEETLOCK_SCHEME_INVALID;  /* file:// too */
        }
}

bool fleetlock_id_is_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strnlen(id, FLEETLOCK_ID_MAX + 1);
        if (n == 0 || n > FLEETLOCK_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isgraph(id[i]))
                        return false;
        return true;
}

bool fleetlock_group_is_valid(const char *group) {
        size_t n;

        if (!group)
                return false;
        n = strnlen(group, FLEETLOCK_GROUP_MAX + 1);
        if (n == 0 || n > FLEETLOCK_GROUP_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(group[i]) && group[i] != '.' && group[i] != '-')
                        return false;
        return true;
}

int fleetlock_endpoint_url(const char *base, FleetlockOp op, char **ret) {
        const char *authority, *authority_end;
        FleetlockScheme scheme;
        size_t n;

        if (!base || !fleetlock_op_to_string(op))
                return -EINVAL;
        scheme = fleetlock_url_scheme(base);
        if (scheme < 0)
                return scheme;

        n = strnlen(base, FLEETLOCK_URL_MAX + 1);
        if (n > FLEETLOCK_URL_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isgraph(base[i]) || base[i] == '?' || base[i] == '#')
                        return -EINVAL;

        authority = strstr(base, "://") + 3;
        authority_end = strchrnul(authority, '/');
        if (authority_end == authority || *authority == ':')
                return -EINVAL;  /* no host */
        if (memchr(authority, '@', authority_end - authority))
                return -EINVAL;

        /* "http://host/base/" and "http://host/base" name the same base. */
        while (n > 0 && base[n - 1] == '/')
                n--;

        *ret = g_strdup_printf("%.*s/v1/%s", (int) n, base, fleetlock_op_to_string(op));
        return 0;
}

void fleetlock_json_escape(GString *out, const char *s) {
        const char *p = s, *end = s + strlen(s);

        while (p < end) {
                gunichar c = g_utf8_get_char_validated(p, end - p);

                if (c == (gunichar) -1 || c == (gunichar) -2) {
                        /* Invalid or truncated: one byte becomes U+FFFD. */
                        g_string_append(out, "\\ufffd");
                        p++;
                        continue;
                }

                switch (c) {
                case '"':  g_string_append(out, "\\\""); break;
                case '\\': g_string_append(out, "\\\\"); break;
                case '\b': g_string_append(out, "\\b"); break;
                case '\f': g_string_append(out, "\\f"); break;
                case '\n': g_string_append(out, "\\n"); break;
                case '\r': g_string_append(out, "\\r"); break;
                case '\t': g_string_append(out, "\\t"); break;
                default:
                        /* DEL is legal raw JSON, but escaping it keeps the
                         * body printable if someone logs it. */
                        if (c < 0x20 || c == 0x7f)
                                g_string_append_printf(out, "\\u%04x", (unsigned) c);
                        else
                                g_string_append_len(out, p, g_utf8_next_char(p) - p);
                }
                p = g_utf8_next_char(p);
        }
}

int fleetlock_request_body(const char *id, const char *group, char **ret) {
        GString *s;

        if (!fleetlock_id_is_valid(id) || !fleetlock_group_is_valid(group))
                return -EINVAL;

        s = g_string_new("{\"client_params\":{\"id\":\"");
        fleetlock_json_escape(s, id);
        g_string_append(s, "\",\"group\":\"");
        fleetlock_json_escape(s, group);
        g_string_append(s, "\"}}");
        *ret = g_string_free(s, false);
        return 0;
}

void fleetlock_error_done(FleetlockError *e) {
        g_clear_pointer(&e->kind, g_free);
        g_clear_pointer(&e->value, g_free);
}

/* A small recursive-descent reader of RFC 8259 JSON over a buffer with a
 * length (the body may contain NUL). It only needs to find two strings in the
 * top-level object; everything else is checked for well-formedness and
 * skipped. Nesting is bounded so that a hostile body cannot exhaust the stack. */
#define JSON_DEPTH_MAX 32

typedef struct JsonReader {
        const char *p, *end;
        unsigned depth;
} JsonReader;

static void json_skip_ws(JsonReader *r) {
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
                r->p++;
}

static bool json_eat(JsonReader *r, char c) {
        if (r->p >= r->end || *r->p != c)
                return false;
        r->p++;
        return true;
}

static int json_hex4(JsonReader *r, unsigned *ret) {
        unsigned v = 0;

        if (r->end - r->p < 4)
                return -EBADMSG;
        for (int i = 0; i < 4; i++) {
                int d = g_ascii_xdigit_value(r->p[i]);
                if (d < 0)
                        return -EBADMSG;
                v = v << 4 | (unsigned) d;
        }
        r->p += 4;
        *ret = v;
        return 0;
}

/* Reads a string, decoding it into @out (if not NULL). The decoded bytes may
 * contain NUL (from \u0000) and are not yet checked for UTF-8. */
static int json_string(JsonReader *r, GString *out) {
        if (!json_eat(r, '"'))
                return -EBADMSG;

        for (;;) {
                unsigned char c;

                if (r->p >= r->end)
                        return -EBADMSG;
                c = (unsigned char) *r->p++;
                if (c == '"')
                        return 0;
                if (c < 0x20)
                        return -EBADMSG;
                if (c != '\\') {
                        if (out)
                                g_string_append_c(out, (char) c);
                        continue;
                }

                if (r->p >= r->end)
                        return -EBADMSG;
                c = (unsigned char) *r->p++;
                switch (c) {
                case '"': case '\\': case '/':
                        break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'u': {
                        unsigned u, low;
                        int k;

                        k = json_hex4(r, &u);
                        if (k < 0)
                                return k;
                        if (u >= 0xdc00 && u <= 0xdfff)
                                return -EBADMSG;  /* a lone low surrogate */
                        if (u >= 0xd800 && u <= 0xdbff) {
                                /* A high surrogate must be followed by a low one. */
                                if (!json_eat(r, '\\') || !json_eat(r, 'u'))
                                        return -EBADMSG;
                                k = json_hex4(r, &low);
                                if (k < 0)
                                        return k;
                                if (low < 0xdc00 || low > 0xdfff)
                                        return -EBADMSG;
                                u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
                        }
                        if (out)
                                g_string_append_unichar(out, u);
                        continue;
                }
                default:
                        return -EBADMSG;
                }
                if (out)
                        g_string_append_c(out, (char) c);
        }
}

static bool json_digits(JsonReader *r) {
        const char *start = r->p;

        while (r->p < r->end && g_ascii_isdigit(*r->p))
                r->p++;
        return r->p > start;
}

static int json_number(JsonReader *r) {
        (void) json_eat(r, '-');
        if (json_eat(r, '0')) {
                /* No leading zeros: "01" is not JSON. */
        } else if (r->p < r->end && *r->p >= '1' && *r->p <= '9') {
                (void) json_digits(r);
        } else
                return -EBADMSG;

        if (json_eat(r, '.') && !json_digits(r))
                return -EBADMSG;
        if (json_eat(r, 'e') || json_eat(r, 'E')) {
                if (!json_eat(r, '+'))
                        (void) json_eat(r, '-');
                if (!json_digits(r))
                        return -EBADMSG;
        }
        return 0;
}

static int json_literal(JsonReader *r, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (r->end - r->p) < n || memcmp(r->p, word, n) != 0)
                return -EBADMSG;
        r->p += n;
        return 0;
}

static int json_value(JsonReader *r);

static int json_container(JsonReader *r, char open, char close) {
        int k;

        if (!json_eat(r, open))
                return -EBADMSG;
        if (++r->depth > JSON_DEPTH_MAX)
                return -EBADMSG;

        json_skip_ws(r);
        if (!json_eat(r, close)) {
                for (;;) {
                        if (open == '{') {
                                k = json_string(r, NULL);
                                if (k < 0)
                                        return k;
                                json_skip_ws(r);
                                if (!json_eat(r, ':'))
                                        return -EBADMSG;
                        }
                        k = json_value(r);
                        if (k < 0)
                                return k;
                        json_skip_ws(r);
                        if (json_eat(r, close))
                                break;
                        if (!json_eat(r, ','))
                                return -EBADMSG;
                        json_skip_ws(r);
                }
        }
        r->depth--;
        return 0;
}

/* Skips one value and the white space before it. */
static int json_value(JsonReader *r) {
        json_skip_ws(r);
        if (r->p >= r->end)
                return -EBADMSG;

        switch (*r->p) {
        case '{': return json_container(r, '{', '}');
        case '[': return json_container(r, '[', ']');
        case '"': return json_string(r, NULL);
        case 't': return json_literal(r, "true");
        case 'f': return json_literal(r, "false");
        case 'n': return json_literal(r, "null");
        default:  return json_number(r);
        }
}

/* A decoded member string, fit to keep: non-empty, valid UTF-8, no NUL. */
static int json_take_string(GString *s, char **ret) {
        if (*ret)
                return -EBADMSG;  /* the member came twice */
        if (s->len == 0 || memchr(s->str, 0, s->len) || !g_utf8_validate(s->str, s->len, NULL))
                return -EBADMSG;
        *ret = g_strndup(s->str, s->len);
        return 0;
}

static int error_parse(JsonReader *r, FleetlockError *e) {
        int k;

        json_skip_ws(r);
        if (!json_eat(r, '{'))
                return -EBADMSG;
        r->depth = 1;

        json_skip_ws(r);
        if (!json_eat(r, '}')) {
                for (;;) {
                        g_autoptr(GString) key = g_string_new(NULL);
                        char **target = NULL;

                        k = json_string(r, key);
                        if (k < 0)
                                return k;
                        json_skip_ws(r);
                        if (!json_eat(r, ':'))
                                return -EBADMSG;
                        json_skip_ws(r);

                        /* Keys compare by their decoded bytes, so "kind" spelled with
                         * escapes is still "kind", as for any JSON reader. */
                        if (key->len == 4 && memcmp(key->str, "kind", 4) == 0)
                                target = &e->kind;
                        else if (key->len == 5 && memcmp(key->str, "value", 5) == 0)
                                target = &e->value;

                        if (target) {
                                g_autoptr(GString) s = g_string_new(NULL);

                                k = json_string(r, s);  /* any other type is an error */
                                if (k < 0)
                                        return k;
                                k = json_take_string(s, target);
                                if (k < 0)
                                        return k;
                        } else {
                                k = json_value(r);
                                if (k < 0)
                                        return k;
                        }

                        json_skip_ws(r);
                        if (json_eat(r, '}'))
                                break;
                        if (!json_eat(r, ','))
                                return -EBADMSG;
                        json_skip_ws(r);
                }
        }

        json_skip_ws(r);
        if (r->p != r->end)
                return -EBADMSG;  /* trailing data */
        if (!e->kind || !e->value)
                return -EBADMSG;
        return 0;
}

int fleetlock_error_parse(const char *body, size_t size, FleetlockError *ret) {
        FleetlockError e = {};
        JsonReader r = { .p = body, .end = body + size };
        int k;

        *ret = (FleetlockError) {};
        if (!body)
                return -EBADMSG;

        k = error_parse(&r, &e);
        if (k < 0) {
                fleetlock_error_done(&e);
                return k;
        }
        *ret = e;
        return 0;
}

FleetlockOutcome fleetlock_outcome_from_status(long status) {
        if (status == 200)
                return FLEETLOCK_OUTCOME_OK;
        if (status >= 400 && status <= 599)
                return FLEETLOCK_OUTCOME_REFUSED;
        return FLEETLOCK_OUTCOME_BAD_ANSWER;
}

FleetlockOutcome fleetlock_classify_answer(long status, const char *body, size_t size, FleetlockError *ret_error) {
        FleetlockOutcome o = fleetlock_outcome_from_status(status);

        *ret_error = (FleetlockError) {};
        if (o != FLEETLOCK_OUTCOME_REFUSED)
                return o;
        if (fleetlock_error_parse(body, size, ret_error) < 0)
                return FLEETLOCK_OUTCOME_BAD_ANSWER;
        return FLEETLOCK_OUTCOME_REFUSED;
}

char *fleetlock_printable(const char *s, size_t size, size_t max) {
        const char *p = s, *end = s + size;
        GString *out = g_string_new(NULL);

        while (p < end) {
                gunichar c = g_utf8_get_char_validated(p, end - p);
                size_t len = (c == (gunichar) -1 || c == (gunichar) -2) ? 1 : (size_t) (g_utf8_next_char(p) - p);

                if (out->len + len > max) {
                        g_string_append(out, "...");
                        break;
                }
                /* C0, DEL and C1 controls (ESC starts terminal sequences), and
                 * anything that is not UTF-8. */
                if (len == 1 && (c == (gunichar) -1 || c == (gunichar) -2 || c < 0x20 || c == 0x7f))
                        g_string_append_c(out, '?');
                else if (c >= 0x80 && c <= 0x9f)
                        g_string_append_c(out, '?');
                else
                        g_string_append_len(out, p, len);
                p += len;
        }
        return g_string_free(out, false);
}
