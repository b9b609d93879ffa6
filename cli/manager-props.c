/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "manager-props.h"

void taint_flag_list_clear(TaintFlagList *l) {
        for (size_t i = 0; i < l->n; i++) {
                g_free(l->flags[i].letter);
                g_free(l->flags[i].name);
        }
        g_free(l->flags);
        *l = (TaintFlagList) {};
}

int prop_parse_taint_flags(sd_bus_message *m, void *field) {
        TaintFlagList *l = field;
        uint32_t bit;
        const char *letter, *name;
        int r;

        taint_flag_list_clear(l);
        r = sd_bus_message_enter_container(m, 'a', "(uss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(uss)", &bit, &letter, &name)) > 0) {
                l->flags = g_renew(TaintFlagInfo, l->flags, l->n + 1);
                l->flags[l->n++] = (TaintFlagInfo) { .bit = bit, .letter = g_strdup(letter), .name = g_strdup(name) };
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

void reboot_reason_list_clear(RebootReasonList *l) {
        for (size_t i = 0; i < l->n; i++) {
                g_free(l->reasons[i].code);
                g_free(l->reasons[i].text);
        }
        g_free(l->reasons);
        *l = (RebootReasonList) {};
}

int prop_parse_reboot_reasons(sd_bus_message *m, void *field) {
        RebootReasonList *l = field;
        const char *code, *text;
        uint64_t since;
        int r;

        reboot_reason_list_clear(l);
        r = sd_bus_message_enter_container(m, 'a', "(sst)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(sst)", &code, &text, &since)) > 0) {
                l->reasons = g_renew(RebootReasonInfo, l->reasons, l->n + 1);
                l->reasons[l->n++] = (RebootReasonInfo) { .code = g_strdup(code), .text = g_strdup(text), .since_usec = since };
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}
