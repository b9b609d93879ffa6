/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define VERB_ANY ((unsigned) -1)

/* One command of a command table (lpmaint's commands, and reboot's). Tables
 * end with a NULL name. */
typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;  /* counting the verb itself; VERB_ANY: no limit */
        unsigned flags;               /* the options it takes, as its table defines them */
        int (*dispatch)(int argc, char *argv[], void *userdata);  /* @userdata: what the table's owner passes */
        const char *synopsis;         /* its arguments in --help, or NULL */
        const char *help;             /* its --help text; a "\n" continues it on the next line */
        const struct Verb *verbs;     /* its sub-commands, which --help lists in its place */
} Verb;

/* The verb called @name, or NULL. */
const Verb *verb_find(const Verb *verbs, const char *name);

/* The "Commands:" lines of --help: "  NAME SYNOPSIS" and the text beside it. */
void verbs_print_help(const Verb *verbs);
