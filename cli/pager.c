/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "color.h"
#include "macro.h"
#include "pager.h"
#include "terminal.h"

static pid_t pager_pid = 0;
static int saved_stdout = -1, saved_stderr = -1;

const char *pager_command(const char *systemd_pager, const char *pager, int *ret_explicit) {
        const char *p = systemd_pager ? systemd_pager : pager;

        *ret_explicit = p != NULL;
        if (p && (!*p || strcmp(p, "cat") == 0))
                return NULL;
        return p;
}

/* In the child: copies the pipe to the terminal when no pager could be run,
 * so that the output is not lost. */
_Noreturn static void copy_through(void) {
        char buf[4096];
        ssize_t n;

        while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
                for (ssize_t done = 0; n > 0 && done < n;) {
                        ssize_t k = write(STDOUT_FILENO, buf + done, (size_t) (n - done));
                        if (k < 0 && errno != EINTR)
                                _exit(EXIT_FAILURE);
                        done += k > 0 ? k : 0;
                }
        _exit(EXIT_SUCCESS);
}

_Noreturn static void run_pager(int read_fd, const char *cmd, bool explicit) {
        const char *less = getenv("SYSTEMD_LESS");

        if (dup2(read_fd, STDIN_FILENO) < 0)
                _exit(EXIT_FAILURE);
        (void) setenv("LESS", less ? less : "FRSXMK", 1);
        if (!getenv("LESSCHARSET") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
                (void) setenv("LESSCHARSET", "utf-8", 1);

        if (explicit) {
                /* A command line, as in the variable, or a program's name. */
                if (strpbrk(cmd, " \t'\"|;&<>$"))
                        execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                else
                        execlp(cmd, cmd, (char *) NULL);
        } else {
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
        }
        copy_through();
}

void pager_open(void) {
        const char *cmd;
        int fds[2], is_explicit;
        pid_t pid;

        if (pager_pid > 0)
                return;
        /* Decided on the terminal, before it is gone: paged text is
         * coloured and cut as on the terminal (less gets -R and -S). */
        (void) colors_enabled();
        (void) terminal_columns();
        if (!stdout_is_terminal())
                return;
        cmd = pager_command(getenv("SYSTEMD_PAGER"), getenv("PAGER"), &is_explicit);
        if (is_explicit && !cmd)
                return;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;

        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0)
                run_pager(fds[0], cmd, is_explicit);

        saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (isatty(STDERR_FILENO))
                saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (saved_stdout < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
            (saved_stderr >= 0 && dup2(fds[1], STDERR_FILENO) < 0)) {
                /* Output goes to the terminal as without a pager. */
                if (saved_stdout >= 0)
                        (void) dup2(saved_stdout, STDOUT_FILENO);
                close(fds[0]);
                close(fds[1]);
                (void) kill(pid, SIGTERM);
                (void) waitpid(pid, NULL, 0);
                if (saved_stdout >= 0)
                        close(saved_stdout);
                if (saved_stderr >= 0)
                        close(saved_stderr);
                saved_stdout = saved_stderr = -1;
                return;
        }
        close(fds[0]);
        close(fds[1]);
        pager_pid = pid;
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;

        fflush(stdout);
        fflush(stderr);
        /* Back to the terminal: the pipe's last write end closes, the pager
         * reads its end of the text. */
        if (saved_stdout >= 0)
                (void) dup2(saved_stdout, STDOUT_FILENO);
        if (saved_stderr >= 0)
                (void) dup2(saved_stderr, STDERR_FILENO);
        (void) kill(pager_pid, SIGCONT);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
        if (saved_stdout >= 0)
                close(saved_stdout);
        if (saved_stderr >= 0)
                close(saved_stderr);
        saved_stdout = saved_stderr = -1;
}
