/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fetching one file of a patch channel: the index to memory, an artifact to
 * a private cache file, conditionally when the caller kept the validators of
 * the last fetch. Everything that can go wrong is a NetKind, never a crash
 * or a partial success: only NET_KIND_OK comes with a body.
 *
 * Policy (the reasons are in net-fetch.c):
 *   - https:// and file:// URLs; http:// only if allow_http is set;
 *   - redirects followed, at most NET_FETCH_REDIRECTS_MAX, only within the
 *     URL's scheme (a mirror may send the client to another https host; a
 *     redirect to http:// or file:// is NET_KIND_REDIRECT_SCHEME);
 *   - with ca_file, that bundle is the only trust (not the system's CAs);
 *   - proxies from libcurl's usual environment (https_proxy, no_proxy, ...);
 *   - file:// is read whole every time: no validators, never UNCHANGED. */

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "net-kind.h"
#include "net-transfer.h"

#define NET_FETCH_REDIRECTS_MAX 5
#define NET_FETCH_CONNECT_TIMEOUT_DEFAULT_SEC 10

/* Validators longer than this, or with anything but printable ASCII, are
 * not kept: they go back to the server as request headers. */
#define NET_VALIDATOR_MAX 512

typedef struct NetFetchOptions {
        const char *user_agent;        /* required */
        const char *ca_file;           /* PEM bundle; NULL: libcurl's default trust */
        const char *client_cert;       /* PEM; NULL: no client certificate */
        const char *client_key;        /* PEM; NULL: the key is in client_cert's file */
        bool allow_http;
        unsigned connect_timeout_sec;  /* 0: NET_FETCH_CONNECT_TIMEOUT_DEFAULT_SEC */
        unsigned timeout_sec;          /* the whole fetch, redirects included; required */
        unsigned low_speed_bytes;      /* bytes per second ... */
        unsigned low_speed_sec;        /* ... on average over this window; 0 and 0: no limit */
} NetFetchOptions;

/* What a server said about the version it sent, for the next request. */
typedef struct NetValidators {
        char *etag;           /* ETag, as sent (quotes and W/ included); NULL: none */
        char *last_modified;  /* Last-Modified, as sent; NULL: none */
} NetValidators;

void net_validators_done(NetValidators *v);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NetValidators, net_validators_done)

/* @value is fit to send back as a header value. */
bool net_validator_is_valid(const char *value);

typedef struct NetFetchResult {
        NetKind kind;
        long status;               /* the last HTTP status, 0 for none and for file:// */
        char *url;                 /* the URL last asked (after redirects) */
        char *message;             /* what went wrong, for a log line; NULL for OK and UNCHANGED */
        GBytes *body;              /* OK to memory: the body */
        uint64_t size;             /* OK: the body's size */
        NetValidators validators;  /* OK: the answer's; UNCHANGED: the previous ones, updated */
} NetFetchResult;

void net_fetch_result_done(NetFetchResult *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NetFetchResult, net_fetch_result_done)

typedef struct NetFetcher NetFetcher;

/* A fetcher keeps its connections between fetches (one TLS handshake for an
 * index and its artifacts) and counts requests and body bytes. NULL with
 * errno set (EINVAL for bad options, ENOMEM, EIO if libcurl is too old). */
NetFetcher *net_fetcher_new(const NetFetchOptions *options);
void net_fetcher_free(NetFetcher *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetFetcher, net_fetcher_free)

/* Fetches @url, at most @max_size bytes of body, to memory (@fd < 0) or
 * written to @fd at its offset (a 200's body only; on any kind but OK what
 * @fd holds must be thrown away). With @previous validators the request is
 * conditional (If-None-Match, If-Modified-Since). Returns ret->kind. */
NetKind net_fetcher_fetch(NetFetcher *f, const char *url, uint64_t max_size, int fd,
                          const NetValidators *previous, NetFetchResult *ret);

/* Requests and body bytes since net_fetcher_new(). */
NetStats net_fetcher_stats(const NetFetcher *f);
