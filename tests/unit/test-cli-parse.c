/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's pure parsers and formatters (cli/parse.c, cli/format.c): the
 * times --since= and --until= take, the one way taint and times print, and
 * how an operation reads with its result.
 * Run with TZ=UTC (tests/unit/meson.build), so local time is UTC. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "parse.h"

#define S UINT64_C(1000000)
/* 2026-03-10 12:34:56 UTC */
#define NOW (UINT64_C(1773146096) * S)

static const struct {
        const char *input;
        int r;
        uint64_t usec;
} timestamps[] = {
        { "now",                   0,       NOW                          },
        { "today",                 0,       UINT64_C(1773100800) * S     },
        { "yesterday",             0,       UINT64_C(1773014400) * S     },
        { "tomorrow",              0,       UINT64_C(1773187200) * S     },
        { "-2h",                   0,       NOW - 2 * 3600 * S           },
        { "+1h",                   0,       NOW + 3600 * S               },
        { "-1h 30min",             0,       NOW - 5400 * S               },
        { "-1h30min",              0,       NOW - 5400 * S               },
        { "-90",                   0,       NOW - 90 * S                 },
        { "-2 days",               0,       NOW - 2 * 86400 * S          },
        { "-1w",                   0,       NOW - 7 * 86400 * S          },
        { "-500ms",                0,       NOW - 500000                 },
        { "2h ago",                0,       NOW - 2 * 3600 * S           },
        { "1 week ago",            0,       NOW - 7 * 86400 * S          },
        { "@1767312000",           0,       UINT64_C(1767312000) * S     },
        { "2026-01-02",            0,       UINT64_C(1767312000) * S     },
        { "2026-01-02 03:04",      0,       UINT64_C(1767323040) * S     },
        { "2026-01-02 03:04:05",   0,       UINT64_C(1767323045) * S     },
        { "2026-01-02T03:04:05",   0,       UINT64_C(1767323045) * S     },
        { "2024-02-29",            0,       UINT64_C(1709164800) * S     },
        { "08:30",                 0,       UINT64_C(1773131400) * S     },
        { "08:30:15",              0,       UINT64_C(1773131415) * S     },
        { "1767312000000000",      0,       UINT64_C(1767312000) * S     },
        { "",                      -EINVAL, 0                            },
        { "soon",                  -EINVAL, 0                            },
        { "-",                     -EINVAL, 0                            },
        { "-2 fortnights",         -EINVAL, 0                            },
        { "-h",                    -EINVAL, 0                            },
        { "-2h ago",               -EINVAL, 0                            },
        { "2026-02-30",            -EINVAL, 0                            },
        { "2025-02-29",            -EINVAL, 0                            },
        { "2026-01-02 24:00",      -EINVAL, 0                            },
        { "2026-01-02 03:60",      -EINVAL, 0                            },
        { "2026-01-02 03:04 x",    -EINVAL, 0                            },
        { "2026-01-02X03:04",      -EINVAL, 0                            },
        { "25:00",                 -EINVAL, 0                            },
        { "@x",                    -EINVAL, 0                            },
        { "-100y",                 -ERANGE, 0                            },
        { "+9999999999999999999",  -ERANGE, 0                            },
        { "1969-12-31",            -ERANGE, 0                            },
};

START_TEST(test_parse_timestamp) {
        for (size_t i = 0; i < sizeof timestamps / sizeof timestamps[0]; i++) {
                uint64_t v = 0;
                int r = parse_timestamp(timestamps[i].input, NOW, &v);

                ck_assert_msg(r == timestamps[i].r, "'%s': %d, expected %d", timestamps[i].input, r, timestamps[i].r);
                if (r == 0)
                        ck_assert_msg(v == timestamps[i].usec, "'%s': %" PRIu64 ", expected %" PRIu64,
                                      timestamps[i].input, v, timestamps[i].usec);
        }
}
END_TEST

static const struct {
        uint64_t mask;
        const char *text;
} taints[] = {
        { 0,                          "none (0)"          },
        { UINT64_C(1) << 15,          "K (32768)"         },
        { 45056,                      "O E K (45056)"     },
        { (UINT64_C(1) << 40) | 1,    "P ? (1099511627777)" },
};

START_TEST(test_format_taint) {
        for (size_t i = 0; i < sizeof taints / sizeof taints[0]; i++) {
                char *t = format_taint(taints[i].mask);
                ck_assert_str_eq(t, taints[i].text);
                free(t);
        }
}
END_TEST

START_TEST(test_format_times) {
        char buf[FORMAT_TIMESTAMP_MAX];

        /* RFC 3339 with the local offset; TZ=UTC here. */
        ck_assert_str_eq(format_timestamp(buf, sizeof buf, NOW), "2026-03-10T12:34:56+00:00");
        ck_assert_str_eq(format_time_left(buf, sizeof buf, NOW + 3723 * S + 999999, NOW), "1h 2min");
        ck_assert_str_eq(format_time_left(buf, sizeof buf, NOW + 303 * S + 999999, NOW), "5min 3s");
        ck_assert_str_eq(format_time_left(buf, sizeof buf, NOW - S, NOW), "0");
}
END_TEST

START_TEST(test_format_operation_result) {
        static const struct { const char *operation, *result, *text; } cases[] = {
                { "apply",   "success",            "apply: success"              },
                /* A failed disable leaves the patch applied: the operation says which failed. */
                { "disable", "transition-timeout", "disable: transition-timeout" },
                { "disable", "success",            "disable: success"            },
                { "apply",   "",                   "apply: running"              },
                { "apply",   NULL,                 "apply: running"              },
                { "",        "success",            NULL                          },
                { NULL,      NULL,                 NULL                          },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *t = format_operation_result(cases[i].operation, cases[i].result);
                if (cases[i].text)
                        ck_assert_str_eq(t, cases[i].text);
                else
                        ck_assert_ptr_null(t);
                free(t);
        }
}
END_TEST

int main(void) {
        Suite *s = suite_create("cli-parse");
        TCase *tc = tcase_create("parse");
        tcase_add_test(tc, test_parse_timestamp);
        tcase_add_test(tc, test_format_taint);
        tcase_add_test(tc, test_format_times);
        tcase_add_test(tc, test_format_operation_result);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
