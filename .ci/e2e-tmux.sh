#!/usr/bin/env bash
# End-to-end test of the visualizer: the real binary in a real terminal (tmux), driven by
# keys, resized, suspended, signalled. Run after `swift build` and `swift build -c release`;
# GATESCOPE_BIN and GATESCOPE_RELEASE_BIN override the binaries (the signal checks run on both). Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed"; exits
# non-zero on any failure. Never sleeps blindly: every wait polls for what it waits for,
# with a time limit.
set -u
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
    echo "installing tmux"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux) >/dev/null \
        || { echo "not ok - tmux is missing and could not be installed"; echo "0 passed, 1 failed"; exit 1; }
fi

bin=$(realpath "${GATESCOPE_BIN:-.build/debug/gatescope}" 2>/dev/null) || bin=""
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "not ok - no gatescope binary at ${GATESCOPE_BIN:-.build/debug/gatescope} (run swift build)"
    echo "0 passed, 1 failed"
    exit 1
fi

# The signal checks run against the release build too: its optimiser once split the signal
# flag in two, and only the release binary showed it.
release_bin=$(realpath "${GATESCOPE_RELEASE_BIN:-.build/release/gatescope}" 2>/dev/null) || release_bin=""

work=$(mktemp -d)
socket="gatescope-e2e-$$"
session=e2e
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup() {
    tmux_ kill-server >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() {  # check "description" command...
    local description=$1
    shift
    if "$@"; then
        echo "ok - $description"
        passed=$((passed + 1))
    else
        echo "not ok - $description"
        failed=$((failed + 1))
    fi
}

screen() { tmux_ capture-pane -p -t "${1:-$session}"; }  # the pane of session $1 (default: the test's)
row() { screen | sed -n "$1p"; }  # one line of the pane, 1-based

# Polls (every 50 ms, up to $2 seconds, default 10) until the pane (of session $3, default
# the test's) shows the extended regular expression $1.
wait_screen() {
    local deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS <= deadline)); do
        screen "${3:-$session}" | grep -Eq -- "$1" && return 0
        sleep 0.05
    done
    return 1
}
# Polls until the pane no longer shows $1.
wait_screen_gone() {
    local deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS <= deadline)); do
        screen | grep -Eq -- "$1" || return 0
        sleep 0.05
    done
    return 1
}
# Polls until file $1 exists and is not empty.
wait_file() {
    local deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS <= deadline)); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
# The binary's process id: the pane's shell's child (empty when it is not running).
app_pid() {
    local shell
    shell=$(tmux_ display-message -p -t "$session" '#{pane_pid}')
    cat "/proc/$shell/task/$shell/children" 2>/dev/null | awk '{print $1}'
}
# Polls until the binary has exited.
wait_exit() {
    local deadline=$((SECONDS + ${1:-10}))
    while ((SECONDS <= deadline)); do
        [ -z "$(app_pid)" ] && return 0
        sleep 0.05
    done
    return 1
}
# Types a command line into the pane's shell.
type_line() { tmux_ send-keys -t "$session" -l "$1"; tmux_ send-keys -t "$session" Enter; }
# Sends tmux key names (l, Tab, Escape, C-c, ...).
keys() { tmux_ send-keys -t "$session" "$@"; }
# Polls until row $1 of the pane has something on it.
wait_row_drawn() {
    local deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS <= deadline)); do
        [ -n "$(row "$1" | tr -d ' ')" ] && return 0
        sleep 0.05
    done
    return 1
}
# Polls until the pane (of session $4, default the test's) shows exactly the frame
# `gatescope render` draws at $1 × $2 after the keys $3 (colours stripped, trailing blanks
# ignored): the live screen is the tested one. render_args (an array) adds model options.
render_args=()
matches_render() {
    local expected actual deadline=$((SECONDS + 10))
    expected=$("$bin" render "${render_args[@]}" --width "$1" --height "$2" --keys "$3" --color \
        | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/ *$//') || return 1
    while ((SECONDS <= deadline)); do
        actual=$(screen "${4:-$session}" | sed 's/ *$//')
        [ "$actual" = "$expected" ] && return 0
        sleep 0.05
    done
    diff <(echo "$expected") <(echo "$actual") | head -n 10 | sed 's/^/#   /'
    return 1
}
rows_at_most() { [ "$(screen | wc -l)" -le "$1" ]; }
shows_without() { local s; s=$(screen); grep -Eq -- "$1" <<<"$s" && ! grep -Eq -- "$2" <<<"$s"; }
same_file() { cmp -s "$1" "$2"; }
file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
file_nonzero() { local s; s=$(cat "$1" 2>/dev/null) && [ -n "$s" ] && [ "$s" != 0 ]; }

# An interactive shell in a 100×30 xterm-256color terminal with a UTF-8 locale, as a user
# would have; the tests type into it.
tmux_ new-session -d -s "$session" -x 100 -y 30 \
    "env -i HOME=\"${HOME:-/tmp}\" PATH=\"$PATH\" TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 PS1='$ ' bash --norc --noprofile -i"
tmux_ set-option -t "$session" remain-on-exit on >/dev/null
wait_screen '^\$' 10 || { echo "not ok - the shell in tmux did not start"; echo "0 passed, 1 failed"; exit 1; }

# --- A full session: keys, help, resize, quit --------------------------------------------
type_line "clear; stty -g > $work/stty.before; '$bin'; echo \$? > $work/exit; stty -g > $work/stty.after"
check "the first frame shows the header and the LSTM's gates" \
    wait_screen 'gatescope.*LSTM' 15
check "the cell table names the forget gate" wait_screen 'forget'
check "the header shows step 1" wait_screen 'step 1/'
check "the first frame is exactly render's 100×30 frame" matches_render 100 30 ""
keys l
check "l advances the step counter to 2" wait_screen 'step 2/'
keys Right
check "→ advances it to 3" wait_screen 'step 3/'
keys Tab
check "Tab switches the cell to GRU (header changes)" wait_screen 'gatescope.*GRU'
check "the GRU has an update gate, the LSTM's forget gate is gone" shows_without 'update' 'forget'
keys '?'
check "? opens the help screen" wait_screen 'keys and how to read'
keys Escape
check "Esc closes the help screen" wait_screen_gone 'keys and how to read'
check "after help, the cell is back on screen" wait_screen 'step 3/'

tmux_ resize-window -t "$session" -x 50 -y 15
check "resized to 50×15: the screen is render's 50×15 frame of the same state" \
    matches_render 50 15 "l right tab ? esc"
check "resized to 50×15: nothing beyond 15 rows" rows_at_most 15
tmux_ resize-window -t "$session" -x 100 -y 30
check "resized back to 100×30: render's 100×30 frame again" matches_render 100 30 "l right tab ? esc"
check "resized back to 100×30: the bottom row (30) is drawn" wait_row_drawn 30
check "the binary is still running after the resizes" test -n "$(app_pid)"

keys q
check "q quits" wait_file "$work/exit"
check "q exits with status 0" file_is "$work/exit" 0
wait_file "$work/stty.after" 5
check "the terminal settings (stty -g) are as before" same_file "$work/stty.before" "$work/stty.after"

# --- Ctrl-C quits too ----------------------------------------------------------------------
rm -f "$work/exit"
type_line "clear; '$bin'; echo \$? > $work/exit"
wait_screen 'step 1/' 15
keys C-c
wait_file "$work/exit"
check "Ctrl-C quits with status 0" file_is "$work/exit" 0

# --- Ctrl-Z suspends, fg redraws -----------------------------------------------------------
type_line "clear; '$bin'"
wait_screen 'step 1/' 15
keys l
wait_screen 'step 2/'
keys C-z
check "Ctrl-Z suspends: the shell reports a stopped job" wait_screen 'Stopped'
check "Ctrl-Z gives the screen back to the shell" wait_screen_gone 'step 2/'
type_line "fg"
check "fg redraws the frame where it was" matches_render 100 30 "l"
keys l
check "after fg, keys work again" wait_screen 'step 3/'
keys q
wait_exit 10

# --- Signals, in every build: the terminal restored, the status 128 + n ---------------------
# Runs `$2` (the binary) and sends it the signal $3 while idle or playing ($4), as a user's
# `kill` would; $1 names the build in the check descriptions.
signal_run() {
    local build=$1 binary=$2 name=$3 mode=$4 number pid
    number=$(kill -l "$name")
    rm -f "$work/exit" "$work/stty.before" "$work/stty.after"
    # No core file from SIGQUIT in the working directory.
    type_line "clear; ulimit -c 0; stty -g > $work/stty.before; '$binary'; echo \$? > $work/exit; stty -g > $work/stty.after"
    wait_screen 'step 1/' 15
    if [ "$mode" = playing ]; then
        keys Space
        wait_screen '[0-9]+/s' 5
    fi
    pid=$(app_pid)
    if [ -z "$pid" ]; then
        check "$build, $mode: the binary's process is found" false
        return
    fi
    kill "-$name" "$pid"
    check "$build, $mode: SIG$name ends the program" wait_file "$work/exit"
    check "$build, $mode: SIG$name exits with 128 + $number" file_is "$work/exit" $((128 + number))
    wait_file "$work/stty.after" 5
    check "$build, $mode: after SIG$name the terminal settings (stty -g) are as before" \
        same_file "$work/stty.before" "$work/stty.after"
    # A check that failed leaves the program running: end it before the next run.
    [ -n "$(app_pid)" ] && kill -KILL "$(app_pid)" && wait_exit 5
}

# kill -TSTP suspends at the first try, and fg repaints the frame where it was.
stop_run() {
    local build=$1 binary=$2 pid
    type_line "clear; '$binary'"
    wait_screen 'step 1/' 15
    keys l
    wait_screen 'step 2/'
    pid=$(app_pid)
    [ -n "$pid" ] && kill -TSTP "$pid"
    check "$build: the first kill -TSTP suspends (the shell reports a stopped job)" wait_screen 'Stopped'
    type_line "fg"
    check "$build: fg after kill -TSTP repaints the frame where it was" matches_render 100 30 "l"
    keys q
    wait_exit 10
}

signal_checks() {
    local build=$1 binary=$2 name mode
    for name in TERM HUP INT; do
        for mode in idle playing; do signal_run "$build" "$binary" "$name" "$mode"; done
    done
    # SIGQUIT: the terminal restored, then the process dies of it (the shell's 128 + 3).
    signal_run "$build" "$binary" QUIT playing
    stop_run "$build" "$binary"
}

# --- Long work: the screen says so, Esc cancels, a signal still ends it ----------------------
# A model large enough that the gradient panel takes seconds even in the release build.
working_checks() {
    local build=$1 binary=$2 model="$work/large.safetensors" pid
    "$binary" init --cell lstm --input-size 4 --hidden 1024 --output "$model" >/dev/null
    local open="'$binary' show --model '$model' --random 1000"
    rm -f "$work/exit" "$work/stty.before" "$work/stty.after"
    type_line "clear; $open; echo \$? > $work/exit"
    wait_screen 'step 1/1000' 30
    keys d
    check "$build: d on a large model shows that it is computing, with progress" \
        wait_screen 'computing the gradient flow.* [0-9]+%.*esc/q cancel' 5
    keys Escape
    check "$build: Esc stops the computation and says so" wait_screen 'stopped computing the gradient flow' 5
    keys q
    check "$build: q after that quits" wait_file "$work/exit"
    check "$build: q after that exits with status 0" file_is "$work/exit" 0
    rm -f "$work/exit"
    type_line "clear; stty -g > $work/stty.before; $open; echo \$? > $work/exit; stty -g > $work/stty.after"
    wait_screen 'step 1/1000' 30
    keys d
    wait_screen 'computing the gradient flow' 5
    pid=$(app_pid)
    [ -n "$pid" ] && kill -TERM "$pid"
    check "$build: SIGTERM while computing ends the program" wait_file "$work/exit"
    check "$build: SIGTERM while computing exits with 128 + 15" file_is "$work/exit" 143
    wait_file "$work/stty.after" 5
    check "$build: after SIGTERM while computing the terminal settings are as before" \
        same_file "$work/stty.before" "$work/stty.after"
    [ -n "$(app_pid)" ] && kill -KILL "$(app_pid)" && wait_exit 5
    # The first trace of a long sequence on that model takes seconds before the screen
    # opens: a line on the terminal says how far it is, and the screen follows.
    rm -f "$work/exit"
    type_line "clear; '$binary' show --model '$model' --random 5000; echo \$? > $work/exit"
    check "$build: a slow first trace says how far it is before the screen opens" \
        wait_screen 'tracing the model… [0-9]+%' 10
    check "$build: the screen opens after the slow first trace" wait_screen 'step 1/5000' 60
    keys q
    check "$build: q after the slow first trace exits with status 0" wait_file "$work/exit"
}

signal_checks debug "$bin"
if [ -n "$release_bin" ] && [ -x "$release_bin" ]; then
    signal_checks release "$release_bin"
    working_checks release "$release_bin"
else
    check "a release binary at ${GATESCOPE_RELEASE_BIN:-.build/release/gatescope} (run swift build -c release)" false
fi

# --- --record: an asciinema v2 file of the session, replayed in a fresh terminal -------------
# Every line is JSON: the header (version 2, the size) and events [time, code, data] with
# times that never go back; $2 resize events ("r") are expected.
cast_is_valid() {
    python3 - "$1" "$2" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
header = json.loads(lines[0])
assert header["version"] == 2 and header["width"] == 100 and header["height"] == 30, header
events = [json.loads(line) for line in lines[1:]]
assert events and all(len(e) == 3 and e[1] in ("o", "r") for e in events)
assert all(a[0] <= b[0] for a, b in zip(events, events[1:])), "times go back"
assert sum(e[1] == "r" for e in events) == int(sys.argv[2]), "resize events"
PY
}
# Plays the output events of cast $1 into a new terminal (session "replay") of $2 × $3.
replay() {
    tmux_ kill-session -t replay >/dev/null 2>&1
    tmux_ new-session -d -s replay -x "$2" -y "$3" \
        "python3 -c 'import json, sys; lines = open(sys.argv[1], encoding=\"utf-8\").read().splitlines()[1:]; sys.stdout.buffer.write(\"\".join(e[2] for e in map(json.loads, lines) if e[1] == \"o\").encode()); sys.stdout.flush()' '$1'; exec sleep 600"
}
# Whether the data of the last event of cast $1 contains the regular expression $2.
last_event_shows() {
    python3 -c 'import json, sys; print(json.loads(open(sys.argv[1], encoding="utf-8").read().splitlines()[-1])[2])' \
        "$1" | grep -Eq -- "$2"
}
no_temporary_files() { [ -z "$(ls -A "$work/casts" | grep '^\.')" ]; }

mkdir -p "$work/casts"
rm -f "$work/exit"
type_line "clear; '$bin' --record $work/casts/demo.cast; echo \$? > $work/exit"
wait_screen 'step 1/' 15
check "--record: the file is written beside its name while the session runs" \
    test -n "$(ls -A "$work/casts" | grep '^\.demo\.cast\.')"
check "--record: nothing under the file's name before the session ends" test ! -e "$work/casts/demo.cast"
keys l l Tab j
wait_screen 'gatescope.*GRU'
tmux_ resize-window -t "$session" -x 60 -y 20
matches_render 60 20 "l l tab j" >/dev/null
tmux_ resize-window -t "$session" -x 100 -y 30
matches_render 100 30 "l l tab j" >/dev/null
keys q
wait_file "$work/exit"
check "--record: q exits with status 0" file_is "$work/exit" 0
check "--record: the recording is a valid asciicast v2 file (JSON lines, 2 resizes)" \
    cast_is_valid "$work/casts/demo.cast" 2
check "--record: no temporary file is left" no_temporary_files
replay "$work/casts/demo.cast" 100 30
check "--record: the replayed recording ends on render's frame of the same keys" \
    matches_render 100 30 "l l tab j" replay

rm -f "$work/exit"
type_line "clear; '$bin' --record $work/casts/signalled.cast; echo \$? > $work/exit"
wait_screen 'step 1/' 15
keys l l l
wait_screen 'step 4/'
pid=$(app_pid)
[ -n "$pid" ] && kill -TERM "$pid"
wait_file "$work/exit"
check "--record, SIGTERM: exits with 143" file_is "$work/exit" 143
check "--record, SIGTERM: the recording is complete and valid" cast_is_valid "$work/casts/signalled.cast" 0
check "--record, SIGTERM: no temporary file is left" no_temporary_files
replay "$work/casts/signalled.cast" 100 30
check "--record, SIGTERM: the replay ends on the last frame shown" matches_render 100 30 "l l l" replay

# The terminal closed under it (SIGHUP): the recording is still finished.
tmux_ new-session -d -s hangup -x 100 -y 30 \
    "env TERM=xterm-256color LANG=C.UTF-8 '$bin' --record '$work/casts/hangup.cast'"
wait_screen 'step 1/' 15 hangup
tmux_ send-keys -t hangup l
wait_screen 'step 2/' 10 hangup
tmux_ kill-session -t hangup
wait_file "$work/casts/hangup.cast"
check "--record, terminal closed: the recording appears, complete and valid" cast_is_valid "$work/casts/hangup.cast" 0
check "--record, terminal closed: its last event draws step 2" last_event_shows "$work/casts/hangup.cast" 'step 2/'
check "--record, terminal closed: no temporary file is left" no_temporary_files

# A vocabulary of Chinese characters, two columns each, live and replayed.
"$bin" init --cell lstm --hidden 6 --head 4 --vocab "你好世界" --output "$work/zh.safetensors" >/dev/null
render_args=(--model "$work/zh.safetensors" --text "你好世界世界你好")
rm -f "$work/exit"
type_line "clear; '$bin' ${render_args[*]} --record $work/casts/zh.cast; echo \$? > $work/exit"
wait_screen 'step 1/' 15
keys l l
check "CJK vocabulary: the screen is render's frame, CJK characters in two columns" matches_render 100 30 "l l"
check "CJK vocabulary: the characters are shown, not '?'" wait_screen "x₃ = '世'.*output: '"
keys q
wait_file "$work/exit"
check "CJK vocabulary: the recording is valid" cast_is_valid "$work/casts/zh.cast" 0
replay "$work/casts/zh.cast" 100 30
check "CJK vocabulary: the replayed recording ends on render's frame" matches_render 100 30 "l l" replay
render_args=()
tmux_ kill-session -t replay >/dev/null 2>&1

# --- What if: poke the demo's memory unit ----------------------------------------------------
# The LSTM delay demo opens on unit 2, its memory; p f > 0 at step 2 clamps its forget gate to
# 0 from step 2 to the end. The answer at '?' moves (a 1.00 before, a 0.99 after: the trained
# cell keeps 'a' in other units too), and the screen is what render draws with the same poke
# given as --clamp.
type_line "clear; '$bin'; echo \$? > $work/exit.poke"
wait_screen 'step 1/' 15
keys l p
check "poke: p opens the menu on the selected unit and step" wait_screen 'poke unit 2 at step 2'
keys f '>' 0
wait_screen "poke: forget f of unit 2"
keys G
check "poke: the bottom line says the poke and the answer before and after" \
    wait_screen "poke: forget f of unit 2 = 0\.00 from step 2 · answer at '\?': a 1\.00 → a 0\.99"
check "poke: the live screen is render's frame after the same keys" matches_render 100 30 "l p f > 0 G"
render_args=(--clamp 'forget:2=0@2-')
check "poke: and render's frame of --clamp forget:2=0@2- at the last step" matches_render 100 30 "G"
render_args=()
keys U
check "poke: U clears the pokes, the model's own run again" wait_screen 'pokes cleared'
check "poke: cleared, the screen is the unpoked one" matches_render 100 30 "l p f > 0 G U"
keys q
wait_file "$work/exit.poke"
check "poke: q quits with status 0" file_is "$work/exit.poke" 0

# --- Side by side, text colouring, another language ------------------------------------------
# s sets the trained GRU and RNN beside the LSTM on the same input (traced in the background,
# steps moving together), t colours the input text by the memory unit's c, and --lang zh
# draws the screen in Chinese: each live screen is render's frame after the same keys.
type_line "clear; '$bin'; echo \$? > $work/exit.sbs"
wait_screen 'step 1/' 15
keys l l s
check "side by side: s sets the trained GRU beside the LSTM" wait_screen 'GRU \(trained\)'
check "side by side: the live screen is render's frame" matches_render 100 30 "l l s"
keys l
check "side by side: l steps every column together" matches_render 100 30 "l l s l"
keys s t
check "text colour: t colours the input text by the memory unit's c" wait_screen 'text coloured by'
check "text colour: the live screen is render's frame" matches_render 100 30 "l l s l s t"
keys q
wait_file "$work/exit.sbs"
check "side by side: q quits with status 0" file_is "$work/exit.sbs" 0
type_line "clear; '$bin' --lang zh; echo \$? > $work/exit.zh"
wait_screen '遗忘' 15
render_args=(--lang zh)
check "--lang zh: the screen speaks Chinese and is render's frame" matches_render 100 30 ""
render_args=()
keys q
wait_file "$work/exit.zh"
check "--lang zh: q quits with status 0" file_is "$work/exit.zh" 0

# --- A sequence kept at checkpoints: 60,000 steps at H = 64, a trace of 38M values -----------
type_line "clear; '$bin' --hidden 64 --random 60000; echo \$? > $work/exit.long"
check "long sequence: opens on step 1 of 60000" wait_screen 'step 1/60000' 30
keys End
check "long sequence: End computes the checkpoints with a progress line" \
    wait_screen 'computing the checkpoints to step 60000.* [0-9]+%' 30
check "long sequence: then shows the last step" wait_screen 'step 60000/60000' 120
render_args=(--hidden 64 --random 60000)
check "long sequence: the last step is render's frame" matches_render 100 30 "G"
render_args=()
keys Home
check "long sequence: Home is back on step 1 at once" wait_screen 'step 1/60000' 5
keys q
wait_file "$work/exit.long"
check "long sequence: q quits with status 0" file_is "$work/exit.long" 0

# --- Not a terminal: an error, the terminal untouched --------------------------------------------
rm -f "$work/stty.before" "$work/stty.after"
type_line "clear; stty -g > $work/stty.before; '$bin' 2> $work/err.stdout | cat > $work/out.stdout; echo \${PIPESTATUS[0]} > $work/exit.stdout; stty -g > $work/stty.after"
wait_file "$work/exit.stdout"
check "stdout not a terminal: exits non-zero" file_nonzero "$work/exit.stdout"
check "stdout not a terminal: one error: line pointing to trace and render" \
    grep -Eq '^error: .*gatescope trace.*gatescope render' "$work/err.stdout"
check "stdout not a terminal: nothing on stdout" test ! -s "$work/out.stdout"
wait_file "$work/stty.after" 5
check "stdout not a terminal: the terminal settings are untouched" same_file "$work/stty.before" "$work/stty.after"
"$bin" < /dev/null > "$work/out.stdin" 2> "$work/err.stdin"
echo $? > "$work/exit.stdin"
check "stdin not a terminal: exits non-zero" file_nonzero "$work/exit.stdin"
check "stdin not a terminal: an error: line" grep -q '^error: ' "$work/err.stdin"

echo "$passed passed, $failed failed"
((failed == 0))
