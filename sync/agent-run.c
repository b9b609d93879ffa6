/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "agent-journal.h"
#include "agent-run.h"
#include "agent-state.h"
#include "channel-verify.h"
#include "lpmaint-bus.h"
#include "signature.h"
#include "sync-errors.h"
#include "util.h"

#define RESULT_OK "ok"
#define RESULT_UNCHANGED "unchanged"

void channel_outcome_done(ChannelOutcome *o) {
        g_free(o->url);
        g_free(o->result);
        g_free(o->message);
        if (o->decisions)
                g_ptr_array_unref(o->decisions);
        channel_index_free(o->index);
        *o = (ChannelOutcome) {};
}

static void set_result(ChannelOutcome *o, const char *result, const char *message) {
        g_free(o->result);
        o->result = g_strdup(result);
        g_free(o->message);
        o->message = g_strdup(message);
}

static int fail(ChannelOutcome *o, const char *result, const char *message) {
        set_result(o, result, message);
        return -EPROTO;
}

static int fail_bus(ChannelOutcome *o, const sd_bus_error *error, int r) {
        return fail(o, error->name ?: "org.freedesktop.DBus.Error.Failed", error->message ?: g_strerror(-r));
}

static int fail_fetch(ChannelOutcome *o, const char *what, const NetFetchResult *res) {
        g_autofree char *message = g_strdup_printf("%s %s: %s", what, res->url ?: "",
                                                   res->message ?: net_kind_to_string(res->kind));
        return fail(o, net_kind_to_string(res->kind), message);
}

static char *join_url(const char *base, const char *path) {
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
                n--;
        return g_strdup_printf("%.*s/%s", (int) n, base, path);
}

/* The index and its signature, fetched or, after a 304, as cached. */
typedef struct Fetched {
        GBytes *index;
        GBytes *signature;      /* NULL: none published (Unsigned) */
        NetValidators validators;
        bool unchanged;
} Fetched;

static void fetched_done(Fetched *f) {
        g_clear_pointer(&f->index, g_bytes_unref);
        g_clear_pointer(&f->signature, g_bytes_unref);
        net_validators_done(&f->validators);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fetched, fetched_done)

static int fetch_index(NetFetcher *fetcher, const char *url, const char *release, const ChannelState *state,
                       Fetched *ret, ChannelOutcome *o) {
        g_autofree char *index_path = channel_index_path(release);
        g_autofree char *index_url = join_url(url, index_path);
        g_auto(NetFetchResult) res = {};

        /* Validators only with the bytes they stand for: a 304 is answered from the cache. */
        const NetValidators *previous = state->index ? &state->validators : NULL;
        NetKind kind = net_fetcher_fetch(fetcher, index_url, CHANNEL_INDEX_MAX_SIZE, -1, previous, &res);
        if (kind == NET_KIND_UNCHANGED) {
                ret->index = g_bytes_ref(state->index);
                ret->signature = g_bytes_ref(state->signature);
                ret->validators = res.validators;
                res.validators = (NetValidators) {};
                ret->unchanged = true;
                return 0;
        }
        if (kind != NET_KIND_OK)
                return fail_fetch(o, "Index", &res);

        gsize size;
        const void *data = g_bytes_get_data(res.body, &size);
        g_autofree char *sig_path = channel_index_signature_path(release, data, size);
        g_autofree char *sig_url = join_url(url, sig_path);
        g_auto(NetFetchResult) sig = {};
        kind = net_fetcher_fetch(fetcher, sig_url, SIGNATURE_MAX_SIZE, -1, NULL, &sig);
        /* None published is the index's Unsigned, which verification names. */
        if (kind != NET_KIND_OK && kind != NET_KIND_NOT_FOUND)
                return fail_fetch(o, "Index signature", &sig);

        ret->index = g_steal_pointer(&res.body);
        ret->signature = kind == NET_KIND_OK ? g_steal_pointer(&sig.body) : NULL;
        ret->validators = res.validators;
        res.validators = (NetValidators) {};
        return 0;
}

/* The artifact @a of the index, from the cache if it holds it (checked
 * again), else fetched and checked before it is kept there. */
static int get_artifact(NetFetcher *fetcher, const char *url, const ChannelArtifact *a, const char *what,
                        int cache_fd, int *ret_fd, ChannelOutcome *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) cached = NULL;
        int r;

        if (read_file_at(cache_fd, a->sha256, a->size, &cached) >= 0) {
                gsize size;
                const void *data = g_bytes_get_data(cached, &size);
                if (channel_artifact_check(a, what, data, size, &error) >= 0) {
                        *ret_fd = open_regular_at(cache_fd, a->sha256, O_RDONLY | O_CLOEXEC, 0);
                        if (*ret_fd >= 0)
                                return 0;
                }
                sd_bus_error_free(&error);
        }

        g_autofree char *artifact_url = join_url(url, a->path);
        g_auto(NetFetchResult) res = {};
        NetKind kind = net_fetcher_fetch(fetcher, artifact_url, a->size, -1, NULL, &res);
        if (kind == NET_KIND_TOO_LARGE) {
                g_autofree char *m = g_strdup_printf("%s %s is larger than the index says (%" PRIu64 " bytes)",
                                                     what, artifact_url, a->size);
                return fail(o, SYNC_ERROR_ARTIFACT_MISMATCH, m);
        }
        if (kind != NET_KIND_OK)
                return fail_fetch(o, what, &res);
        gsize size;
        const void *data = g_bytes_get_data(res.body, &size);
        /* Size and digest before anything else looks at the bytes. */
        r = channel_artifact_check(a, what, data, size, &error);
        if (r < 0)
                return fail_bus(o, &error, r);
        r = write_file_atomic_at(cache_fd, a->sha256, data, size, 0600);
        if (r >= 0)
                r = open_regular_at(cache_fd, a->sha256, O_RDONLY | O_CLOEXEC, 0);
        if (r < 0) {
                g_autofree char *m = g_strdup_printf("Cannot keep %s in the cache: %s", what, g_strerror(-r));
                return fail(o, LPMAINT_ERROR_STORAGE_FAILED, m);
        }
        *ret_fd = r;
        return 0;
}

/* The three files of each version to apply, all fetched and checked before
 * anything changes: a bad one anywhere leaves the host as it was. */
typedef struct ApplyFiles {
        int fd[3];
} ApplyFiles;

static void apply_files_close(GArray *files) {
        for (guint i = 0; i < files->len; i++)
                for (size_t j = 0; j < 3; j++)
                        if (g_array_index(files, ApplyFiles, i).fd[j] >= 0)
                                close(g_array_index(files, ApplyFiles, i).fd[j]);
}

static int fetch_applies(NetFetcher *fetcher, const char *url, GPtrArray *decisions, int cache_fd, GArray *files,
                         ChannelOutcome *o) {
        for (guint i = 0; i < decisions->len; i++) {
                const WantedDecision *d = decisions->pdata[i];
                ApplyFiles af = { .fd = { -1, -1, -1 } };
                int r;

                if (d->action != WANTED_APPLY)
                        continue;
                const ChannelArtifact *arts[3] = { &d->patch->manifest, &d->patch->signature, &d->patch->module };
                static const char *const whats[3] = { "Manifest", "Manifest signature", "Module" };
                for (size_t j = 0; j < 3; j++) {
                        g_autofree char *what = g_strdup_printf("%s of %s %s", whats[j], d->name, d->version);
                        r = get_artifact(fetcher, url, arts[j], what, cache_fd, &af.fd[j], o);
                        if (r < 0) {
                                g_array_append_val(files, af);
                                return r;
                        }
                }
                g_array_append_val(files, af);
        }
        return 0;
}

/* Disables, then applies, in the wanted set's order; stops at the first refusal. */
static int carry_out(sd_bus *bus, const char *url, GPtrArray *decisions, GArray *files, ChannelOutcome *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *source = g_strdup_printf("%s serial %" PRIu64, url, o->serial);
        guint next_files = 0;
        int r;

        for (guint i = 0; i < decisions->len; i++) {
                const WantedDecision *d = decisions->pdata[i];
                if (d->action == WANTED_NOTHING)
                        continue;
                if (d->action == WANTED_DISABLE)
                        r = host_disable(bus, d->name, &error);
                else {
                        const ApplyFiles *af = &g_array_index(files, ApplyFiles, next_files++);
                        r = host_apply(bus, af->fd[0], af->fd[1], af->fd[2], d->name, source, &error);
                }
                if (r < 0)
                        return fail_bus(o, &error, r);
                g_autofree char *text = wanted_decision_describe(d);
                agent_journal_changed(url, o->serial, wanted_action_to_string(d->action), d->name, d->version,
                                      wanted_reason_to_string(d->reason), text);
                if (d->action == WANTED_DISABLE)
                        o->disabled++;
                else
                        o->applied++;
        }
        return 0;
}

static int run(sd_bus *bus, const HostInfo *host, NetFetcher *fetcher, const char *url, const AgentOptions *opts,
               ChannelOutcome *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_auto(ChannelState) state = {};
        g_auto(Fetched) fetched = {};
        g_autofree char *signer = NULL;
        int r;

        /* A dry run before any real one has no state directory yet. */
        r = opts->state_fd >= 0 ? channel_state_load(opts->state_fd, url, &state) : 0;
        if (r < 0) {
                g_autofree char *m = g_strdup_printf("The agent's record of this channel cannot be read: %s", g_strerror(-r));
                return fail(o, LPMAINT_ERROR_STATE_DAMAGED, m);
        }
        o->serial = state.highest_serial;

        r = fetch_index(fetcher, url, host->kernel_release, &state, &fetched, o);
        if (r < 0)
                return r;

        TrustPolicy policy = {
                .trust_dir = host->trust_dir,
                .allowed_signers = host->index_signers,
                .purpose = SIGNER_PURPOSE_CODE_SIGNING,
        };
        ChannelIndexCheck check = {
                .policy = &policy,
                .kernel = host->kernel_release,
                .highest_serial = state.highest_serial,
                .now_usec = opts->now_usec,
        };
        gsize size, sig_size = 0;
        const void *data = g_bytes_get_data(fetched.index, &size);
        const void *sig = fetched.signature ? g_bytes_get_data(fetched.signature, &sig_size) : NULL;
        r = channel_index_verify(&check, data, size, sig, sig_size, &o->index, &signer, &error);
        if (r < 0)
                return fail_bus(o, &error, r);
        o->serial = o->index->serial;

        /* What was verified is kept, whatever the host does with it: the
         * serial only grows, and a 304 next time is answered from here. */
        if (!opts->dry_run && !fetched.unchanged) {
                ChannelState next = {
                        .highest_serial = MAX(state.highest_serial, o->index->serial),
                        .validators = fetched.validators,
                        .index = fetched.index,
                        .signature = fetched.signature,
                };
                r = channel_state_save(opts->state_fd, url, &next);
                if (r < 0) {
                        g_autofree char *m = g_strdup_printf("Cannot record the channel's serial: %s", g_strerror(-r));
                        return fail(o, LPMAINT_ERROR_STORAGE_FAILED, m);
                }
        }

        g_auto(HostPatches) hp = {};
        r = host_patches_get(bus, &hp, &error);
        if (r < 0)
                return fail_bus(o, &error, r);
        o->decisions = wanted_set(o->index, host->ring, opts->now_usec, hp.patches, hp.n);

        if (!opts->dry_run) {
                g_autoptr(GArray) files = g_array_new(false, false, sizeof(ApplyFiles));
                r = fetch_applies(fetcher, url, o->decisions, opts->cache_fd, files, o);
                if (r >= 0)
                        r = carry_out(bus, url, o->decisions, files, o);
                apply_files_close(files);
                if (r < 0)
                        return r;
        }

        bool changed = o->applied > 0 || o->disabled > 0;
        g_autofree char *message = g_strdup_printf("serial %" PRIu64 " signed by %s: %u applied, %u disabled", o->serial,
                                                   signer, o->applied, o->disabled);
        set_result(o, fetched.unchanged && !changed ? RESULT_UNCHANGED : RESULT_OK, message);
        return 0;
}

int agent_run_channel(sd_bus *bus, const HostInfo *host, NetFetcher *fetcher, const char *url,
                      const AgentOptions *o, ChannelOutcome *ret) {
        *ret = (ChannelOutcome) { .url = g_strdup(url) };
        int r = run(bus, host, fetcher, url, o, ret);
        if (r < 0 && !o->dry_run)
                agent_journal_refused(url, ret->serial, ret->result, ret->message);
        if (!o->dry_run)
                host_report(bus, url, ret->serial, ret->result, ret->message);
        return r;
}
