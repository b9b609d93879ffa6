/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-channel: publishes signed live patches in a channel directory that
 * any web server or mirror can serve (lpmaint-channel(1), the format in
 * lpmaint-channel(5)). It writes the index with the host side's own code
 * (sync/), so that what it publishes is what hosts read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "channel-check.h"
#include "channel-deb.h"
#include "channel-dir.h"
#include "channel-index.h"
#include "manifest.h"
#include "openssl-util.h"
#include "signature.h"
#include "sync-errors.h"
#include "trust-options.h"
#include "version.h"

enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
};

#define VALID_DAYS_DEFAULT 7
#define VALID_DAYS_MAX 366
#define USEC_PER_DAY (UINT64_C(24) * 3600 * USEC_PER_SEC)
/* A host that read an index just before it was replaced still finds its
 * signature for this long. */
#define OLD_SIGNATURE_KEEP_SEC 3600

static const char *arg_channel = ".";
static const char *arg_key = NULL;
static const char *arg_cert = NULL;
static const char *arg_chain = NULL;
static unsigned arg_valid_days = VALID_DAYS_DEFAULT;
static const char *arg_kernel = NULL;
static TrustOptions arg_trust;
static ChannelDeb arg_deb = {
        .install_dir = CHANNEL_DEB_INSTALL_DIR,
        .maintainer = "lpmaint-channel <root@localhost>",
        .output_dir = ".",
};
static const char *arg_ring = NULL;
static uint64_t arg_at_usec = 0;
static const char *arg_reason = NULL;

static void help(void) {
        printf("%1$s [OPTIONS...] COMMAND ...\n"
               "\n"
               "Publishes signed live patches in a channel directory (lpmaint-channel(5)).\n"
               "\n"
               "Commands:\n"
               "  init DIR                   make DIR an empty channel\n"
               "  add MANIFEST...            publish what lpmaint-sign wrote (MANIFEST, MANIFEST.p7s\n"
               "                             and the module beside it), after checking them\n"
               "  promote NAME [VERSION]     promote a patch version (default: the newest) to --ring\n"
               "  recall NAME VERSION        recall a patch version, with --reason\n"
               "  resign                     sign every index again, renewing its expiry\n"
               "  verify                     check the whole channel as a host would\n"
               "  deb RELEASE                build lpmaint-patches-RELEASE, a Debian package of that\n"
               "                             kernel's index and files, a local channel in --install-dir\n"
               "\n"
               "Options:\n"
               "  -C, --channel DIR          the channel (default: the current directory)\n"
               "  --key FILE --cert FILE     the index signing key and certificate (PEM)\n"
               "  --chain FILE               intermediate certificates to embed (PEM)\n"
               "  --valid-days N             how long an index is valid (default %2$d, at most %3$d)\n"
               "  --kernel RELEASE           only this kernel's index (promote, recall, resign, verify)\n"
               "  --ring RING                the ring to promote to; '*' is every host\n"
               "  --at TIME                  when the promotion takes effect (RFC 3339; default now)\n"
               "  --reason TEXT              why a version is recalled\n"
               "  --output-dir DIR           where deb writes the package (default: .)\n"
               "  --install-dir DIR          where the package installs the channel (default %4$s)\n"
               "  --architecture ARCH        the package's (default: dpkg --print-architecture)\n"
               "  --maintainer TEXT          the package's Maintainer field\n"
               "  --trust-dir DIR            trusted certificates for patches (add, verify)\n"
               "  --signer CN                a signer allowed to sign patches (repeatable)\n"
               "  --purpose P                code-signing (default), lpmaint or any\n"
               "  --index-trust-dir DIR      trusted certificates for indexes (verify; default --trust-dir)\n"
               "  --index-signer CN          a signer allowed to sign indexes (repeatable): verify\n"
               "                             needs it, and changes check the published index with it\n"
               "  --index-purpose P          code-signing (default), lpmaint or any\n"
               "  -h, --help                 show this help\n",
               program_invocation_short_name, VALID_DAYS_DEFAULT, VALID_DAYS_MAX, CHANNEL_DEB_INSTALL_DIR);
}

static int fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *format, ...) {
        va_list ap;

        fprintf(stderr, "%s: error: ", program_invocation_short_name);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILED;
}

static int fail_bus(const char *what, const sd_bus_error *e) {
        return fail("%s: %s: %s", what, e->name ?: "error", e->message ?: "failed");
}

static int usage(const char *what) {
        fprintf(stderr, "%s: %s (see --help)\n", program_invocation_short_name, what);
        return EXIT_USAGE;
}

/* --- Writing the tree ---------------------------------------------------- */

/* Opens @dir below @root_fd, making each missing component (and syncing its
 * parent, so that the new entry outlives a crash). */
static int open_dirs_at(int root_fd, const char *dir) {
        g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
        int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return -errno;

        for (size_t i = 0; fd >= 0 && parts[i]; i++) {
                if (mkdirat(fd, parts[i], 0755) == 0) {
                        if (fsync(fd) < 0) {
                                int r = -errno;
                                (void) close(fd);
                                return r;
                        }
                } else if (errno != EEXIST) {
                        int r = -errno;
                        (void) close(fd);
                        return r;
                }
                int next = open_directory_at(fd, parts[i]);
                (void) close(fd);
                fd = next;
        }
        return fd; /* or open_directory_at()'s negative errno */
}

/* Writes @path below @root_fd atomically: readers see the old file or the
 * new one, and it is on disk when this returns. */
static int write_at(int root_fd, const char *path, const void *data, size_t size) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *base = g_path_get_basename(path);
        _cleanup_close_ int dfd = open_dirs_at(root_fd, dir);

        if (dfd < 0)
                return dfd;
        return write_file_atomic_at(dfd, base, data, size, 0644);
}

/* --- Signing ------------------------------------------------------------- */

typedef struct Signer {
        EVP_PKEY *key;
        X509 *cert;
        X509Stack *chain;
} Signer;

static void signer_clear(Signer *s) {
        EVP_PKEY_free(s->key);
        X509_free(s->cert);
        if (s->chain)
                x509_stack_free(s->chain);
}

static int load_signer(Signer *s) {
        g_autoptr(BIO) kb = NULL, cb = NULL;

        if (!arg_key || !arg_cert)
                return usage("--key and --cert are required: the index is signed");
        kb = BIO_new_file(arg_key, "r");
        s->key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
        if (!s->key)
                return fail("--key %s is not a readable PEM private key", arg_key);
        cb = BIO_new_file(arg_cert, "r");
        s->cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
        if (!s->cert)
                return fail("--cert %s is not a readable PEM certificate", arg_cert);
        if (X509_check_private_key(s->cert, s->key) != 1)
                return fail("--key %s does not belong to --cert %s", arg_key, arg_cert);
        if (arg_chain) {
                g_autoptr(BIO) chb = BIO_new_file(arg_chain, "r");
                X509 *c;

                s->chain = sk_X509_new_null();
                while (chb && (c = PEM_read_bio_X509(chb, NULL, NULL, NULL)))
                        sk_X509_push(s->chain, c);
                if (sk_X509_num(s->chain) == 0)
                        return fail("--chain %s holds no PEM certificate", arg_chain);
        }
        ERR_clear_error();
        return EXIT_OK;
}

/* A detached CMS signature of @data, DER, with signed attributes, as
 * lpmaint-sign makes a manifest's. */
static int sign_detached(const Signer *s, const void *data, size_t size, GBytes **ret) {
        g_autoptr(BIO) in = BIO_new_mem_buf(data, (int) size);
        g_autoptr(BIO) out = BIO_new(BIO_s_mem());
        g_autoptr(CMS_ContentInfo) cms = NULL;
        char *der;
        long n;

        cms = in ? CMS_sign(s->cert, s->key, s->chain, in, CMS_DETACHED | CMS_BINARY) : NULL;
        if (!cms || !out || i2d_CMS_bio(out, cms) != 1)
                return fail("signing the index failed: %s", ERR_reason_error_string(ERR_get_error()) ?: "unknown error");
        n = BIO_get_mem_data(out, &der);
        *ret = g_bytes_new(der, (gsize) n);
        return EXIT_OK;
}

/* --- Publishing ---------------------------------------------------------- */

typedef struct Channel {
        int root_fd;
        Signer signer;
        uint64_t now_usec;
} Channel;

/* Kernel @release's index as published, or a new one (serial 0). */
static int load_index_full(Channel *ch, const char *release, bool must_exist, ChannelIndex **ret, GBytes **ret_data, GBytes **ret_sig) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) data = NULL, sig = NULL;
        int r;

        r = channel_dir_read_index(ch->root_fd, release, &data, &sig, &error);
        if (r == -ENOENT && !must_exist) {
                *ret = channel_index_new(release);
                return EXIT_OK;
        }
        if (r == -ENOENT)
                return fail("kernel %s has no index in this channel", release);
        if (r < 0)
                return fail_bus(release, &error);
        gsize size;
        const void *p = g_bytes_get_data(data, &size);
        if (arg_trust.index_signers->len > 1) {
                /* A change starts from the index the index signers published:
                 * a tree altered behind the publisher's back is not signed again. */
                TrustPolicy policy = trust_options_index_policy(&arg_trust);
                gsize sig_size = 0;
                const void *sig_data = sig ? g_bytes_get_data(sig, &sig_size) : NULL;

                if (!policy.trust_dir)
                        return usage("--index-signer needs --index-trust-dir or --trust-dir");
                if (!sig_data)
                        return fail("%s: %s: the published index has no signature", release, LPMAINT_ERROR_UNSIGNED);
                r = signature_verify(&policy, p, size, sig_data, sig_size, NULL, &error);
                if (r < 0)
                        return fail_bus(release, &error);
        }
        r = channel_index_parse(p, size, ret, &error);
        if (r < 0)
                return fail_bus(release, &error);
        if (!g_str_equal((*ret)->kernel, release))
                return fail("kernels/%s/index is for kernel %s", release, (*ret)->kernel);
        if (ret_data)
                *ret_data = g_steal_pointer(&data);
        if (ret_sig)
                *ret_sig = g_steal_pointer(&sig);
        return EXIT_OK;
}

static int load_index(Channel *ch, const char *release, bool must_exist, ChannelIndex **ret) {
        return load_index_full(ch, release, must_exist, ret, NULL, NULL);
}

/* Removes the signatures of replaced indexes once no host can still be
 * reading them: an hour after they were replaced (publish() sets their time). */
static void prune_signatures(Channel *ch, const char *release, const char *keep) {
        g_autofree char *dir = g_strconcat("kernels/", release, "/signatures", NULL);
        int fd = open_directory_at(ch->root_fd, dir);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (!d) {
                if (fd >= 0)
                        (void) close(fd);
                return;
        }
        while ((e = readdir(d))) {
                struct stat st;
                if (!g_str_has_suffix(e->d_name, ".p7s") || g_str_equal(e->d_name, keep) ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if ((uint64_t) st.st_mtime + OLD_SIGNATURE_KEEP_SEC < ch->now_usec / USEC_PER_SEC)
                        (void) unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
}

/* Publishes @idx as the next index of its kernel: the signature first, the
 * index last by rename, so a host never reads an index whose signature is not
 * there. */
static int publish(Channel *ch, ChannelIndex *idx) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) check = NULL;
        g_autoptr(GBytes) sig = NULL;
        size_t size;
        int r;

        idx->serial++;
        idx->issued_usec = ch->now_usec;
        idx->expires_usec = ch->now_usec + arg_valid_days * USEC_PER_DAY;
        g_autofree char *text = channel_index_format(idx, &size);

        /* What hosts will read back: never publish what they would refuse. */
        r = channel_index_parse(text, size, &check, &error);
        if (r < 0)
                return fail_bus("the new index", &error);
        r = sign_detached(&ch->signer, text, size, &sig);
        if (r != EXIT_OK)
                return r;

        g_autofree char *sig_path = channel_index_signature_path(idx->kernel, text, size);
        g_autofree char *index_path = channel_index_path(idx->kernel);
        g_autoptr(GBytes) replaced = NULL;
        g_autofree char *replaced_sig_path = NULL;
        gsize sig_size;
        const void *sig_data = g_bytes_get_data(sig, &sig_size);
        r = write_at(ch->root_fd, sig_path, sig_data, sig_size);
        if (r < 0)
                return fail("cannot write %s: %s", sig_path, strerror(-r));
        if (read_file_at(ch->root_fd, index_path, CHANNEL_INDEX_MAX_SIZE, &replaced) >= 0) {
                gsize n;
                const void *p = g_bytes_get_data(replaced, &n);
                replaced_sig_path = channel_index_signature_path(idx->kernel, p, n);
        }
        r = write_at(ch->root_fd, index_path, text, size);
        if (r < 0)
                return fail("cannot write %s: %s", index_path, strerror(-r));
        /* The replaced index's signature is kept for an hour from now, however
         * long ago it was written: a host may have read that index just now. */
        if (replaced_sig_path)
                (void) utimensat(ch->root_fd, replaced_sig_path, NULL, AT_SYMLINK_NOFOLLOW);

        g_autofree char *keep = g_path_get_basename(sig_path);
        prune_signatures(ch, idx->kernel, keep);
        printf("Published %s, serial %" G_GUINT64_FORMAT ".\n", index_path, idx->serial);
        return EXIT_OK;
}

/* The kernels whose index the command acts on: --kernel, or every one. */
static int list_kernels(Channel *ch, GPtrArray **ret) {
        g_autoptr(GPtrArray) releases = g_ptr_array_new_with_free_func(g_free);

        if (arg_kernel)
                g_ptr_array_add(releases, g_strdup(arg_kernel));
        else {
                int fd = open_directory_at(ch->root_fd, "kernels");
                DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *e;

                if (!d) {
                        if (fd >= 0)
                                (void) close(fd);
                        return fail("%s is not a channel (no kernels/ in it): run %s init first", arg_channel, program_invocation_short_name);
                }
                while ((e = readdir(d)))
                        if (e->d_name[0] != '.' && channel_release_is_valid(e->d_name))
                                g_ptr_array_add(releases, g_strdup(e->d_name));
                closedir(d);
        }
        *ret = g_steal_pointer(&releases);
        return EXIT_OK;
}

/* --- Commands ------------------------------------------------------------ */

static int verb_init(const char *dir) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return fail("cannot create %s: %m", dir);
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, dir);
        if (fd < 0)
                return fail("%s is not a directory: %s", dir, strerror(-fd));
        for (const char *const *sub = (const char *const[]) { "kernels", "patches", NULL }; *sub; sub++) {
                _cleanup_close_ int sfd = open_dirs_at(fd, *sub);
                if (sfd < 0)
                        return fail("cannot create %s/%s: %s", dir, *sub, strerror(-sfd));
        }
        printf("%s is a channel.\n", dir);
        return EXIT_OK;
}

static int read_input(const char *path, size_t max, const char *what, GBytes **ret) {
        int r = read_file_at(AT_FDCWD, path, max, ret);

        if (r == -EFBIG)
                return fail("%s %s is larger than %zu bytes", what, path, max);
        if (r < 0)
                return fail("cannot read %s %s: %s", what, path, strerror(-r));
        return EXIT_OK;
}

static void set_artifact(ChannelArtifact *a, const char *path, GBytes *data) {
        gsize size;
        const void *p = g_bytes_get_data(data, &size);

        a->path = g_strdup(path);
        a->size = size;
        sha256_hex(p, size, a->sha256);
}

static bool same_artifact(const ChannelArtifact *a, GBytes *data) {
        gsize size;
        const void *p = g_bytes_get_data(data, &size);
        char hex[SHA256_HEX_LEN + 1];

        sha256_hex(p, size, hex);
        return a->size == size && g_str_equal(a->sha256, hex);
}

static int add_one(Channel *ch, const TrustPolicy *policy, const char *manifest_path) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) manifest = NULL, sig = NULL, module = NULL;
        g_autoptr(Manifest) m = NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *signer = NULL, *sig_path = g_strconcat(manifest_path, ".p7s", NULL);
        g_autofree char *dir = g_path_get_dirname(manifest_path);
        char hex[SHA256_HEX_LEN + 1];
        gsize msize, ssize, modsize;
        int r;

        if ((r = read_input(manifest_path, MANIFEST_MAX_SIZE, "manifest", &manifest)) != EXIT_OK ||
            (r = read_input(sig_path, SIGNATURE_MAX_SIZE, "signature", &sig)) != EXIT_OK)
                return r;
        const void *md = g_bytes_get_data(manifest, &msize);
        const void *sd = g_bytes_get_data(sig, &ssize);

        /* Checked as lpmaintd will check them: a channel holds nothing a host would refuse. */
        if (signature_verify(policy, md, msize, sd, ssize, &signer, &error) < 0 ||
            manifest_parse(md, msize, &m, &error) < 0 ||
            manifest_check_time(m, ch->now_usec, &error) < 0)
                return fail_bus(manifest_path, &error);
        if (!channel_release_is_valid(m->kernel_release))
                return fail("%s: kernel release %s cannot name a directory", manifest_path, m->kernel_release);

        g_autofree char *module_path = g_build_filename(dir, m->module, NULL);
        if ((r = read_input(module_path, CHANNEL_MODULE_MAX_SIZE, "module", &module)) != EXIT_OK)
                return r;
        const void *modp = g_bytes_get_data(module, &modsize);
        sha256_hex(modp, modsize, hex);
        if (!g_str_equal(hex, m->module_sha256))
                return fail("%s: %s: module %s has SHA-256 %s, the manifest names %s", manifest_path,
                            LPMAINT_ERROR_DIGEST_MISMATCH, module_path, hex, m->module_sha256);

        r = load_index(ch, m->kernel_release, false, &idx);
        if (r != EXIT_OK)
                return r;
        if (channel_index_find_recall(idx, m->name, m->version))
                return fail("%s %s for kernel %s is recalled: publish a new version", m->name, m->version, m->kernel_release);
        ChannelPatch *listed = channel_index_find_patch(idx, m->name, m->version);
        if (listed) {
                /* Published files never change: the same ones again are a repeat, others a mistake. */
                if (same_artifact(&listed->manifest, manifest) && same_artifact(&listed->signature, sig) &&
                    same_artifact(&listed->module, module)) {
                        printf("%s %s for kernel %s is published already.\n", m->name, m->version, m->kernel_release);
                        return EXIT_OK;
                }
                return fail("%s %s for kernel %s is published already with other files: publish a new version",
                            m->name, m->version, m->kernel_release);
        }
        if (idx->patches->len >= CHANNEL_MAX_PATCHES)
                return fail("kernel %s's index lists %d patch versions already", m->kernel_release, CHANNEL_MAX_PATCHES);

        g_autofree char *base = g_strconcat("patches/", m->kernel_release, "/", m->name, "/", m->version, "/", NULL);
        g_autofree char *p_manifest = g_strconcat(base, m->name, ".manifest", NULL);
        g_autofree char *p_sig = g_strconcat(base, m->name, ".manifest.p7s", NULL);
        g_autofree char *p_module = g_strconcat(base, m->module, NULL);
        g_autoptr(ChannelPatch) p = channel_patch_new(m->name, m->version);
        p->replace = m->replace;
        p->added_in = idx->serial + 1;
        set_artifact(&p->manifest, p_manifest, manifest);
        set_artifact(&p->signature, p_sig, sig);
        set_artifact(&p->module, p_module, module);

        /* The files first: no index names them yet, so writing over what an
         * interrupted run left there is safe. */
        if ((r = write_at(ch->root_fd, p_module, modp, modsize)) < 0 ||
            (r = write_at(ch->root_fd, p_sig, sd, ssize)) < 0 ||
            (r = write_at(ch->root_fd, p_manifest, md, msize)) < 0)
                return fail("cannot write %s: %s", base, strerror(-r));

        g_assert(channel_index_add_patch(idx, p) == 0);
        p = NULL;
        printf("Adding %s %s for kernel %s, signed by %s.\n", m->name, m->version, m->kernel_release, signer);
        return publish(ch, idx);
}

static int verb_add(Channel *ch, char **manifests, int n) {
        if (n < 1)
                return usage("add takes one or more MANIFEST files");
        if (!arg_trust.trust_dir)
                return usage("add needs --trust-dir: patches are checked before they are published");
        TrustPolicy policy = trust_options_patch_policy(&arg_trust);
        for (int i = 0; i < n; i++) {
                int r = add_one(ch, &policy, manifests[i]);
                if (r != EXIT_OK)
                        return r;
        }
        return EXIT_OK;
}

/* What a change did to one kernel's index; a failure is -1, its message printed. */
enum {
        CHANGE_NOT_LISTED,      /* the index does not list what the change is about */
        CHANGE_NONE,            /* listed, and as the change would have it already */
        CHANGE_PUBLISH,         /* changed: publish it */
};

typedef int (*IndexChange)(Channel *ch, ChannelIndex *idx, char **args, int n);

/* Makes @change to every kernel's index (or --kernel's) and publishes each it
 * changed. *@ret_listed: how many listed what the change is about. */
static int change_indexes(Channel *ch, IndexChange change, char **args, int n, unsigned *ret_listed) {
        g_autoptr(GPtrArray) releases = NULL;
        unsigned listed = 0;
        int r = list_kernels(ch, &releases);

        if (r != EXIT_OK)
                return r;
        for (guint i = 0; i < releases->len; i++) {
                g_autoptr(ChannelIndex) idx = NULL;

                r = load_index(ch, releases->pdata[i], true, &idx);
                if (r != EXIT_OK)
                        return r;
                r = change(ch, idx, args, n);
                if (r < 0)
                        return EXIT_FAILED;
                listed += r != CHANGE_NOT_LISTED;
                if (r == CHANGE_PUBLISH && (r = publish(ch, idx)) != EXIT_OK)
                        return r;
        }
        *ret_listed = listed;
        return EXIT_OK;
}

static int promote_one(Channel *ch, ChannelIndex *idx, char **args, int n) {
        ChannelPatch *p = n == 2 ? channel_index_find_patch(idx, args[0], args[1]) : channel_index_newest_patch(idx, args[0]);
        uint64_t at = arg_at_usec ?: ch->now_usec, was = UINT64_MAX; /* not promoted to this ring */

        if (!p)
                return CHANGE_NOT_LISTED;
        if (channel_index_find_recall(idx, p->name, p->version))
                return fail("%s %s for kernel %s is recalled and cannot be promoted", p->name, p->version, idx->kernel), -1;
        for (guint j = 0; j < p->promotions->len; j++) {
                const ChannelPromotion *pr = p->promotions->pdata[j];
                if (g_str_equal(pr->ring, arg_ring))
                        was = pr->usec;
        }
        if (was == at) {
                printf("%s %s for kernel %s is promoted to %s at that time already.\n", p->name, p->version, idx->kernel, arg_ring);
                return CHANGE_NONE;
        }
        if (was == UINT64_MAX && p->promotions->len >= CHANNEL_MAX_PROMOTIONS)
                return fail("%s %s is promoted to %d rings already", p->name, p->version, CHANNEL_MAX_PROMOTIONS), -1;
        channel_patch_promote(p, arg_ring, at);
        g_autofree char *when = format_timestamp_utc(at);
        printf("Promoting %s %s for kernel %s to ring %s at %s.\n", p->name, p->version, idx->kernel, arg_ring, when);
        return CHANGE_PUBLISH;
}

static int verb_promote(Channel *ch, char **args, int n) {
        unsigned listed = 0;
        int r;

        if (n < 1 || n > 2)
                return usage("promote takes NAME [VERSION]");
        if (!arg_ring)
                return usage("promote needs --ring");
        if (!g_str_equal(arg_ring, CHANNEL_RING_ALL) && !ring_name_is_valid(arg_ring))
                return usage("--ring takes a ring name (1-32 characters of A-Z a-z 0-9 - _) or '*'");
        r = change_indexes(ch, promote_one, args, n, &listed);
        if (r == EXIT_OK && listed == 0)
                return fail("%s: %s%s%s is not published%s%s", LPMAINT_ERROR_NO_SUCH_PATCH, args[0], n == 2 ? " " : "", n == 2 ? args[1] : "",
                            arg_kernel ? " for kernel " : "", arg_kernel ?: "");
        return r;
}

static int recall_one(Channel *ch, ChannelIndex *idx, char **args, int n) {
        /* Without --kernel, only where it is listed; with it, also a version
         * that came to hosts another way. */
        if (!arg_kernel && !channel_index_find_patch(idx, args[0], args[1]))
                return CHANGE_NOT_LISTED;
        if (channel_index_find_recall(idx, args[0], args[1])) {
                printf("%s %s for kernel %s is recalled already.\n", args[0], args[1], idx->kernel);
                return CHANGE_NONE;
        }
        if (idx->recalls->len >= CHANNEL_MAX_RECALLS)
                return fail("kernel %s's index lists %d recalls already", idx->kernel, CHANNEL_MAX_RECALLS), -1;
        channel_index_add_recall(idx, args[0], args[1], arg_reason, ch->now_usec);
        printf("Recalling %s %s for kernel %s.\n", args[0], args[1], idx->kernel);
        return CHANGE_PUBLISH;
}

static int verb_recall(Channel *ch, char **args, int n) {
        unsigned listed = 0;
        int r;

        if (n != 2)
                return usage("recall takes NAME VERSION");
        if (!patch_name_is_valid(args[0]) || !version_is_valid(args[1]))
                return usage("recall takes a patch name and a Debian version");
        if (!arg_reason || !arg_reason[0] || !string_is_printable(arg_reason, CHANNEL_REASON_MAX))
                return usage("recall needs --reason: one line of printable text, at most 1024 bytes");
        r = change_indexes(ch, recall_one, args, n, &listed);
        if (r == EXIT_OK && listed == 0)
                return fail("%s: %s %s is not published (name the kernel with --kernel to recall it anyway)",
                            LPMAINT_ERROR_NO_SUCH_PATCH, args[0], args[1]);
        return r;
}

static int resign_one(Channel *ch, ChannelIndex *idx, char **args, int n) {
        return CHANGE_PUBLISH;
}

static int verb_resign(Channel *ch) {
        unsigned listed = 0;
        int r = change_indexes(ch, resign_one, NULL, 0, &listed);

        if (r == EXIT_OK && listed == 0)
                printf("No kernel has an index.\n");
        return r;
}

static int verb_deb(Channel *ch, char **args, int n) {
        g_autoptr(ChannelIndex) idx = NULL;
        g_autoptr(GBytes) data = NULL, sig = NULL;
        int r;

        if (n != 1 || !channel_release_is_valid(args[0]))
                return usage("deb takes one kernel RELEASE");
        r = load_index_full(ch, args[0], true, &idx, &data, &sig);
        if (r != EXIT_OK)
                return r;
        if (!sig)
                return fail("%s: %s: the published index has no signature", args[0], LPMAINT_ERROR_UNSIGNED);
        g_autoptr(GError) error = NULL;
        if (channel_deb_build(&arg_deb, ch->root_fd, idx, data, sig, &error) < 0)
                return fail("%s", error->message);
        return EXIT_OK;
}

static int verb_verify(void) {
        if (!arg_trust.trust_dir)
                return usage("verify needs --trust-dir");
        if (arg_trust.index_signers->len <= 1)
                return usage("verify needs --index-signer: indexes are signed by named signers");
        TrustPolicy index_policy = trust_options_index_policy(&arg_trust);
        TrustPolicy patch_policy = trust_options_patch_policy(&arg_trust);
        ChannelCheckOptions o = {
                .index_policy = &index_policy,
                .patch_policy = &patch_policy,
                .kernel = arg_kernel,
                .now_usec = now_realtime_usec(),
        };
        int r = channel_check_dir(arg_channel, &o, stdout, stderr);
        if (r < 0)
                return fail("%s is not a channel: %s", arg_channel, strerror(-r));
        if (r > 0)
                return fail("%s: %d check(s) failed", arg_channel, r);
        printf("%s verifies.\n", arg_channel);
        return EXIT_OK;
}

/* --- Options ------------------------------------------------------------- */

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_KEY = 0x100, ARG_CERT, ARG_CHAIN, ARG_VALID_DAYS, ARG_KERNEL, ARG_RING, ARG_AT, ARG_REASON,
                ARG_OUTPUT_DIR, ARG_INSTALL_DIR, ARG_ARCHITECTURE, ARG_MAINTAINER,
        };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h'                 },
                { "channel",         required_argument, NULL, 'C'                 },
                { "key",             required_argument, NULL, ARG_KEY             },
                { "cert",            required_argument, NULL, ARG_CERT            },
                { "chain",           required_argument, NULL, ARG_CHAIN           },
                { "valid-days",      required_argument, NULL, ARG_VALID_DAYS      },
                { "kernel",          required_argument, NULL, ARG_KERNEL          },
                { "ring",            required_argument, NULL, ARG_RING            },
                { "at",              required_argument, NULL, ARG_AT              },
                { "reason",          required_argument, NULL, ARG_REASON          },
                { "output-dir",      required_argument, NULL, ARG_OUTPUT_DIR      },
                { "install-dir",     required_argument, NULL, ARG_INSTALL_DIR     },
                { "architecture",    required_argument, NULL, ARG_ARCHITECTURE    },
                { "maintainer",      required_argument, NULL, ARG_MAINTAINER      },
                TRUST_OPTIONS,
                {}
        };
        uint64_t days;
        int c;

        while ((c = getopt_long(argc, argv, "hC:", options, NULL)) >= 0) {
                int r = trust_options_parse(&arg_trust, c, optarg);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        exit(EXIT_OK);
                case 'C':
                        arg_channel = optarg;
                        break;
                case ARG_KEY:
                        arg_key = optarg;
                        break;
                case ARG_CERT:
                        arg_cert = optarg;
                        break;
                case ARG_CHAIN:
                        arg_chain = optarg;
                        break;
                case ARG_VALID_DAYS:
                        if (strspn(optarg, "0123456789") != strlen(optarg) || strlen(optarg) > 3 ||
                            (days = g_ascii_strtoull(optarg, NULL, 10)) < 1 || days > VALID_DAYS_MAX)
                                return usage("--valid-days takes a number of days from 1 to 366");
                        arg_valid_days = (unsigned) days;
                        break;
                case ARG_KERNEL:
                        if (!channel_release_is_valid(optarg))
                                return usage("--kernel takes a kernel release (uname -r)");
                        arg_kernel = optarg;
                        break;
                case ARG_RING:
                        arg_ring = optarg;
                        break;
                case ARG_AT:
                        if (parse_timestamp_utc(optarg, &arg_at_usec) < 0)
                                return usage("--at takes a time such as 2026-11-23T10:00:00Z");
                        break;
                case ARG_REASON:
                        arg_reason = optarg;
                        break;
                case ARG_OUTPUT_DIR:
                        arg_deb.output_dir = optarg;
                        break;
                case ARG_INSTALL_DIR:
                        arg_deb.install_dir = optarg;
                        break;
                case ARG_ARCHITECTURE:
                        arg_deb.architecture = optarg;
                        break;
                case ARG_MAINTAINER:
                        arg_deb.maintainer = optarg;
                        break;
                case '?':
                        return EXIT_USAGE;
                default:
                        g_assert_not_reached();
                }
        }
        return EXIT_OK;
}

static int run(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r != EXIT_OK)
                return r;
        if (optind >= argc)
                return usage("a command is required");
        const char *verb = argv[optind];
        char **args = argv + optind + 1;
        int n = argc - optind - 1;

        if (g_str_equal(verb, "init"))
                return n == 1 ? verb_init(args[0]) : usage("init takes one DIR");

        static const char *const verbs[] = { "add", "promote", "recall", "resign", "verify", "deb", NULL };
        if (!g_strv_contains(verbs, verb))
                return usage("unknown command");
        if ((g_str_equal(verb, "resign") || g_str_equal(verb, "verify")) && n != 0)
                return usage("this command takes no arguments");

        if (g_str_equal(verb, "verify"))
                return verb_verify();
        if (g_str_equal(verb, "deb")) {
                Channel reader = { .now_usec = now_realtime_usec() };
                _cleanup_close_ int fd = open_directory_at(AT_FDCWD, arg_channel);
                if (fd < 0)
                        return fail("cannot open the channel %s: %s", arg_channel, strerror(-fd));
                reader.root_fd = fd;
                return verb_deb(&reader, args, n);
        }

        Channel ch = { .now_usec = now_realtime_usec() };
        _cleanup_close_ int root_fd = open_directory_at(AT_FDCWD, arg_channel);
        if (root_fd < 0)
                return fail("cannot open the channel %s: %s", arg_channel, strerror(-root_fd));
        ch.root_fd = root_fd;

        /* One publisher at a time: each change reads the serial it raises. */
        if (flock(root_fd, LOCK_EX | LOCK_NB) < 0)
                return fail("another %s is changing %s", program_invocation_short_name, arg_channel);
        r = load_signer(&ch.signer);
        if (r == EXIT_OK) {
                if (g_str_equal(verb, "add"))
                        r = verb_add(&ch, args, n);
                else if (g_str_equal(verb, "promote"))
                        r = verb_promote(&ch, args, n);
                else if (g_str_equal(verb, "recall"))
                        r = verb_recall(&ch, args, n);
                else
                        r = verb_resign(&ch);
        }
        signer_clear(&ch.signer);
        return r;
}

int main(int argc, char *argv[]) {
        trust_options_init(&arg_trust, NULL);
        int r = run(argc, argv);
        trust_options_done(&arg_trust);
        return r;
}
