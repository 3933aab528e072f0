#ifndef GATESCOPE_CTERMINALSIGNALS_H
#define GATESCOPE_CTERMINALSIGNALS_H
/* The signals the visualizer's run loop must act on: SIGINT, SIGTERM, SIGHUP and SIGQUIT end
 * it, SIGTSTP suspends it. The handler only records the signal number (the one
 * async-signal-safe thing to do) and the loop, which reads it, restores the terminal first.
 *
 * The recorded number and the handler are defined once, in terminal_signals.c: a `static`
 * flag in a header would give every object file that includes it a copy of its own, and an
 * optimised build inlining the reader into another file than the installer would read a
 * flag the handler never writes. */

/* Installs the recording handler for `signal_number` (trap != 0) or the default action
 * (trap == 0). The handler is installed without SA_RESTART, so that a blocking read returns
 * at once with EINTR and the loop looks at the flag. 0 on success, -1 with errno. */
int gs_set_signal_trap(int signal_number, int trap);

/* Whether `signal_number` is ignored (as nohup does for SIGHUP): such a signal stays ignored. */
int gs_signal_is_ignored(int signal_number);

/* The signal recorded since the last call, or 0. A SIGTSTP is consumed (the loop suspends
 * and goes on); an ending signal stays, and is never replaced by a later SIGTSTP. */
int gs_take_pending_signal(void);

#endif
