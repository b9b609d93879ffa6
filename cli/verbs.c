/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"

/* Where the help text starts: after two blanks, the name and at least one more. */
#define HELP_NAME_WIDTH 22

const Verb *verb_find(const Verb *verbs, const char *name) {
        for (const Verb *v = verbs; v->name; v++)
                if (strcmp(v->name, name) == 0)
                        return v;
        return NULL;
}

static void print_help_lines(const char *name, const char *help) {
        g_auto(GStrv) lines = g_strsplit(help, "\n", -1);

        printf("  %-*s %s\n", HELP_NAME_WIDTH, name, lines[0]);
        for (size_t i = 1; lines[i]; i++)
                printf("  %-*s %s\n", HELP_NAME_WIDTH, "", lines[i]);
}

static void print_verbs(const Verb *verbs, const char *prefix) {
        for (const Verb *v = verbs; v->name; v++) {
                g_autofree char *name = v->synopsis ? g_strconcat(prefix, v->name, " ", v->synopsis, NULL) :
                                                      g_strconcat(prefix, v->name, NULL);

                if (v->verbs) {
                        g_autofree char *sub_prefix = g_strconcat(name, " ", NULL);
                        print_verbs(v->verbs, sub_prefix);
                } else
                        print_help_lines(name, v->help);
        }
}

void verbs_print_help(const Verb *verbs) {
        print_verbs(verbs, "");
}
