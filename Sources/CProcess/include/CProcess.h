// Process control that Swift cannot call directly (prctl is variadic).
#ifndef CPROCESS_H
#define CPROCESS_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when its parent ends, and reports whether the
/// parent is still `parent` (it may have ended before the request): 1 if so, 0 if not.
int charnn_signal_when_parent_ends(int signal, pid_t parent);

/// Leaves behind a process (forked, in a session of its own, every descriptor closed) that ends
/// `launcher` with SIGTERM if it is still running `seconds` from now, and exits as soon as it has
/// gone. For a launcher that would otherwise wait for good (Open MPI's mpirun waiting for a host it
/// lost). Returns the watcher's pid, or -1.
pid_t charnn_end_launcher_unless_gone(pid_t launcher, int seconds);

#endif
