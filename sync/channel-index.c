/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "channel-index.h"
#include "manifest.h"
#include "signature.h"
#include "sync-errors.h"
#include "version.h"

#define INDEX_GROUP "Index"
#define PATCH_PREFIX "Patch "
#define PROMOTE_PREFIX "Promote "
#define RECALL_PREFIX "Recall "
#define SERIAL_MAX ((uint64_t) INT64_MAX)

static const char *const index_keys[] = { "Kernel", "Serial", "Issued", "Expires", NULL };
static const char *const patch_keys[] = {
        "Replace", "AddedIn",
        "Manifest", "ManifestSize", "ManifestSHA256",
        "Signature", "SignatureSize", "SignatureSHA256",
        "Module", "ModuleSize", "ModuleSHA256", NULL,
};
static const char *const recall_keys[] = { "Reason", "Time", NULL };

static void promotion_free(ChannelPromotion *pr) {
        if (!pr)
                return;
        g_free(pr->ring);
        g_free(pr);
}

static void artifact_clear(ChannelArtifact *a) {
        g_free(a->path);
        a->path = NULL;
}

ChannelPatch *channel_patch_new(const char *name, const char *version) {
        ChannelPatch *p = g_new0(ChannelPatch, 1);

        p->name = g_strdup(name);
        p->version = g_strdup(version);
        p->promotions = g_ptr_array_new_with_free_func((GDestroyNotify) promotion_free);
        return p;
}

void channel_patch_free(ChannelPatch *p) {
        if (!p)
                return;
        g_free(p->name);
        g_free(p->version);
        artifact_clear(&p->manifest);
        artifact_clear(&p->signature);
        artifact_clear(&p->module);
        g_ptr_array_unref(p->promotions);
        g_free(p);
}

static void recall_free(ChannelRecall *r) {
        if (!r)
                return;
        g_free(r->name);
        g_free(r->version);
        g_free(r->reason);
        g_free(r);
}

ChannelIndex *channel_index_new(const char *kernel) {
        ChannelIndex *idx = g_new0(ChannelIndex, 1);

        idx->kernel = g_strdup(kernel);
        idx->patches = g_ptr_array_new_with_free_func((GDestroyNotify) channel_patch_free);
        idx->recalls = g_ptr_array_new_with_free_func((GDestroyNotify) recall_free);
        return idx;
}

ChannelIndex *channel_index_free(ChannelIndex *idx) {
        if (!idx)
                return NULL;
        g_free(idx->kernel);
        g_ptr_array_unref(idx->patches);
        g_ptr_array_unref(idx->recalls);
        return g_free(idx), NULL;
}

ChannelPatch *channel_index_find_patch(const ChannelIndex *idx, const char *name, const char *version) {
        for (guint i = 0; i < idx->patches->len; i++) {
                ChannelPatch *p = idx->patches->pdata[i];
                if (g_str_equal(p->name, name) && g_str_equal(p->version, version))
                        return p;
        }
        return NULL;
}

const ChannelRecall *channel_index_find_recall(const ChannelIndex *idx, const char *name, const char *version) {
        for (guint i = 0; i < idx->recalls->len; i++) {
                const ChannelRecall *r = idx->recalls->pdata[i];
                if (g_str_equal(r->name, name) && g_str_equal(r->version, version))
                        return r;
        }
        return NULL;
}

ChannelPatch *channel_index_newest_patch(const ChannelIndex *idx, const char *name) {
        ChannelPatch *best = NULL;

        for (guint i = 0; i < idx->patches->len; i++) {
                ChannelPatch *p = idx->patches->pdata[i];
                if (g_str_equal(p->name, name) && (!best || version_compare(p->version, best->version) > 0))
                        best = p;
        }
        return best;
}

int channel_index_add_patch(ChannelIndex *idx, ChannelPatch *p) {
        if (channel_index_find_patch(idx, p->name, p->version))
                return -EEXIST;
        g_ptr_array_add(idx->patches, p);
        return 0;
}

static int compare_promotion(gconstpointer a, gconstpointer b) {
        return strcmp((*(ChannelPromotion *const *) a)->ring, (*(ChannelPromotion *const *) b)->ring);
}

void channel_patch_promote(ChannelPatch *p, const char *ring, uint64_t usec) {
        for (guint i = 0; i < p->promotions->len; i++) {
                ChannelPromotion *pr = p->promotions->pdata[i];
                if (g_str_equal(pr->ring, ring)) {
                        pr->usec = usec;
                        return;
                }
        }
        ChannelPromotion *pr = g_new0(ChannelPromotion, 1);
        pr->ring = g_strdup(ring);
        pr->usec = usec;
        g_ptr_array_add(p->promotions, pr);
        g_ptr_array_sort(p->promotions, compare_promotion);
}

uint64_t channel_patch_promoted_usec(const ChannelPatch *p, const char *ring) {
        uint64_t when = UINT64_MAX;

        for (guint i = 0; i < p->promotions->len; i++) {
                const ChannelPromotion *pr = p->promotions->pdata[i];
                if (g_str_equal(pr->ring, CHANNEL_RING_ALL) || (ring && ring[0] && g_str_equal(pr->ring, ring)))
                        when = MIN(when, pr->usec);
        }
        return when;
}

void channel_index_add_recall(ChannelIndex *idx, const char *name, const char *version, const char *reason, uint64_t usec) {
        ChannelRecall *r = g_new0(ChannelRecall, 1);

        r->name = g_strdup(name);
        r->version = g_strdup(version);
        r->reason = g_strdup(reason);
        r->usec = usec;
        g_ptr_array_add(idx->recalls, r);
}

bool channel_release_is_valid(const char *release) {
        size_t n = strlen(release);

        if (n == 0 || n > 64 || g_str_equal(release, ".") || g_str_equal(release, ".."))
                return false;
        return strspn(release, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.+~_-") == n;
}

bool channel_path_is_valid(const char *path) {
        size_t n = strlen(path);

        if (n == 0 || n > CHANNEL_PATH_MAX)
                return false;
        if (strspn(path, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._+~:-/") != n)
                return false;
        g_auto(GStrv) parts = g_strsplit(path, "/", -1);
        for (size_t i = 0; parts[i]; i++)
                if (parts[i][0] == '\0' || g_str_equal(parts[i], ".") || g_str_equal(parts[i], ".."))
                        return false;
        return true;
}

char *channel_index_path(const char *release) {
        return g_strconcat("kernels/", release, "/index", NULL);
}

char *channel_index_signature_path(const char *release, const void *data, size_t size) {
        char hex[SHA256_HEX_LEN + 1];

        sha256_hex(data, size, hex);
        return g_strconcat("kernels/", release, "/signatures/", hex, ".p7s", NULL);
}

/* --- Reading ------------------------------------------------------------- */

static int invalid(sd_bus_error *error, const char *group, const char *key, const char *value) {
        g_autofree char *shown = g_strescape(value, NULL);
        if (strlen(shown) > 80)
                shown[80] = '\0';
        return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index has an invalid %s= in [%s]: \"%s\"", key, group, shown);
}

/* GKeyFile merges a repeated group and reads the last of a repeated key
 * without a word; in a signed document that would let the signer's tools and
 * this reader see different values. A merged group shows as fewer groups
 * than the text has headers; a repeated key stays in the group's list of
 * keys, twice. */
static int check_no_repeats(const char *text, GKeyFile *kf, sd_bus_error *error) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        size_t headers = 0;

        for (size_t i = 0; lines[i]; i++)
                if (lines[i][strspn(lines[i], " \t")] == '[')
                        headers++;
        if (headers != g_strv_length(groups))
                return sd_bus_error_set(error, SYNC_ERROR_INVALID_INDEX, "Index has a group twice");
        for (size_t i = 0; groups[i]; i++) {
                g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
                g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
                for (size_t j = 0; keys && keys[j]; j++)
                        if (!g_hash_table_add(seen, keys[j]))
                                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index has the key %s= twice in [%s]", keys[j], groups[i]);
        }
        return 0;
}

static int check_keys(GKeyFile *kf, const char *group, const char *const *allowed, sd_bus_error *error) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

        for (size_t i = 0; keys && keys[i]; i++)
                if (!g_strv_contains(allowed, keys[i]))
                        return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index has an unknown key %s= in [%s]", keys[i], group);
        for (size_t i = 0; allowed[i]; i++)
                if (!g_key_file_has_key(kf, group, allowed[i], NULL))
                        return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index lacks %s= in [%s]", allowed[i], group);
        return 0;
}

/* The raw value: every value of the index but Reason= is of characters that
 * key file escapes do not touch, and those the checks below refuse. */
static char *get_raw(GKeyFile *kf, const char *group, const char *key) {
        return g_key_file_get_value(kf, group, key, NULL);
}

/* A decimal number of 1 to @max, without sign, blank or leading zero. */
static int get_number(GKeyFile *kf, const char *group, const char *key, uint64_t max, uint64_t *ret, sd_bus_error *error) {
        g_autofree char *v = get_raw(kf, group, key);
        uint64_t n = 0;

        if (!v || v[0] == '\0' || v[0] == '0' || strlen(v) > 19 || strspn(v, "0123456789") != strlen(v))
                return invalid(error, group, key, v ?: "");
        for (const char *p = v; *p; p++)
                n = n * 10 + (uint64_t) (*p - '0');
        if (n > max)
                return invalid(error, group, key, v);
        *ret = n;
        return 0;
}

static int get_time(GKeyFile *kf, const char *group, const char *key, uint64_t *ret, sd_bus_error *error) {
        g_autofree char *v = get_raw(kf, group, key);

        if (!v || parse_timestamp_utc(v, ret) < 0)
                return invalid(error, group, key, v ?: "");
        return 0;
}

static bool sha256_hex_is_valid(const char *h) {
        return strlen(h) == SHA256_HEX_LEN && strspn(h, "0123456789abcdef") == SHA256_HEX_LEN;
}

static int get_artifact(GKeyFile *kf, const char *group, const char *what, uint64_t max_size, ChannelArtifact *a, sd_bus_error *error) {
        g_autofree char *size_key = g_strconcat(what, "Size", NULL);
        g_autofree char *sha_key = g_strconcat(what, "SHA256", NULL);
        g_autofree char *path = get_raw(kf, group, what);
        g_autofree char *sha = get_raw(kf, group, sha_key);
        int r;

        if (!path || !channel_path_is_valid(path))
                return invalid(error, group, what, path ?: "");
        r = get_number(kf, group, size_key, max_size, &a->size, error);
        if (r < 0)
                return r;
        if (!sha || !sha256_hex_is_valid(sha))
                return invalid(error, group, sha_key, sha ?: "");
        a->path = g_steal_pointer(&path);
        memcpy(a->sha256, sha, sizeof(a->sha256));
        return 0;
}

/* "PREFIX NAME VERSION": the patch version a group is about. */
static int parse_group_name(const char *group, const char *prefix, char **ret_name, char **ret_version, sd_bus_error *error) {
        g_auto(GStrv) parts = g_strsplit(group + strlen(prefix), " ", -1);

        if (g_strv_length(parts) != 2 || !patch_name_is_valid(parts[0]) || !version_is_valid(parts[1]))
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX,
                                         "Index has a group [%s] that is not [%sNAME VERSION] of a patch name and a Debian version", group, prefix);
        *ret_name = g_strdup(parts[0]);
        *ret_version = g_strdup(parts[1]);
        return 0;
}

static int parse_header(GKeyFile *kf, ChannelIndex *idx, sd_bus_error *error) {
        g_autofree char *kernel = NULL;
        int r;

        if (!g_key_file_has_group(kf, INDEX_GROUP))
                return sd_bus_error_set(error, SYNC_ERROR_INVALID_INDEX, "Index lacks the [" INDEX_GROUP "] group");
        r = check_keys(kf, INDEX_GROUP, index_keys, error);
        if (r < 0)
                return r;
        kernel = get_raw(kf, INDEX_GROUP, "Kernel");
        if (!channel_release_is_valid(kernel))
                return invalid(error, INDEX_GROUP, "Kernel", kernel);
        idx->kernel = g_steal_pointer(&kernel);
        if ((r = get_number(kf, INDEX_GROUP, "Serial", SERIAL_MAX, &idx->serial, error)) < 0 ||
            (r = get_time(kf, INDEX_GROUP, "Issued", &idx->issued_usec, error)) < 0 ||
            (r = get_time(kf, INDEX_GROUP, "Expires", &idx->expires_usec, error)) < 0)
                return r;
        if (idx->expires_usec <= idx->issued_usec) {
                g_autofree char *v = get_raw(kf, INDEX_GROUP, "Expires");
                return invalid(error, INDEX_GROUP, "Expires", v);
        }
        return 0;
}

static int parse_patch(GKeyFile *kf, const char *group, ChannelIndex *idx, sd_bus_error *error) {
        g_autofree char *name = NULL, *version = NULL, *replace = NULL;
        g_autoptr(ChannelPatch) p = NULL;
        int r;

        r = parse_group_name(group, PATCH_PREFIX, &name, &version, error);
        if (r < 0)
                return r;
        r = check_keys(kf, group, patch_keys, error);
        if (r < 0)
                return r;
        p = channel_patch_new(name, version);
        replace = get_raw(kf, group, "Replace");
        if (!g_str_equal(replace, "true") && !g_str_equal(replace, "false"))
                return invalid(error, group, "Replace", replace);
        p->replace = g_str_equal(replace, "true");
        if ((r = get_number(kf, group, "AddedIn", idx->serial, &p->added_in, error)) < 0 ||
            (r = get_artifact(kf, group, "Manifest", MANIFEST_MAX_SIZE, &p->manifest, error)) < 0 ||
            (r = get_artifact(kf, group, "Signature", SIGNATURE_MAX_SIZE, &p->signature, error)) < 0 ||
            (r = get_artifact(kf, group, "Module", CHANNEL_MODULE_MAX_SIZE, &p->module, error)) < 0)
                return r;
        if (idx->patches->len >= CHANNEL_MAX_PATCHES)
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index lists more than %d patch versions", CHANNEL_MAX_PATCHES);
        r = channel_index_add_patch(idx, p);
        if (r < 0) /* check_no_repeats() saw to it that each group is there once */
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index lists %s %s twice", name, version);
        p = NULL;
        return 0;
}

static int parse_promote(GKeyFile *kf, const char *group, ChannelIndex *idx, sd_bus_error *error) {
        g_autofree char *name = NULL, *version = NULL;
        int r;

        r = parse_group_name(group, PROMOTE_PREFIX, &name, &version, error);
        if (r < 0)
                return r;
        ChannelPatch *p = channel_index_find_patch(idx, name, version);
        if (!p)
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index promotes %s %s, which it does not list in a [" PATCH_PREFIX "%s %s] group",
                                         name, version, name, version);

        g_auto(GStrv) rings = g_key_file_get_keys(kf, group, NULL, NULL);
        size_t n = rings ? g_strv_length(rings) : 0;
        if (n == 0)
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index has an empty [%s] group", group);
        if (n > CHANNEL_MAX_PROMOTIONS)
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index promotes %s %s to more than %d rings", name, version, CHANNEL_MAX_PROMOTIONS);
        for (size_t i = 0; i < n; i++) {
                uint64_t usec;

                if (!g_str_equal(rings[i], CHANNEL_RING_ALL) && !ring_name_is_valid(rings[i]))
                        return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index promotes %s %s to an invalid ring name \"%s\"", name, version, rings[i]);
                r = get_time(kf, group, rings[i], &usec, error);
                if (r < 0)
                        return r;
                channel_patch_promote(p, rings[i], usec);
        }
        return 0;
}

static int parse_recall(GKeyFile *kf, const char *group, ChannelIndex *idx, sd_bus_error *error) {
        g_autofree char *name = NULL, *version = NULL, *reason = NULL;
        uint64_t usec;
        int r;

        r = parse_group_name(group, RECALL_PREFIX, &name, &version, error);
        if (r < 0)
                return r;
        r = check_keys(kf, group, recall_keys, error);
        if (r < 0)
                return r;
        reason = g_key_file_get_string(kf, group, "Reason", NULL);
        if (!reason || reason[0] == '\0' || !string_is_printable(reason, CHANNEL_REASON_MAX)) {
                g_autofree char *raw = get_raw(kf, group, "Reason");
                return invalid(error, group, "Reason", raw ?: "");
        }
        r = get_time(kf, group, "Time", &usec, error);
        if (r < 0)
                return r;
        if (idx->recalls->len >= CHANNEL_MAX_RECALLS)
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index lists more than %d recalls", CHANNEL_MAX_RECALLS);
        channel_index_add_recall(idx, name, version, reason, usec);
        return 0;
}

int channel_index_parse(const void *data, size_t size, ChannelIndex **ret, sd_bus_error *error) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) gerror = NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        int r;

        sync_errors_register();
        if (size > CHANNEL_INDEX_MAX_SIZE)
                return sd_bus_error_setf(error, LPMAINT_ERROR_FILE_TOO_LARGE, "Index is larger than %d bytes", CHANNEL_INDEX_MAX_SIZE);
        if ((size > 0 && memchr(data, '\0', size)) || !g_utf8_validate(data, (gssize) size, NULL))
                return sd_bus_error_set(error, SYNC_ERROR_INVALID_INDEX, "Index is not UTF-8 text");
        g_autofree char *text = g_strndup(data, size);
        /* Key[locale]= entries are kept, so that they count as the unknown keys they are. */
        if (!g_key_file_load_from_data(kf, text, size, G_KEY_FILE_KEEP_TRANSLATIONS, &gerror))
                return sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index is not a key file: %s", gerror->message);
        r = check_no_repeats(text, kf, error);
        if (r < 0)
                return r;

        idx = channel_index_new(NULL);
        r = parse_header(kf, idx, error);
        if (r < 0)
                return r;

        /* Patches first: a promotion names one, wherever its group is. */
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++) {
                const char *g = groups[i];
                if (g_str_has_prefix(g, PATCH_PREFIX))
                        r = parse_patch(kf, g, idx, error);
                else if (!g_str_equal(g, INDEX_GROUP) && !g_str_has_prefix(g, PROMOTE_PREFIX) && !g_str_has_prefix(g, RECALL_PREFIX))
                        r = sd_bus_error_setf(error, SYNC_ERROR_INVALID_INDEX, "Index has an unknown group [%s]", g);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; groups[i]; i++) {
                const char *g = groups[i];
                if (g_str_has_prefix(g, PROMOTE_PREFIX))
                        r = parse_promote(kf, g, idx, error);
                else if (g_str_has_prefix(g, RECALL_PREFIX))
                        r = parse_recall(kf, g, idx, error);
                if (r < 0)
                        return r;
        }

        *ret = g_steal_pointer(&idx);
        return 0;
}

/* --- Writing ------------------------------------------------------------- */

static int compare_patch(gconstpointer a, gconstpointer b) {
        const ChannelPatch *x = *(ChannelPatch *const *) a, *y = *(ChannelPatch *const *) b;
        int c = strcmp(x->name, y->name);
        return c != 0 ? c : version_compare(x->version, y->version);
}

static int compare_recall(gconstpointer a, gconstpointer b) {
        const ChannelRecall *x = *(ChannelRecall *const *) a, *y = *(ChannelRecall *const *) b;
        int c = strcmp(x->name, y->name);
        return c != 0 ? c : version_compare(x->version, y->version);
}

static void set_number(GKeyFile *kf, const char *group, const char *key, uint64_t n) {
        char buf[32];
        g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, n);
        g_key_file_set_value(kf, group, key, buf);
}

static void set_time(GKeyFile *kf, const char *group, const char *key, uint64_t usec) {
        g_autofree char *t = format_timestamp_utc(usec);
        g_key_file_set_value(kf, group, key, t);
}

static void set_artifact(GKeyFile *kf, const char *group, const char *what, const ChannelArtifact *a) {
        g_autofree char *size_key = g_strconcat(what, "Size", NULL);
        g_autofree char *sha_key = g_strconcat(what, "SHA256", NULL);

        g_key_file_set_value(kf, group, what, a->path);
        set_number(kf, group, size_key, a->size);
        g_key_file_set_value(kf, group, sha_key, a->sha256);
}

char *channel_index_format(const ChannelIndex *idx, size_t *ret_size) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GPtrArray) patches = g_ptr_array_copy(idx->patches, NULL, NULL);
        g_autoptr(GPtrArray) recalls = g_ptr_array_copy(idx->recalls, NULL, NULL);
        gsize size = 0;

        /* The copies share the elements: they must not free them. */
        g_ptr_array_set_free_func(patches, NULL);
        g_ptr_array_set_free_func(recalls, NULL);
        g_key_file_set_value(kf, INDEX_GROUP, "Kernel", idx->kernel);
        set_number(kf, INDEX_GROUP, "Serial", idx->serial);
        set_time(kf, INDEX_GROUP, "Issued", idx->issued_usec);
        set_time(kf, INDEX_GROUP, "Expires", idx->expires_usec);

        g_ptr_array_sort(patches, compare_patch);
        for (guint i = 0; i < patches->len; i++) {
                const ChannelPatch *p = patches->pdata[i];
                g_autofree char *group = g_strconcat(PATCH_PREFIX, p->name, " ", p->version, NULL);

                g_key_file_set_value(kf, group, "Replace", p->replace ? "true" : "false");
                set_number(kf, group, "AddedIn", p->added_in);
                set_artifact(kf, group, "Manifest", &p->manifest);
                set_artifact(kf, group, "Signature", &p->signature);
                set_artifact(kf, group, "Module", &p->module);
                if (p->promotions->len == 0)
                        continue;
                g_autofree char *promote = g_strconcat(PROMOTE_PREFIX, p->name, " ", p->version, NULL);
                for (guint j = 0; j < p->promotions->len; j++) {
                        const ChannelPromotion *pr = p->promotions->pdata[j];
                        set_time(kf, promote, pr->ring, pr->usec);
                }
        }

        g_ptr_array_sort(recalls, compare_recall);
        for (guint i = 0; i < recalls->len; i++) {
                const ChannelRecall *r = recalls->pdata[i];
                g_autofree char *group = g_strconcat(RECALL_PREFIX, r->name, " ", r->version, NULL);

                g_key_file_set_string(kf, group, "Reason", r->reason);
                set_time(kf, group, "Time", r->usec);
        }

        char *text = g_key_file_to_data(kf, &size, NULL);
        if (ret_size)
                *ret_size = size;
        return text;
}
