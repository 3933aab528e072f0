#ifndef GATESCOPE_CNCURSES_SHIM_H
#define GATESCOPE_CNCURSES_SHIM_H
/* Wide-character curses: must be defined before curses.h (SwiftPM drops pkg-config's -D). */
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <locale.h>
#include <stdio.h>
#endif
