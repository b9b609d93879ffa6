/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <systemd/sd-bus.h>

/* The facts lpmaintd needs from a module's .modinfo section. */
typedef struct ModuleInfo {
        char *name;
        char *vermagic;
        bool livepatch;
        /* Whether the module says it is an atomic-replace patch: .modinfo
         * livepatch_replace=Y or N (make-sim-module writes it; a real module
         * can with MODULE_INFO(livepatch_replace, "Y")). The kernel itself
         * takes the flag from struct klp_patch in .data, which only
         * relocations lead to, so a module that does not say is -1. */
        int replace;
        /* The module's own appended signature (what the kernel checks), if any. */
        char *sig_signer;
        char *sig_key;
        char *sig_hashalgo;
} ModuleInfo;

void module_info_clear(ModuleInfo *info);

/* Every key=value of a module file's .modinfo, the first value per key. */
int module_read_modinfo(const char *path, GHashTable **ret);

/* Reads @path with libkmod. A file that is not a kernel module is
 * org.lpmaint1.Error.NotLivepatch; a livepatch_replace= other than Y or N
 * is org.lpmaint1.Error.InvalidManifest. */
int module_inspect(const char *path, ModuleInfo *ret, sd_bus_error *error);

/* The release a module was built for is the first word of its vermagic. */
bool module_vermagic_matches(const ModuleInfo *info, const char *release);
