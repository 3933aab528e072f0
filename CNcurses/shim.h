#ifndef GATESCOPE_CNCURSES_SHIM_H
#define GATESCOPE_CNCURSES_SHIM_H
/* Wide-character curses: must be defined before curses.h (SwiftPM drops pkg-config's -D). */
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* Swift 6 rejects C mutable globals and cannot import function-like macros, so everything
 * of that kind goes through these accessors. */

static inline WINDOW *gs_stdscr(void) { return stdscr; }
static inline int gs_lines(void) { return LINES; }
static inline int gs_cols(void) { return COLS; }
static inline int gs_color_pairs(void) { return COLOR_PAIRS; }
static inline FILE *gs_stdout(void) { return stdout; }
static inline FILE *gs_stdin(void) { return stdin; }

static inline attr_t gs_a_normal(void) { return A_NORMAL; }
static inline attr_t gs_a_bold(void) { return A_BOLD; }
static inline attr_t gs_a_reverse(void) { return A_REVERSE; }
static inline attr_t gs_a_underline(void) { return A_UNDERLINE; }

static inline mmask_t gs_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t gs_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t gs_button5_pressed(void) { return BUTTON5_PRESSED; }

/* The last mouse event: OK and its cell and button state, or ERR. */
static inline int gs_getmouse(int *x, int *y, mmask_t *bstate) {
    MEVENT event;
    if (getmouse(&event) != OK) return ERR;
    *x = event.x;
    *y = event.y;
    *bstate = event.bstate;
    return OK;
}

/* Whether the current terminal has the terminfo string capability `name`: "cup" (put the
 * cursor anywhere; "dumb" cannot), "smcup" (an alternate screen; vt100 has none).
 * tigetstr returns (char *)-1 for a name that is not a string capability. */
static inline int gs_has_string_capability(const char *name) {
    char *capability = tigetstr((char *)name);
    return capability != NULL && capability != (char *)-1;
}

/* glibc declares these only under _XOPEN_SOURCE, which the Glibc module is not built with:
 * wcwidth for the cell width of a glyph, the pseudo-terminal calls for the first-frame timer. */
int wcwidth(wchar_t character);
int posix_openpt(int flags);
int grantpt(int fd);
int unlockpt(int fd);
char *ptsname(int fd);

/* Sets one cell of a row: a spacing character plus up to CCHARW_MAX - 1 combining
 * characters (`text` is zero-terminated), with attributes and a colour pair. A text curses
 * refuses becomes "?". */
static inline void gs_set_cell(cchar_t *cell, const wchar_t *text, attr_t attributes, short pair) {
    static const wchar_t replacement[] = { L'?', 0 };
    if (setcchar(cell, text, attributes, pair, NULL) != OK)
        setcchar(cell, replacement, attributes, pair, NULL);
}

#endif
