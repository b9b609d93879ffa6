/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over files without libFuzzer, so that the seed corpora
 * (and any crash found later, once added) are ordinary regression tests in
 * every build, the sanitizer one included.
 *   fuzz-TARGET PATH...   each PATH a file or a directory of files */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>

#include "fuzz.h"

/* Optional in a target; without a weak reference this would not link. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path) {
        g_autoptr(GError) error = NULL;
        g_autofree char *data = NULL;
        gsize size;

        if (!g_file_get_contents(path, &data, &size, &error)) {
                fprintf(stderr, "%s\n", error->message);
                return -EIO;
        }
        /* A copy of exactly @size bytes, so that ASan sees reads past the end
         * (g_file_get_contents() adds a NUL the fuzzer would not). */
        g_autofree uint8_t *exact = g_memdup2(data, size);
        fprintf(stderr, "%s (%zu bytes)\n", path, (size_t) size);
        (void) LLVMFuzzerTestOneInput(exact, size);
        return 0;
}

static gint compare_paths(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static int run_dir(const char *dir, unsigned *count) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;

        if (!d) {
                fprintf(stderr, "%s\n", error->message);
                return -EIO;
        }
        while ((name = g_dir_read_name(d)))
                g_ptr_array_add(names, g_build_filename(dir, name, NULL));
        /* Sorted, so that a failing run is the same run every time. */
        g_ptr_array_sort(names, compare_paths);
        for (guint i = 0; i < names->len; i++) {
                if (run_file(names->pdata[i]) < 0)
                        return -EIO;
                (*count)++;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
                return 2;
        }
        if (LLVMFuzzerInitialize)
                (void) LLVMFuzzerInitialize(&argc, &argv);

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (S_ISDIR(st.st_mode))
                        r = run_dir(argv[i], &count);
                else {
                        r = run_file(argv[i]);
                        count++;
                }
                if (r < 0)
                        return 1;
        }

        /* An empty corpus would make the test pass without testing anything. */
        if (count == 0) {
                fprintf(stderr, "no inputs\n");
                return 1;
        }
        fprintf(stderr, "%u inputs, no crash\n", count);
        return 0;
}
