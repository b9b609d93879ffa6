/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Debian's version order (deb-version(7), as dpkg --compare-versions): an
 * optional numeric epoch, then the upstream version and the revision after
 * the last '-', each compared in runs of non-digits ('~' before anything,
 * even the end; letters before other characters) and of digits (as numbers:
 * 1.01 = 1.1 > 1.0). Returns -1, 0 or 1. */
int version_compare(const char *a, const char *b);

/* Whether dpkg would accept @v as a version (and it is at most 64 characters):
 * [EPOCH:]UPSTREAM[-REVISION], the upstream part starting with a digit. */
bool version_is_valid(const char *v);

/* What the versions file could hold before lpmaint used Debian's order: the
 * file is read as written then, and only its form is checked. */
bool recorded_version_is_valid(const char *v);
