/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault-shim: an LD_PRELOAD library for the fault matrix (tests/faults/run).
 *
 * It sees the file-changing libc calls a program makes under one directory
 * (its state directory) and either logs them (trace) or makes one of them
 * fail (inject). A point is named by (call, path, occurrence): the path is
 * relative to the directory with the random part of a temporary name
 * replaced by XXXXXX (a rename or link is named by its new name), the
 * occurrence counts that call on that path from 1.
 * Named so, a point stays the same when timers reorder unrelated calls.
 *
 * Environment (read once, at load):
 *   LPMAINT_FAULT_PREFIX   the directory (absolute); nothing happens without it
 *   LPMAINT_FAULT_LOG      a file outside it to append the log to
 *   LPMAINT_FAULT_PROGRAM  the basename of the executable to act in (default
 *                          lpmaintd): others (a shell, busctl) load the shim
 *                          through the environment and stay untouched, and so
 *                          does a forked child
 *   LPMAINT_FAULT_ARM      a file: calls count from the first one that finds it
 *                          there (optional; without it, from the start)
 *   LPMAINT_FAULT_POINT    "CALL PATH OCCURRENCE": inject at this point (else trace)
 *   LPMAINT_FAULT_ACTION   kill (SIGKILL on entry), eio, enospc (fail with that
 *                          errno, doing nothing), short (write half the bytes
 *                          and say so), torn (write half the bytes, then SIGKILL)
 *
 * Log lines, tab-separated: "call CALL PATH OCC" for each call seen once armed,
 * "fired ACTION CALL PATH OCC" just before an injection takes effect.
 *
 * glibc's own internal calls (fopen's open, for instance) cannot be
 * interposed; the shim sees what a program or another library (GLib's
 * g_mkstemp_full, g_mkdtemp_full, g_file_set_contents) calls through the PLT.
 */
/* The shim defines open(), open64() and the rest by their own names: no
 * large-file renaming and no fortify inlines of them in this file. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_KEYS 4096

enum action {
        ACTION_NONE,
        ACTION_KILL,
        ACTION_EIO,
        ACTION_ENOSPC,
        ACTION_SHORT,
        ACTION_TORN,
};

static struct {
        bool enabled;
        pid_t pid;
        char prefix[PATH_MAX];
        size_t prefix_len;
        int log_fd;
        char arm[PATH_MAX];
        bool armed;
        bool inject;
        bool fired;
        char point_call[64];
        char point_path[PATH_MAX];
        unsigned point_occ;
        enum action action;
} shim = { .log_fd = -1 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        char *key;
        unsigned count;
} keys[MAX_KEYS];
static size_t n_keys;

/* The shim's own reentrancy guard: its helpers never come back here. */
static __thread int busy;

static void raw_log(const char *s) {
        size_t n = strlen(s);

        if (shim.log_fd < 0)
                return;
        while (n > 0) {
                ssize_t k = syscall(SYS_write, shim.log_fd, s, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                s += k;
                n -= (size_t) k;
        }
}

__attribute__((noreturn)) static void die_now(void) {
        syscall(SYS_kill, (pid_t) syscall(SYS_getpid), SIGKILL);
        for (;;)
                pause();
}

__attribute__((constructor)) static void shim_init(void) {
        const char *prefix = getenv("LPMAINT_FAULT_PREFIX");
        const char *program = getenv("LPMAINT_FAULT_PROGRAM");
        const char *log = getenv("LPMAINT_FAULT_LOG");
        const char *arm = getenv("LPMAINT_FAULT_ARM");
        const char *point = getenv("LPMAINT_FAULT_POINT");
        const char *action = getenv("LPMAINT_FAULT_ACTION");
        char exe[PATH_MAX];
        ssize_t n;

        if (!prefix || prefix[0] != '/' || strlen(prefix) >= sizeof(shim.prefix))
                return;
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0)
                return;
        exe[n] = '\0';
        const char *base = strrchr(exe, '/');
        base = base ? base + 1 : exe;
        if (strcmp(base, program && *program ? program : "lpmaintd") != 0)
                return;

        strcpy(shim.prefix, prefix);
        shim.prefix_len = strlen(prefix);
        while (shim.prefix_len > 1 && shim.prefix[shim.prefix_len - 1] == '/')
                shim.prefix[--shim.prefix_len] = '\0';
        if (log && *log) {
                int fd = (int) syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        /* Out of the way of the low descriptors a daemon may count on. */
                        int high = fcntl(fd, F_DUPFD_CLOEXEC, 500);
                        if (high >= 0) {
                                syscall(SYS_close, fd);
                                fd = high;
                        }
                        shim.log_fd = fd;
                }
        }
        if (arm && *arm && strlen(arm) < sizeof(shim.arm))
                strcpy(shim.arm, arm);
        else
                shim.armed = true;

        if (point && *point) {
                char call[64], path[PATH_MAX];
                unsigned occ;

                if (sscanf(point, "%63s %4095s %u", call, path, &occ) != 3 || occ == 0) {
                        raw_log("error\tLPMAINT_FAULT_POINT is not CALL PATH OCCURRENCE\n");
                        return;
                }
                if (!action || strcmp(action, "kill") == 0)
                        shim.action = ACTION_KILL;
                else if (strcmp(action, "eio") == 0)
                        shim.action = ACTION_EIO;
                else if (strcmp(action, "enospc") == 0)
                        shim.action = ACTION_ENOSPC;
                else if (strcmp(action, "short") == 0)
                        shim.action = ACTION_SHORT;
                else if (strcmp(action, "torn") == 0)
                        shim.action = ACTION_TORN;
                else {
                        raw_log("error\tLPMAINT_FAULT_ACTION is not kill, eio, enospc, short or torn\n");
                        return;
                }
                strcpy(shim.point_call, call);
                strcpy(shim.point_path, path);
                shim.point_occ = occ;
                shim.inject = true;
        }
        shim.pid = (pid_t) syscall(SYS_getpid);
        shim.enabled = true;
}

static bool active(void) {
        return shim.enabled && !busy && (pid_t) syscall(SYS_getpid) == shim.pid;
}

/* A component that starts with '.' and ends in six characters after '.' or '-'
 * is a temporary name (mkstemp, mkdtemp): its random part is not part of the point. */
static void normalize_component(char *c, size_t len) {
        if (len < 8 || c[0] != '.')
                return;
        char sep = c[len - 7];
        if (sep != '.' && sep != '-')
                return;
        for (size_t i = len - 6; i < len; i++)
                if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9')))
                        return;
        memcpy(c + len - 6, "XXXXXX", 6);
}

/* Absolute @abs under the prefix: its normalized relative path in @ret ("." for the prefix itself). */
static bool relative(const char *abs, char *ret, size_t size) {
        if (strncmp(abs, shim.prefix, shim.prefix_len) != 0)
                return false;
        const char *rest = abs + shim.prefix_len;
        if (*rest == '\0')
                rest = ".";
        else if (*rest == '/')
                rest++;
        else
                return false;
        if (strlen(rest) >= size)
                return false;
        strcpy(ret, *rest ? rest : ".");

        char *c = ret;
        for (;;) {
                char *slash = strchr(c, '/');
                size_t len = slash ? (size_t) (slash - c) : strlen(c);
                normalize_component(c, len);
                if (!slash)
                        break;
                c = slash + 1;
        }
        return true;
}

static bool fd_path(int fd, char *ret, size_t size) {
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, ret, size - 1);
        if (n < 0)
                return false;
        ret[n] = '\0';
        return true;
}

/* @path as the call sees it, relative to @dirfd, made absolute (lexically; no links followed). */
static bool resolve(int dirfd, const char *path, char *ret, size_t size) {
        char base[PATH_MAX];

        if (!path)
                return false;
        if (path[0] == '/') {
                if (strlen(path) >= size)
                        return false;
                strcpy(ret, path);
        } else {
                if (dirfd == AT_FDCWD) {
                        if (!getcwd(base, sizeof(base)))
                                return false;
                } else if (!fd_path(dirfd, base, sizeof(base)))
                        return false;
                if ((size_t) snprintf(ret, size, "%s/%s", base, path) >= size)
                        return false;
        }
        /* Drop "./" components and a trailing "/" so that one file has one name. */
        char *p;
        while ((p = strstr(ret, "/./")))
                memmove(p, p + 2, strlen(p + 2) + 1);
        size_t len = strlen(ret);
        if (len >= 2 && strcmp(ret + len - 2, "/.") == 0)
                ret[len -= 2] = '\0';
        while (len > 1 && ret[len - 1] == '/')
                ret[--len] = '\0';
        return true;
}

static bool arm_check(void) {
        if (shim.armed)
                return true;
        if (syscall(SYS_faccessat, AT_FDCWD, shim.arm, F_OK) == 0)
                shim.armed = true;
        return shim.armed;
}

/* Counts the call and decides: ACTION_NONE, or what to do to this one. */
static enum action note(const char *call, const char *rel) {
        char key[PATH_MAX + 80], line[PATH_MAX + 160];
        unsigned occ = 0;
        enum action a = ACTION_NONE;

        pthread_mutex_lock(&lock);
        if (!arm_check()) {
                pthread_mutex_unlock(&lock);
                return ACTION_NONE;
        }
        snprintf(key, sizeof(key), "%s %s", call, rel);
        for (size_t i = 0; i < n_keys; i++)
                if (strcmp(keys[i].key, key) == 0) {
                        occ = ++keys[i].count;
                        break;
                }
        if (occ == 0 && n_keys < MAX_KEYS) {
                keys[n_keys].key = strdup(key);
                if (keys[n_keys].key) {
                        keys[n_keys].count = occ = 1;
                        n_keys++;
                }
        }
        snprintf(line, sizeof(line), "call\t%s\t%s\t%u\n", call, rel, occ);
        raw_log(line);
        if (shim.inject && !shim.fired && occ == shim.point_occ &&
            strcmp(call, shim.point_call) == 0 && strcmp(rel, shim.point_path) == 0) {
                static const char *const names[] = {
                        [ACTION_KILL] = "kill", [ACTION_EIO] = "eio", [ACTION_ENOSPC] = "enospc",
                        [ACTION_SHORT] = "short", [ACTION_TORN] = "torn",
                };
                shim.fired = true;
                a = shim.action;
                snprintf(line, sizeof(line), "fired\t%s\t%s\t%s\t%u\n", names[a], call, rel, occ);
                raw_log(line);
        }
        pthread_mutex_unlock(&lock);
        return a;
}

static enum action note_path(const char *call, int dirfd, const char *path) {
        char abs[PATH_MAX], rel[PATH_MAX];
        enum action a = ACTION_NONE;

        if (!active())
                return ACTION_NONE;
        busy++;
        if (resolve(dirfd, path, abs, sizeof(abs)) && relative(abs, rel, sizeof(rel)))
                a = note(call, rel);
        busy--;
        return a;
}

static enum action note_fd(const char *call, int fd) {
        char abs[PATH_MAX], rel[PATH_MAX];
        enum action a = ACTION_NONE;

        if (!active() || fd < 0 || fd == shim.log_fd)
                return ACTION_NONE;
        busy++;
        if (fd_path(fd, abs, sizeof(abs))) {
                /* A file unlinked while open still names where it was. */
                size_t len = strlen(abs);
                if (len > 10 && strcmp(abs + len - 10, " (deleted)") == 0)
                        abs[len - 10] = '\0';
                if (abs[0] == '/' && relative(abs, rel, sizeof(rel)))
                        a = note(call, rel);
        }
        busy--;
        return a;
}

/* The common part of an injection: kill, or set errno and say to fail. Short
 * and torn writes are the write calls' own; elsewhere they fail with EIO. */
static bool fail(enum action a) {
        switch (a) {
        case ACTION_NONE:
                return false;
        case ACTION_KILL:
                die_now();
                return true;
        case ACTION_ENOSPC:
                errno = ENOSPC;
                return true;
        case ACTION_EIO:
        case ACTION_SHORT:
        case ACTION_TORN:
        default:
                errno = EIO;
                return true;
        }
}

#define REAL(name) \
        static __typeof__(name) *real_##name; \
        if (!real_##name) \
                real_##name = (__typeof__(name) *) dlsym(RTLD_NEXT, #name)

static bool open_changes(int flags) {
        return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

static bool open_has_mode(int flags) {
        return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

/* ---- open ---- */

#define OPEN_WRAPPER(name)                                                      \
        int name(const char *path, int flags, ...) {                            \
                mode_t mode = 0;                                                \
                if (open_has_mode(flags)) {                                     \
                        va_list ap;                                             \
                        va_start(ap, flags);                                    \
                        mode = va_arg(ap, mode_t);                              \
                        va_end(ap);                                             \
                }                                                               \
                if (open_changes(flags) && fail(note_path("open", AT_FDCWD, path))) \
                        return -1;                                              \
                REAL(name);                                                     \
                return real_##name(path, flags, mode);                          \
        }

#define OPENAT_WRAPPER(name)                                                    \
        int name(int dirfd, const char *path, int flags, ...) {                 \
                mode_t mode = 0;                                                \
                if (open_has_mode(flags)) {                                     \
                        va_list ap;                                             \
                        va_start(ap, flags);                                    \
                        mode = va_arg(ap, mode_t);                              \
                        va_end(ap);                                             \
                }                                                               \
                if (open_changes(flags) && fail(note_path("open", dirfd, path))) \
                        return -1;                                              \
                REAL(name);                                                     \
                return real_##name(dirfd, path, flags, mode);                   \
        }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* _FORTIFY_SOURCE's checked variants: no mode (the flags cannot create). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags) {
        if (open_changes(flags) && fail(note_path("open", AT_FDCWD, path)))
                return -1;
        REAL(__open_2);
        return real___open_2(path, flags);
}

int __open64_2(const char *path, int flags) {
        if (open_changes(flags) && fail(note_path("open", AT_FDCWD, path)))
                return -1;
        REAL(__open64_2);
        return real___open64_2(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags) {
        if (open_changes(flags) && fail(note_path("open", dirfd, path)))
                return -1;
        REAL(__openat_2);
        return real___openat_2(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) {
        if (open_changes(flags) && fail(note_path("open", dirfd, path)))
                return -1;
        REAL(__openat64_2);
        return real___openat64_2(dirfd, path, flags);
}

int creat(const char *path, mode_t mode) {
        if (fail(note_path("open", AT_FDCWD, path)))
                return -1;
        REAL(creat);
        return real_creat(path, mode);
}

int creat64(const char *path, mode_t mode) {
        if (fail(note_path("open", AT_FDCWD, path)))
                return -1;
        REAL(creat64);
        return real_creat64(path, mode);
}

/* ---- writes ---- */

/* A short or torn write: half the bytes (at least one), then the short count or death. */
static size_t half(size_t n) {
        return n > 1 ? n / 2 : n;
}

ssize_t write(int fd, const void *buf, size_t n) {
        enum action a = note_fd("write", fd);
        REAL(write);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                ssize_t k = real_write(fd, buf, half(n));
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
        enum action a = note_fd("write", fd);
        REAL(pwrite);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                ssize_t k = real_pwrite(fd, buf, half(n), offset);
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_pwrite(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
        enum action a = note_fd("write", fd);
        REAL(pwrite64);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                ssize_t k = real_pwrite64(fd, buf, half(n), offset);
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_pwrite64(fd, buf, n, offset);
}

/* The first half of an iovec array's bytes, in @out (at most @max entries). */
static int iov_half(const struct iovec *iov, int cnt, struct iovec *out, int max) {
        size_t total = 0, want;
        int n = 0;

        for (int i = 0; i < cnt; i++)
                total += iov[i].iov_len;
        want = half(total);
        for (int i = 0; i < cnt && want > 0 && n < max; i++) {
                out[n] = iov[i];
                if (out[n].iov_len > want)
                        out[n].iov_len = want;
                want -= out[n].iov_len;
                n++;
        }
        return n;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
        enum action a = note_fd("write", fd);
        REAL(writev);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                struct iovec part[64];
                ssize_t k = real_writev(fd, part, iov_half(iov, cnt, part, 64));
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t offset) {
        enum action a = note_fd("write", fd);
        REAL(pwritev);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                struct iovec part[64];
                ssize_t k = real_pwritev(fd, part, iov_half(iov, cnt, part, 64), offset);
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_pwritev(fd, iov, cnt, offset);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t offset) {
        enum action a = note_fd("write", fd);
        REAL(pwritev64);
        if (a == ACTION_SHORT || a == ACTION_TORN) {
                struct iovec part[64];
                ssize_t k = real_pwritev64(fd, part, iov_half(iov, cnt, part, 64), offset);
                if (a == ACTION_TORN)
                        die_now();
                return k;
        }
        if (fail(a))
                return -1;
        return real_pwritev64(fd, iov, cnt, offset);
}

/* ---- descriptors ---- */

int fsync(int fd) {
        if (fail(note_fd("fsync", fd)))
                return -1;
        REAL(fsync);
        return real_fsync(fd);
}

int fdatasync(int fd) {
        if (fail(note_fd("fdatasync", fd)))
                return -1;
        REAL(fdatasync);
        return real_fdatasync(fd);
}

int ftruncate(int fd, off_t length) {
        if (fail(note_fd("ftruncate", fd)))
                return -1;
        REAL(ftruncate);
        return real_ftruncate(fd, length);
}

int ftruncate64(int fd, off64_t length) {
        if (fail(note_fd("ftruncate", fd)))
                return -1;
        REAL(ftruncate64);
        return real_ftruncate64(fd, length);
}

int fchmod(int fd, mode_t mode) {
        if (fail(note_fd("fchmod", fd)))
                return -1;
        REAL(fchmod);
        return real_fchmod(fd, mode);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
        if (fail(note_fd("fallocate", fd)))
                return -1;
        REAL(fallocate);
        return real_fallocate(fd, mode, offset, len);
}

int posix_fallocate(int fd, off_t offset, off_t len) {
        enum action a = note_fd("fallocate", fd);
        if (a != ACTION_NONE) {
                if (a == ACTION_KILL)
                        die_now();
                return a == ACTION_ENOSPC ? ENOSPC : EIO; /* returns the error, errno untouched */
        }
        REAL(posix_fallocate);
        return real_posix_fallocate(fd, offset, len);
}

/* ---- names ---- */

int rename(const char *from, const char *to) {
        if (fail(note_path("rename", AT_FDCWD, to)))
                return -1;
        REAL(rename);
        return real_rename(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to) {
        if (fail(note_path("rename", tofd, to)))
                return -1;
        REAL(renameat);
        return real_renameat(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags) {
        if (fail(note_path("rename", tofd, to)))
                return -1;
        REAL(renameat2);
        return real_renameat2(fromfd, from, tofd, to, flags);
}

int link(const char *from, const char *to) {
        if (fail(note_path("link", AT_FDCWD, to)))
                return -1;
        REAL(link);
        return real_link(from, to);
}

int linkat(int fromfd, const char *from, int tofd, const char *to, int flags) {
        if (fail(note_path("link", tofd, to)))
                return -1;
        REAL(linkat);
        return real_linkat(fromfd, from, tofd, to, flags);
}

int symlink(const char *target, const char *path) {
        if (fail(note_path("symlink", AT_FDCWD, path)))
                return -1;
        REAL(symlink);
        return real_symlink(target, path);
}

int unlink(const char *path) {
        if (fail(note_path("unlink", AT_FDCWD, path)))
                return -1;
        REAL(unlink);
        return real_unlink(path);
}

int unlinkat(int dirfd, const char *path, int flags) {
        if (fail(note_path((flags & AT_REMOVEDIR) ? "rmdir" : "unlink", dirfd, path)))
                return -1;
        REAL(unlinkat);
        return real_unlinkat(dirfd, path, flags);
}

int rmdir(const char *path) {
        if (fail(note_path("rmdir", AT_FDCWD, path)))
                return -1;
        REAL(rmdir);
        return real_rmdir(path);
}

int mkdir(const char *path, mode_t mode) {
        if (fail(note_path("mkdir", AT_FDCWD, path)))
                return -1;
        REAL(mkdir);
        return real_mkdir(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode) {
        if (fail(note_path("mkdir", dirfd, path)))
                return -1;
        REAL(mkdirat);
        return real_mkdirat(dirfd, path, mode);
}

int truncate(const char *path, off_t length) {
        if (fail(note_path("truncate", AT_FDCWD, path)))
                return -1;
        REAL(truncate);
        return real_truncate(path, length);
}

int chmod(const char *path, mode_t mode) {
        if (fail(note_path("chmod", AT_FDCWD, path)))
                return -1;
        REAL(chmod);
        return real_chmod(path, mode);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags) {
        if (fail(note_path("chmod", dirfd, path)))
                return -1;
        REAL(fchmodat);
        return real_fchmodat(dirfd, path, mode, flags);
}
