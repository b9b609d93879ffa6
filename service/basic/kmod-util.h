/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libkmod.h>

typedef struct kmod_ctx KmodCtx;
typedef struct kmod_module KmodModule;
typedef struct kmod_list KmodInfoList; /* only lists from kmod_module_get_info() */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KmodCtx, kmod_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KmodModule, kmod_module_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KmodInfoList, kmod_module_info_free_list)
