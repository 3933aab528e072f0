// The one definition of the visualizer's signal flag and of the handler that sets it (see
// CTerminalSignals.h for why it cannot live in a header).

#include "CTerminalSignals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t pending_signal_number = 0;

static void record_signal(int signal_number) {
    // An ending signal wins over a SIGTSTP that has not been acted on yet.
    if (signal_number != SIGTSTP || pending_signal_number == 0)
        pending_signal_number = signal_number;
}

int gs_set_signal_trap(int signal_number, int trap) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = trap ? record_signal : SIG_DFL;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(signal_number, &action, NULL);
}

int gs_signal_is_ignored(int signal_number) {
    struct sigaction current;
    if (sigaction(signal_number, NULL, &current) != 0) return 0;
    return current.sa_handler == SIG_IGN;
}

int gs_take_pending_signal(void) {
    // Every signal is blocked meanwhile, so that none is lost between the read and the reset.
    sigset_t all, previous;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &previous);
    int signal_number = pending_signal_number;
    if (signal_number == SIGTSTP) pending_signal_number = 0;
    sigprocmask(SIG_SETMASK, &previous, NULL);
    return signal_number;
}
