/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The client side of the FleetLock protocol (the reboot coordination protocol
 * Zincati and airlock speak), without any I/O: the request body, the endpoint
 * URL, the server's error body and what an answer means. lpmaint-fleetlock
 * does the HTTP; the unit tests exercise everything here directly. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Bounds of our own: the protocol sets none, but a label longer than this is
 * a mistake, and a server should not have to store it. */
#define FLEETLOCK_ID_MAX 255
#define FLEETLOCK_GROUP_MAX 255
#define FLEETLOCK_URL_MAX 2048

/* Error bodies are two short strings; anything this large is not one. */
#define FLEETLOCK_RESPONSE_MAX (64 * 1024)

/* The group name the protocol recommends, and Zincati uses, by default. */
#define FLEETLOCK_GROUP_DEFAULT "default"

typedef enum FleetlockOp {
        FLEETLOCK_PRE_REBOOT,    /* RecursiveLock: take a reboot slot */
        FLEETLOCK_STEADY_STATE,  /* UnlockIfHeld: give it back */
        _FLEETLOCK_OP_MAX,
        _FLEETLOCK_OP_INVALID = -EINVAL,
} FleetlockOp;

/* "pre-reboot" and "steady-state", which are also the endpoints' last path
 * components; _FLEETLOCK_OP_INVALID for anything else. */
FleetlockOp fleetlock_op_from_string(const char *s);
const char *fleetlock_op_to_string(FleetlockOp op);

typedef enum FleetlockScheme {
        FLEETLOCK_SCHEME_HTTP,
        FLEETLOCK_SCHEME_HTTPS,
        _FLEETLOCK_SCHEME_MAX,
        _FLEETLOCK_SCHEME_INVALID = -EPROTONOSUPPORT,
} FleetlockScheme;

/* The scheme of @url, matched without regard to case as RFC 3986 asks. */
FleetlockScheme fleetlock_url_scheme(const char *url);

/* A client id: 1 to FLEETLOCK_ID_MAX printable ASCII characters other than
 * space. The protocol only asks for a non-empty case-sensitive label; spaces
 * and control characters would only make logs ambiguous. */
bool fleetlock_id_is_valid(const char *id);

/* A group: 1 to FLEETLOCK_GROUP_MAX characters matching the protocol's
 * ^[a-zA-Z0-9.-]+$. */
bool fleetlock_group_is_valid(const char *group);

/* The URL to POST @op to: @base (an http or https URL, trailing slashes
 * dropped) followed by "/v1/pre-reboot" or "/v1/steady-state". -EPROTONOSUPPORT
 * for another scheme; -EINVAL for a base without a host, with user
 * credentials (they would end up in logs), a query or a fragment (the path
 * could not be appended), with characters other than printable ASCII (they
 * must be percent-encoded), or longer than FLEETLOCK_URL_MAX. */
int fleetlock_endpoint_url(const char *base, FleetlockOp op, char **ret);

/* Appends @s to @out as the contents of a JSON string (RFC 8259): quote,
 * backslash and control characters escaped; bytes that are not valid UTF-8
 * become U+FFFD, so the output is always valid JSON. */
void fleetlock_json_escape(GString *out, const char *s);

/* {"client_params":{"id":"ID","group":"GROUP"}}; -EINVAL if the id or the
 * group is not valid. */
int fleetlock_request_body(const char *id, const char *group, char **ret);

/* The protocol's error value, {"kind":"...","value":"..."}. */
typedef struct FleetlockError {
        char *kind;   /* a type identifier of small cardinality */
        char *value;  /* a human-friendly description */
} FleetlockError;

void fleetlock_error_done(FleetlockError *e);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FleetlockError, fleetlock_error_done)

/* Parses a server's error body strictly: one JSON object (RFC 8259) and
 * nothing but white space after it, with non-empty string members "kind" and
 * "value", each exactly once. Other members, of any JSON type, are ignored so
 * that a server may add some. The strings are valid UTF-8 without NUL.
 * -EBADMSG for anything else; on error @ret is left zeroed. */
int fleetlock_error_parse(const char *body, size_t size, FleetlockError *ret);

typedef enum FleetlockOutcome {
        FLEETLOCK_OUTCOME_OK,          /* 200: the lock was taken or released */
        FLEETLOCK_OUTCOME_REFUSED,     /* 4xx or 5xx with the protocol's error body */
        FLEETLOCK_OUTCOME_BAD_ANSWER,  /* anything else: not a FleetLock server, or a broken one */
        _FLEETLOCK_OUTCOME_MAX,
} FleetlockOutcome;

/* What an HTTP status alone says: the protocol's success is 200 and only 200;
 * its errors are 4xx and 5xx. Other statuses are no FleetLock answer. */
FleetlockOutcome fleetlock_outcome_from_status(long status);

/* What a whole answer means. A 4xx or 5xx whose body is not the protocol's
 * error value is a BAD_ANSWER (a proxy's error page, a wrong URL): the
 * server did not speak FleetLock, so nothing says a lock is held. @ret_error
 * is set for REFUSED and zeroed otherwise. */
FleetlockOutcome fleetlock_classify_answer(long status, const char *body, size_t size, FleetlockError *ret_error);

/* A copy of @s fit to print in a log line: at most @max bytes of it (cut at a
 * character boundary, with "..." appended when cut), control characters and
 * invalid UTF-8 replaced by '?'. Server text is never printed raw: a
 * terminal or log reader must not interpret it. */
char *fleetlock_printable(const char *s, size_t size, size_t max);
