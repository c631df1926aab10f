#include "CProcess.h"

#include <sys/prctl.h>
#include <unistd.h>

int charnn_signal_when_parent_ends(int signal, pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, signal) != 0) return getppid() == parent;
    return getppid() == parent;
}
