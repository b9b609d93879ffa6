/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "kmod-util.h"
#include "modinfo.h"

void module_info_clear(ModuleInfo *info) {
        g_free(info->name);
        g_free(info->vermagic);
        g_free(info->sig_signer);
        g_free(info->sig_key);
        g_free(info->sig_hashalgo);
        *info = (ModuleInfo) {};
}

int module_read_modinfo(const char *path, GHashTable **ret) {
        /* No configuration: only the file itself is read. */
        g_autoptr(KmodCtx) ctx = kmod_new(NULL, (const char *[]) { NULL });
        g_autoptr(KmodModule) mod = NULL;
        g_autoptr(KmodInfoList) info = NULL;
        int r;

        if (!ctx)
                return -ENOMEM;
        if ((r = kmod_module_new_from_path(ctx, path, &mod)) < 0 || (r = kmod_module_get_info(mod, &info)) < 0)
                return r;

        g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const struct kmod_list *l;
        kmod_list_foreach(l, info) {
                const char *key = kmod_module_info_get_key(l), *value = kmod_module_info_get_value(l);
                if (key && value && !g_hash_table_contains(table, key))
                        g_hash_table_insert(table, g_strdup(key), g_strdup(value));
        }
        *ret = g_steal_pointer(&table);
        return 0;
}

int module_inspect(const char *path, ModuleInfo *ret, sd_bus_error *error) {
        g_autoptr(GHashTable) table = NULL;

        if (module_read_modinfo(path, &table) < 0)
                return sd_bus_error_set(error, LPMAINT_ERROR_NOT_LIVEPATCH, "Module file is not a kernel module");

        const char *name = g_hash_table_lookup(table, "name"), *vermagic = g_hash_table_lookup(table, "vermagic");
        if (!name || !vermagic)
                return sd_bus_error_set(error, LPMAINT_ERROR_NOT_LIVEPATCH, "Module has no name or vermagic in its .modinfo");

        const char *replace = g_hash_table_lookup(table, "livepatch_replace");
        if (replace && !g_str_equal(replace, "Y") && !g_str_equal(replace, "N"))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST,
                                         "Module has livepatch_replace=\"%s\" in its .modinfo, not Y or N", replace);

        *ret = (ModuleInfo) {
                .name = g_strdup(name),
                .vermagic = g_strdup(vermagic),
                .livepatch = g_str_equal(g_hash_table_lookup(table, "livepatch") ?: "", "Y"),
                .replace = replace ? g_str_equal(replace, "Y") : -1,
                /* libkmod reports the appended signature among the modinfo keys. */
                .sig_signer = g_strdup(g_hash_table_lookup(table, "signer") ?: ""),
                .sig_key = g_strdup(g_hash_table_lookup(table, "sig_key") ?: ""),
                .sig_hashalgo = g_strdup(g_hash_table_lookup(table, "sig_hashalgo") ?: ""),
        };
        return 0;
}

bool module_vermagic_matches(const ModuleInfo *info, const char *release) {
        size_t n = strlen(release);

        return strncmp(info->vermagic, release, n) == 0 && (info->vermagic[n] == ' ' || info->vermagic[n] == '\0');
}
