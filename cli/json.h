/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A small streaming JSON writer: the caller emits keys and values in order
 * and the writer places separators, indentation and string escapes. */
typedef struct JsonWriter {
        FILE *f;
        bool pretty;     /* newlines and two-space indents */
        unsigned depth;
        bool first;      /* nothing written yet in the current container */
        bool after_key;  /* a key was written, its value comes next */
} JsonWriter;

void json_writer_init(JsonWriter *w, FILE *f, bool pretty);
/* Ends the document with a newline and flushes; -EIO if anything failed to write. */
int json_writer_finish(JsonWriter *w);

void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);

/* A NULL string is written as null. Invalid UTF-8 becomes U+FFFD. */
void json_string(JsonWriter *w, const char *s);
void json_uint(JsonWriter *w, uint64_t u);
void json_int(JsonWriter *w, int64_t i);
/* @u / 100 as a number with two decimals: 1234 is 12.34. */
void json_hundredths(JsonWriter *w, uint64_t u);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
/* A NULL list is written as []. */
void json_strv(JsonWriter *w, char * const *l);

/* The flags of a taint mask, the one JSON type of taint_flags in every
 * command: [{"bit": 15, "letter": "K", "name": "kernel live patched"}],
 * lowest bit first. */
void json_taint_flags(JsonWriter *w, uint64_t mask);

static inline void json_field_string(JsonWriter *w, const char *key, const char *s) {
        json_key(w, key);
        json_string(w, s);
}

static inline void json_field_uint(JsonWriter *w, const char *key, uint64_t u) {
        json_key(w, key);
        json_uint(w, u);
}

static inline void json_field_bool(JsonWriter *w, const char *key, bool b) {
        json_key(w, key);
        json_bool(w, b);
}

static inline void json_field_strv(JsonWriter *w, const char *key, char * const *l) {
        json_key(w, key);
        json_strv(w, l);
}
