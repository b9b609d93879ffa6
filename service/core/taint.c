/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "taint.h"

/* Bit numbers are ABI; names follow the kernel's documentation. */
static const TaintFlag taint_table[] = {
        {  0, 'P', "proprietary module" },
        {  1, 'F', "module force loaded" },
        {  2, 'S', "kernel running on an out of specification system" },
        {  3, 'R', "module force unloaded" },
        {  4, 'M', "processor reported a machine check exception" },
        {  5, 'B', "bad page referenced or unexpected page flags" },
        {  6, 'U', "taint requested by userspace" },
        {  7, 'D', "kernel died recently (oops or BUG)" },
        {  8, 'A', "ACPI table overridden by user" },
        {  9, 'W', "kernel issued a warning" },
        { 10, 'C', "staging driver loaded" },
        { 11, 'I', "workaround for a platform firmware bug applied" },
        { 12, 'O', "externally built (out-of-tree) module loaded" },
        { 13, 'E', "unsigned module loaded" },
        { 14, 'L', "soft lockup occurred" },
        { 15, 'K', "kernel live patched" },
        { 16, 'X', "auxiliary taint (distribution defined)" },
        { 17, 'T', "kernel built with the struct randomization plugin" },
        { 18, 'N', "in-kernel test module loaded" },
};

unsigned taint_decode(uint64_t mask, TaintFlag ret[64]) {
        unsigned n = 0;

        for (unsigned bit = 0; bit < 64; bit++) {
                if (!(mask & (UINT64_C(1) << bit)))
                        continue;
                ret[n] = (TaintFlag) { .bit = bit, .letter = '?', .name = "unknown" };
                if (bit < G_N_ELEMENTS(taint_table))
                        ret[n] = taint_table[bit];
                n++;
        }
        return n;
}

int taint_mask_from_letters(const char *letters, uint64_t *ret) {
        uint64_t mask = 0;

        for (const char *c = letters; *c; c++) {
                if (*c == ' ')
                        continue;
                size_t i;
                for (i = 0; i < G_N_ELEMENTS(taint_table); i++)
                        if (taint_table[i].letter == *c)
                                break;
                if (i == G_N_ELEMENTS(taint_table))
                        return -EINVAL;
                mask |= UINT64_C(1) << taint_table[i].bit;
        }
        *ret = mask;
        return 0;
}
