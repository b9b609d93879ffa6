/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "manifest.h"
#include "version.h"

#define MANIFEST_GROUP "Patch"
#define RELEASE_GROUP "Release"
#define MAX_RINGS 64
#define MAX_CVES 256
/* Allow for clocks that differ a little between the signer and this host. */
#define ISSUE_CLOCK_SKEW_USEC (5 * 60 * USEC_PER_SEC)

static const char *const manifest_keys[] = {
        "Name", "Stream", "Version", "KernelRelease", "Module", "ModuleSHA256",
        "Replace", "CVEs", "Description", "IssuedAt", "ExpiresAt", "CoverageEndsAt", NULL,
};

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        g_free(m->name);
        g_free(m->stream);
        g_free(m->version);
        g_free(m->kernel_release);
        g_free(m->module);
        g_strfreev(m->cves);
        g_free(m->description);
        for (size_t i = 0; i < m->n_release; i++)
                g_free(m->release[i].ring);
        g_free(m->release);
        return g_free(m), NULL;
}

static bool chars_in(const char *s, const char *extra, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr(extra, *p))
                        return false;
        return true;
}

bool patch_name_is_valid(const char *name) {
        /* The name is the module name and the sysfs directory: kernel module
         * names use '_' (modprobe turns '-' into '_'), and lower case keeps
         * object paths and file names unambiguous. */
        if (!chars_in(name, "_", PATCH_NAME_MAX))
                return false;
        for (const char *p = name; *p; p++)
                if (g_ascii_isupper(*p))
                        return false;
        return true;
}

bool ring_name_is_valid(const char *name) {
        return chars_in(name, "-_", 32);
}

static bool release_is_valid(const char *r) {
        return chars_in(r, ".+~_-", 64);
}

static bool module_file_is_valid(const char *f) {
        return chars_in(f, ".+_-", 255) && f[0] != '.' && g_str_has_suffix(f, ".ko");
}

static bool sha256_is_valid(const char *h) {
        if (strlen(h) != SHA256_HEX_LEN)
                return false;
        for (const char *p = h; *p; p++)
                if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
                        return false;
        return true;
}

static bool cve_is_valid(const char *c) {
        /* CVE-YYYY-NNNN with four or more digits in the sequence number. */
        if (strlen(c) < 13 || strlen(c) > 32 || !g_str_has_prefix(c, "CVE-") || c[8] != '-')
                return false;
        for (size_t i = 4; c[i]; i++)
                if (i != 8 && !g_ascii_isdigit(c[i]))
                        return false;
        return true;
}

static int get_required(GKeyFile *kf, const char *key, char **ret, sd_bus_error *error) {
        g_autofree char *v = g_key_file_get_string(kf, MANIFEST_GROUP, key, NULL);

        if (!v || v[0] == '\0')
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest lacks %s=", key);
        *ret = g_steal_pointer(&v);
        return 0;
}

static int invalid(sd_bus_error *error, const char *key, const char *value) {
        g_autofree char *shown = g_strescape(value, NULL);
        if (strlen(shown) > 80)
                shown[80] = '\0';
        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest has an invalid %s=: \"%s\"", key, shown);
}

static int compare_release(const void *a, const void *b) {
        return strcmp(((const ManifestRelease *) a)->ring, ((const ManifestRelease *) b)->ring);
}

/* [Release]: RING=TIME lines. */
static int parse_release(GKeyFile *kf, Manifest *m, sd_bus_error *error) {
        if (!g_key_file_has_group(kf, RELEASE_GROUP))
                return 0;

        g_auto(GStrv) rings = g_key_file_get_keys(kf, RELEASE_GROUP, NULL, NULL);
        size_t n = rings ? g_strv_length(rings) : 0;
        if (n == 0)
                return sd_bus_error_set(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest has an empty [" RELEASE_GROUP "] group");
        if (n > MAX_RINGS)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest releases to more than %d rings", MAX_RINGS);

        m->release = g_new0(ManifestRelease, n);
        for (size_t i = 0; i < n; i++) {
                g_autofree char *when = g_key_file_get_string(kf, RELEASE_GROUP, rings[i], NULL);

                if (!ring_name_is_valid(rings[i]))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest releases to an invalid ring name \"%s\"", rings[i]);
                m->release[i].ring = g_strdup(rings[i]);
                m->n_release = i + 1;
                if (!when || parse_timestamp_utc(when, &m->release[i].usec) < 0)
                        return invalid(error, rings[i], when ?: "");
        }
        qsort(m->release, m->n_release, sizeof(ManifestRelease), compare_release);
        return 0;
}

/* GKeyFile keeps the last of two equal keys or merges two equal groups without
 * a word; in a signed document that would let the reader and the signer's
 * tools see different values, so a repeated key or group is refused. The
 * lines are read as GKeyFile reads them: leading blanks are skipped, '#'
 * starts a comment, the key ends at '=' less trailing blanks. */
static int check_repeats(const char *text, sd_bus_error *error) {
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        g_autofree char *group = g_strdup("");

        for (size_t i = 0; lines[i]; i++) {
                const char *l = lines[i] + strspn(lines[i], " \t");
                unsigned line = (unsigned) i + 1;

                if (l[0] == '\0' || l[0] == '#')
                        continue;
                if (l[0] == '[') {
                        const char *end = strchr(l, ']');
                        if (!end)
                                continue; /* GKeyFile refuses it */
                        g_free(group);
                        group = g_strndup(l + 1, (gsize) (end - l - 1));
                        if (!g_hash_table_add(seen, g_strconcat("[", group, NULL)))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST,
                                                         "Manifest has the group [%s] twice (line %u)", group, line);
                        continue;
                }
                const char *eq = strchr(l, '=');
                if (!eq)
                        continue;
                g_autofree char *key = g_strchomp(g_strndup(l, (gsize) (eq - l)));
                if (!g_hash_table_add(seen, g_strconcat(group, "]", key, NULL)))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST,
                                                 "Manifest has the key %s= twice in [%s] (line %u)", key, group, line);
        }
        return 0;
}

int manifest_parse(const void *data, size_t size, Manifest **ret, sd_bus_error *error) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(Manifest) m = g_new0(Manifest, 1);
        g_autoptr(GError) gerror = NULL;
        g_autofree char *sha = NULL, *issued = NULL, *expires = NULL, *replace = NULL;
        int r;

        if (size > MANIFEST_MAX_SIZE)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest is larger than %d bytes", MANIFEST_MAX_SIZE);
        if ((size > 0 && memchr(data, '\0', size)) || !g_utf8_validate(data, (gssize) size, NULL))
                return sd_bus_error_set(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest is not UTF-8 text");
        g_autofree char *text = size > 0 ? g_strndup(data, size) : g_strdup("");
        r = check_repeats(text, error);
        if (r < 0)
                return r;
        /* Keep Key[locale]= entries so that the unknown-key check sees them whatever the locale. */
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_KEEP_TRANSLATIONS, &gerror))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest is not a key file: %s", gerror->message);

        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++)
                if (!g_str_equal(groups[i], MANIFEST_GROUP) && !g_str_equal(groups[i], RELEASE_GROUP))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest has an unknown group [%s]", groups[i]);
        if (!g_key_file_has_group(kf, MANIFEST_GROUP))
                return sd_bus_error_set(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest lacks the [" MANIFEST_GROUP "] group");

        /* A signed document may not carry anything this version does not understand:
         * an unknown key could be a constraint the signer meant to impose. */
        g_auto(GStrv) keys = g_key_file_get_keys(kf, MANIFEST_GROUP, NULL, NULL);
        for (size_t i = 0; keys[i]; i++)
                if (!g_strv_contains(manifest_keys, keys[i]))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest has an unknown key %s=", keys[i]);

        if ((r = get_required(kf, "Name", &m->name, error)) < 0 ||
            (r = get_required(kf, "Version", &m->version, error)) < 0 ||
            (r = get_required(kf, "KernelRelease", &m->kernel_release, error)) < 0 ||
            (r = get_required(kf, "Module", &m->module, error)) < 0 ||
            (r = get_required(kf, "ModuleSHA256", &sha, error)) < 0 ||
            (r = get_required(kf, "IssuedAt", &issued, error)) < 0)
                return r;

        if (!patch_name_is_valid(m->name))
                return invalid(error, "Name", m->name);
        m->stream = g_key_file_get_string(kf, MANIFEST_GROUP, "Stream", NULL);
        if (!m->stream)
                m->stream = g_strdup(m->name);
        else if (!patch_name_is_valid(m->stream))
                return invalid(error, "Stream", m->stream);
        if (!version_is_valid(m->version))
                return invalid(error, "Version", m->version);
        if (!release_is_valid(m->kernel_release))
                return invalid(error, "KernelRelease", m->kernel_release);
        if (!module_file_is_valid(m->module))
                return invalid(error, "Module", m->module);
        if (!sha256_is_valid(sha))
                return invalid(error, "ModuleSHA256", sha);
        memcpy(m->module_sha256, sha, sizeof(m->module_sha256));
        if (parse_timestamp_utc(issued, &m->issued_usec) < 0)
                return invalid(error, "IssuedAt", issued);

        expires = g_key_file_get_string(kf, MANIFEST_GROUP, "ExpiresAt", NULL);
        if (expires && (parse_timestamp_utc(expires, &m->expires_usec) < 0 || m->expires_usec <= m->issued_usec))
                return invalid(error, "ExpiresAt", expires);

        g_autofree char *coverage = g_key_file_get_string(kf, MANIFEST_GROUP, "CoverageEndsAt", NULL);
        if (coverage && parse_timestamp_utc(coverage, &m->coverage_ends_usec) < 0)
                return invalid(error, "CoverageEndsAt", coverage);

        r = parse_release(kf, m, error);
        if (r < 0)
                return r;

        replace = g_key_file_get_string(kf, MANIFEST_GROUP, "Replace", NULL);
        if (replace && parse_bool_str(replace, &m->replace) < 0)
                return invalid(error, "Replace", replace);

        gsize n_cves = 0;
        m->cves = g_key_file_get_string_list(kf, MANIFEST_GROUP, "CVEs", &n_cves, NULL);
        if (!m->cves)
                m->cves = g_new0(char *, 1);
        if (n_cves > MAX_CVES)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Manifest lists more than %d CVEs", MAX_CVES);
        for (gsize i = 0; i < n_cves; i++)
                if (!cve_is_valid(m->cves[i]))
                        return invalid(error, "CVEs", m->cves[i]);

        m->description = g_key_file_get_string(kf, MANIFEST_GROUP, "Description", NULL);
        if (!m->description)
                m->description = g_strdup("");
        if (!string_is_printable(m->description, 1024))
                return invalid(error, "Description", m->description);

        *ret = g_steal_pointer(&m);
        return 0;
}

int manifest_check_time(const Manifest *m, uint64_t now_usec, sd_bus_error *error) {
        if (m->issued_usec > now_usec + ISSUE_CLOCK_SKEW_USEC)
                return sd_bus_error_set(error, LPMAINT_ERROR_EXPIRED, "Manifest is issued in the future; check the clock");
        if (m->expires_usec != 0 && now_usec >= m->expires_usec)
                return sd_bus_error_set(error, LPMAINT_ERROR_EXPIRED, "Manifest has expired");
        return 0;
}

int manifest_check_release(const Manifest *m, const char *ring, uint64_t now_usec, sd_bus_error *error) {
        bool has_ring = ring && ring[0];
        uint64_t when = 0;
        bool named = false;

        if (m->n_release == 0)
                return 0;
        for (size_t i = 0; i < m->n_release; i++)
                if (!has_ring)
                        when = MAX(when, m->release[i].usec);
                else if (g_str_equal(m->release[i].ring, ring)) {
                        when = m->release[i].usec;
                        named = true;
                }
        if (has_ring && !named)
                return sd_bus_error_setf(error, LPMAINT_ERROR_RING_NOT_RELEASED, "Patch %s is not released to ring %s", m->name, ring);
        if (now_usec < when) {
                g_autofree char *at = format_timestamp_utc(when);
                return sd_bus_error_setf(error, LPMAINT_ERROR_RING_NOT_RELEASED, "Patch %s is released to %s%s at %s",
                                         m->name, has_ring ? "ring " : "hosts without a ring", has_ring ? ring : "", at);
        }
        return 0;
}
