/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One libcurl handle under lpmaint's network policy, shared by every helper
 * that talks to a server (lpmaint-fleetlock, the channel agent):
 *   - only the scheme of the URL asked for, also after a redirect: an https
 *     URL never ends in plain http, nor in file://;
 *   - redirects followed by us, not by libcurl, at most a given number, each
 *     checked, within one deadline for them all;
 *   - the answer's body capped (a larger one is cut off and refused), to
 *     memory or to a descriptor, bytes and requests counted;
 *   - an optional low-speed limit, connect and total timeouts;
 *   - libcurl's own words for a failure in an error buffer, our user agent,
 *     TLS 1.2 at least, no signals; proxies and the CA store are libcurl's
 *     defaults (http_proxy, https_proxy, no_proxy, ...) unless set.
 * The program calls curl_global_init() before, and curl_global_cleanup()
 * after, as libcurl asks. */

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "net-kind.h"
#include "net-url.h"

typedef struct NetStats {
        uint64_t requests;    /* HTTP requests or file reads started, redirects included */
        uint64_t body_bytes;  /* body bytes received, of every answer (error pages too) */
} NetStats;

typedef struct NetTransfer {
        CURL *curl;
        char errbuf[CURL_ERROR_SIZE];

        /* Where the body of the current request goes: @memory, or @fd when
         * @memory is NULL. To a descriptor only a 200 (or a file://) body is
         * written; other answers are counted and capped, and dropped. */
        GByteArray *memory;
        int fd;
        uint64_t body_max;
        uint64_t body_size;
        bool too_large;
        int write_errno;

        /* The low-speed limit: fewer than @low_speed_bytes per second on
         * average over a window of @low_speed_sec seconds ends the transfer.
         * Measured by us (libcurl's own limit would be the same error code as
         * a timeout). 0: no limit. */
        unsigned low_speed_bytes;
        unsigned low_speed_sec;
        gint64 window_start_usec;
        curl_off_t window_start_bytes;
        bool too_slow;

        NetStats stats;
} NetTransfer;

/* A handle under the policy above, its body to memory, at most @body_max
 * bytes. -ENOMEM, or -EIO if this libcurl refuses an option (older than
 * 7.85.0). */
int net_transfer_init(NetTransfer *t, const char *user_agent, uint64_t body_max);
void net_transfer_done(NetTransfer *t);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NetTransfer, net_transfer_done)

/* Later bodies go to @fd (at its current offset), or to memory for -1, at
 * most @body_max bytes each. -EIO if libcurl refuses the cap. */
int net_transfer_set_body(NetTransfer *t, int fd, uint64_t body_max);

/* The answer of net_transfer_run(): how the transport went. NET_KIND_OK
 * means an answer with a final (non-redirect) status, whatever it is: what
 * the status means is the caller's protocol. */
typedef struct NetOutcome {
        NetKind kind;
        long status;       /* the last HTTP status seen, 0 for none (and for file://) */
        char *url;         /* the URL last asked */
        char *location;    /* NET_KIND_REDIRECT_SCHEME: where it pointed */
        char *message;     /* a failure in libcurl's words; NULL for OK */
} NetOutcome;

void net_outcome_done(NetOutcome *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NetOutcome, net_outcome_done)

/* Asks @url (the options set on t->curl, a method, headers, apply to it and
 * to every redirect), following at most @redirects_max redirects (301, 302,
 * 303, 307, 308) within @url's scheme, all within @timeout_ms; each
 * connection within @connect_timeout_ms (0: the time left). The same request
 * goes to the new place: libcurl keeps its method and body. Returns
 * ret->kind. */
NetKind net_transfer_run(NetTransfer *t, const char *url, unsigned timeout_ms, unsigned connect_timeout_ms,
                         unsigned redirects_max, NetOutcome *ret);

/* For __attribute__((cleanup)) of a header list. */
static inline void net_slist_freep(struct curl_slist **l) {
        curl_slist_free_all(*l);
}

/* What a libcurl failure is. For CURLE_PEER_FAILED_VERIFICATION,
 * @chain_trusted says the certificate chain was trusted and only the host
 * name did not match. */
NetKind net_kind_from_curl(CURLcode code, bool chain_trusted);
