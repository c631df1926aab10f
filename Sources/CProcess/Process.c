#include "CProcess.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

int charnn_signal_when_parent_ends(int signal, pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, signal) != 0) return getppid() == parent;
    return getppid() == parent;
}

pid_t charnn_end_launcher_unless_gone(pid_t launcher, int seconds) {
    pid_t watcher = fork();  // the child calls only async-signal-safe functions
    if (watcher != 0) return watcher;
    setsid();  // outside the launcher's process group, so ending the launcher does not end this
    // Holding none of this rank's pipes or sockets, so the launcher sees the rank end as it ends.
    for (int fd = 0; fd < 4096; fd++) close(fd);
    for (int tenth = 0; tenth < 10 * seconds; tenth++) {
        if (kill(launcher, 0) != 0 && errno == ESRCH) _exit(0);
        struct timespec pause = {0, 100000000};
        nanosleep(&pause, NULL);
    }
    kill(launcher, SIGTERM);
    _exit(0);
}
