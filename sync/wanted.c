/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "version.h"
#include "wanted.h"

static const char *const action_names[_WANTED_ACTION_MAX] = {
        [WANTED_NOTHING] = "nothing",
        [WANTED_APPLY] = "apply",
        [WANTED_DISABLE] = "disable",
};

static const char *const reason_names[_WANTED_REASON_MAX] = {
        [WANTED_NOT_HERE] = "not-here",
        [WANTED_NEWER] = "newer",
        [WANTED_ABSENT] = "absent",
        [WANTED_RECALLED] = "recalled",
        [WANTED_NOT_PROMOTED] = "not-promoted",
        [WANTED_PROMOTED_LATER] = "promoted-later",
        [WANTED_ALL_RECALLED] = "all-recalled",
        [WANTED_APPLIED] = "applied",
        [WANTED_IN_TRANSITION] = "in-transition",
        [WANTED_HOST_NEWER] = "host-newer",
        [WANTED_DISABLED_HERE] = "disabled-here",
        [WANTED_ROLLED_BACK] = "rolled-back",
        [WANTED_QUARANTINED] = "quarantined",
        [WANTED_FAILED] = "failed",
        [WANTED_SUPERSEDED] = "superseded",
        [WANTED_COVERED] = "covered",
};

/* For a person; "%s" is the decision's detail. */
static const char *const reason_texts[_WANTED_REASON_MAX] = {
        [WANTED_NOT_HERE] = "not on this host",
        [WANTED_NEWER] = "newer than %s here",
        [WANTED_ABSENT] = "applied before the reboot, not now",
        [WANTED_RECALLED] = "recalled: %s",
        [WANTED_NOT_PROMOTED] = "not promoted to this ring",
        [WANTED_PROMOTED_LATER] = "promoted to this ring at %s",
        [WANTED_ALL_RECALLED] = "every version promoted to this ring is recalled",
        [WANTED_APPLIED] = "applied",
        [WANTED_IN_TRANSITION] = "a transition is running",
        [WANTED_HOST_NEWER] = "this host has the newer %s",
        [WANTED_DISABLED_HERE] = "disabled here; only a newer version is applied",
        [WANTED_ROLLED_BACK] = "rolled back after its soak failed; only a newer version is applied",
        [WANTED_QUARANTINED] = "quarantined after a crash; only a newer version is applied",
        [WANTED_FAILED] = "failed here (%s); only a newer version is applied",
        [WANTED_SUPERSEDED] = "superseded here; only a newer version is applied",
        [WANTED_COVERED] = "replaced by the cumulative %s, added later",
};

const char *wanted_action_to_string(WantedAction a) {
        return a >= 0 && a < _WANTED_ACTION_MAX ? action_names[a] : NULL;
}

const char *wanted_reason_to_string(WantedReason r) {
        return r >= 0 && r < _WANTED_REASON_MAX ? reason_names[r] : NULL;
}

char *wanted_decision_describe(const WantedDecision *d) {
        g_autofree char *why = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        why = g_strdup_printf(reason_texts[d->reason], d->detail ?: "");
#pragma GCC diagnostic pop
        return g_strdup_printf("%s %s%s%s: %s", action_names[d->action], d->name,
                               d->version ? " " : "", d->version ?: "", why);
}

static void decision_free(WantedDecision *d) {
        if (!d)
                return;
        g_free(d->name);
        g_free(d->version);
        g_free(d->detail);
        g_free(d);
}

static WantedDecision *decide(GPtrArray *out, WantedAction action, WantedReason reason, const char *name,
                              const char *version, const char *detail) {
        WantedDecision *d = g_new0(WantedDecision, 1);

        d->action = action;
        d->reason = reason;
        d->name = g_strdup(name);
        d->version = g_strdup(version);
        d->detail = g_strdup(detail);
        g_ptr_array_add(out, d);
        return d;
}

static const HostPatch *find_host(const HostPatch *host, size_t n_host, const char *name) {
        for (size_t i = 0; i < n_host; i++)
                if (g_str_equal(host[i].name, name))
                        return &host[i];
        return NULL;
}

static bool available(const ChannelIndex *idx, const ChannelPatch *p, const char *ring, uint64_t now_usec) {
        return channel_patch_promoted_usec(p, ring) <= now_usec && !channel_index_find_recall(idx, p->name, p->version);
}

/* A cumulative patch of another name, available to this host and added after
 * @p, replaces it: applying @p after it would put older code in front. */
static const ChannelPatch *covered_by(const ChannelIndex *idx, const ChannelPatch *p, const char *ring, uint64_t now_usec) {
        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *c = idx->patches->pdata[i];
                if (c->replace && c->added_in > p->added_in && !g_str_equal(c->name, p->name) && available(idx, c, ring, now_usec))
                        return c;
        }
        return NULL;
}

static void decide_apply(GPtrArray *out, const ChannelIndex *idx, const ChannelPatch *p, WantedReason reason,
                         const char *detail, const char *ring, uint64_t now_usec) {
        const ChannelPatch *c = covered_by(idx, p, ring, now_usec);

        if (c) {
                g_autofree char *by = g_strconcat(c->name, " ", c->version, NULL);
                decide(out, WANTED_NOTHING, WANTED_COVERED, p->name, p->version, by);
                return;
        }
        decide(out, WANTED_APPLY, reason, p->name, p->version, detail)->patch = p;
}

/* The host has @cand's version of the name. */
static void decide_same_version(GPtrArray *out, const ChannelIndex *idx, const ChannelPatch *cand, const HostPatch *h,
                                const char *ring, uint64_t now_usec) {
        const char *result = patch_result_to_string(h->result);

        switch (h->state) {
        case PATCH_APPLIED:
                decide(out, WANTED_NOTHING, WANTED_APPLIED, cand->name, cand->version, NULL);
                return;
        case PATCH_DISABLED:
                decide(out, WANTED_NOTHING, h->soak_failed ? WANTED_ROLLED_BACK : WANTED_DISABLED_HERE, cand->name, cand->version, NULL);
                return;
        case PATCH_SUPERSEDED:
                decide(out, WANTED_NOTHING, WANTED_SUPERSEDED, cand->name, cand->version, NULL);
                return;
        case PATCH_FAILED:
        case PATCH_ABSENT:
                if (h->result == PATCH_RESULT_QUARANTINED)
                        decide(out, WANTED_NOTHING, WANTED_QUARANTINED, cand->name, cand->version, NULL);
                else if (h->state == PATCH_FAILED || h->result == PATCH_RESULT_REAPPLY_FAILED)
                        decide(out, WANTED_NOTHING, WANTED_FAILED, cand->name, cand->version, result ?: "unknown");
                else
                        decide_apply(out, idx, cand, WANTED_ABSENT, NULL, ring, now_usec);
                return;
        default:
                /* A transition, or a state this version does not know: nothing
                 * is done to a patch whose state is not settled. */
                decide(out, WANTED_NOTHING, WANTED_IN_TRANSITION, cand->name, cand->version, NULL);
                return;
        }
}

/* No candidate: say why. */
static void decide_none(GPtrArray *out, const ChannelIndex *idx, const char *name, const char *ring, uint64_t now_usec) {
        uint64_t later = UINT64_MAX;
        bool recalled = false;

        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                if (!g_str_equal(p->name, name))
                        continue;
                uint64_t when = channel_patch_promoted_usec(p, ring);
                if (when == UINT64_MAX)
                        continue;
                if (channel_index_find_recall(idx, p->name, p->version))
                        recalled = true;
                else
                        later = MIN(later, when); /* not available, so in the future */
        }
        if (later != UINT64_MAX) {
                g_autofree char *at = format_timestamp_utc(later);
                decide(out, WANTED_NOTHING, WANTED_PROMOTED_LATER, name, NULL, at);
        } else
                decide(out, WANTED_NOTHING, recalled ? WANTED_ALL_RECALLED : WANTED_NOT_PROMOTED, name, NULL, NULL);
}

static void decide_name(GPtrArray *out, const ChannelIndex *idx, const char *name, const char *ring, uint64_t now_usec,
                        const HostPatch *h) {
        const ChannelRecall *recall = h ? channel_index_find_recall(idx, name, h->version) : NULL;
        const ChannelPatch *cand = NULL;

        if (recall && h->state == PATCH_APPLIED) {
                decide(out, WANTED_DISABLE, WANTED_RECALLED, name, h->version, recall->reason);
                return;
        }
        if (h && patch_state_is_transition(h->state)) {
                decide(out, WANTED_NOTHING, WANTED_IN_TRANSITION, name, h->version, NULL);
                return;
        }

        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                if (g_str_equal(p->name, name) && available(idx, p, ring, now_usec) &&
                    (!cand || version_compare(p->version, cand->version) > 0))
                        cand = p;
        }
        if (!cand) {
                decide_none(out, idx, name, ring, now_usec);
                return;
        }
        if (!h) {
                decide_apply(out, idx, cand, WANTED_NOT_HERE, NULL, ring, now_usec);
                return;
        }

        int c = version_compare(cand->version, h->version);
        if (c < 0)
                decide(out, WANTED_NOTHING, WANTED_HOST_NEWER, name, cand->version, h->version);
        else if (c > 0)
                decide_apply(out, idx, cand, WANTED_NEWER, h->version, ring, now_usec);
        else
                decide_same_version(out, idx, cand, h, ring, now_usec);
}

static int order(WantedAction a) {
        return a == WANTED_DISABLE ? 0 : a == WANTED_APPLY ? 1 : 2;
}

static int compare_decision(gconstpointer a, gconstpointer b) {
        const WantedDecision *x = *(WantedDecision *const *) a, *y = *(WantedDecision *const *) b;

        if (order(x->action) != order(y->action))
                return order(x->action) - order(y->action);
        if (x->action == WANTED_APPLY && x->patch->added_in != y->patch->added_in)
                return x->patch->added_in < y->patch->added_in ? -1 : 1;
        return strcmp(x->name, y->name);
}

GPtrArray *wanted_set(const ChannelIndex *idx, const char *ring, uint64_t now_usec, const HostPatch *host, size_t n_host) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) decision_free);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                if (g_hash_table_add(seen, p->name))
                        decide_name(out, idx, p->name, ring, now_usec, find_host(host, n_host, p->name));
        }
        /* A recall reaches patches the index does not list too. */
        for (size_t i = 0; i < n_host; i++) {
                const ChannelRecall *r = channel_index_find_recall(idx, host[i].name, host[i].version);
                if (r && host[i].state == PATCH_APPLIED && !g_hash_table_contains(seen, host[i].name))
                        decide(out, WANTED_DISABLE, WANTED_RECALLED, host[i].name, host[i].version, r->reason);
        }

        g_ptr_array_sort(out, compare_decision);
        return g_steal_pointer(&out);
}
