// Process control that Swift cannot call directly (prctl is variadic).
#ifndef CPROCESS_H
#define CPROCESS_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when its parent ends, and reports whether the
/// parent is still `parent` (it may have ended before the request): 1 if so, 0 if not.
int charnn_signal_when_parent_ends(int signal, pid_t parent);

#endif
