/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Parsers (PropertyParser, props.h) of the structured properties more than
 * one command shows. */

typedef struct TaintFlagInfo {
        uint32_t bit;
        char *letter;
        char *name;
} TaintFlagInfo;

/* org.lpmaint1.Kernel.TaintFlags, a(uss) */
typedef struct TaintFlagList {
        TaintFlagInfo *flags;
        size_t n;
} TaintFlagList;

void taint_flag_list_clear(TaintFlagList *l);
int prop_parse_taint_flags(sd_bus_message *m, void *field);

typedef struct RebootReasonInfo {
        char *code;
        char *text;
        uint64_t since_usec;
} RebootReasonInfo;

/* org.lpmaint1.Manager.RebootReasons, a(sst) */
typedef struct RebootReasonList {
        RebootReasonInfo *reasons;
        size_t n;
} RebootReasonList;

void reboot_reason_list_clear(RebootReasonList *l);
int prop_parse_reboot_reasons(sd_bus_message *m, void *field);
