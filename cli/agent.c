/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

/* Waits until the agent writes to the notify pipe (it has registered with
 * polkit) or closes it (it exited, and will not help; go on without it). */
static int wait_for_agent(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        for (;;) {
                if (poll(&p, 1, -1) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

int polkit_agent_open(pid_t *ret) {
        _cleanup_close_ int read_fd = -EBADF, write_fd = -EBADF;
        char notify_arg[16], process_arg[16];
        int fds[2], r;
        pid_t parent, pid;

        *ret = 0;

        /* The agent asks on the terminal; without one it could only hang. */
        if (!isatty(STDIN_FILENO))
                return 0;
        if (access(PKTTYAGENT_PATH, X_OK) < 0)
                return 0;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        read_fd = fds[0];
        write_fd = fds[1];

        /* Everything the child needs is prepared here: between fork() and
         * exec only async-signal-safe calls are allowed. */
        parent = getpid();
        (void) snprintf(notify_arg, sizeof notify_arg, "%d", write_fd);
        (void) snprintf(process_arg, sizeof process_arg, "%d", (int) parent);

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char *argv[] = {
                        (char *) PKTTYAGENT_PATH,
                        (char *) "--notify-fd", notify_arg,
                        (char *) "--fallback",
                        (char *) "--process", process_arg,
                        NULL,
                };

                /* Do not outlive us if we are killed before we can clean up. */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                /* Only the notify end is inherited. */
                if (fcntl(write_fd, F_SETFD, 0) < 0)
                        _exit(EXIT_FAILURE);
                execv(argv[0], argv);
                _exit(EXIT_FAILURE);
        }

        /* Keep only the child's copy of the write end, so its exit shows as HUP. */
        (void) close(write_fd);
        write_fd = -EBADF;

        r = wait_for_agent(read_fd);
        if (r < 0) {
                polkit_agent_close(pid);
                return r;
        }

        *ret = pid;
        return 0;
}

void polkit_agent_close(pid_t pid) {
        if (pid <= 0)
                return;

        (void) kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}
