# SPDX-License-Identifier: Apache-2.0
# Sourced by scripts/influxdb.sh and scripts/postgres.sh: find the server a script started (its pid
# file, checked against /proc so a recycled pid is never signalled) and stop it with a deadline.

# pid_alive PID: true while PID exists and is not a zombie (pid 1 of a container may never reap
# the servers we detach with setsid, so `kill -0` alone would wait for ever).
pid_alive() {
  local st
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  [ -n "$st" ] && [ "${st%% *}" != Z ]
}

# pidfile_pid FILE WORD...: prints the pid on FILE's first line when that process is alive and
# its command line contains every WORD; returns 1 otherwise.
pidfile_pid() {
  local file="$1" pid="" cmd w
  shift
  [ -r "$file" ] || return 1
  read -r pid <"$file" || [ -n "$pid" ] || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  for w in "$@"; do [[ "$cmd" == *"$w"* ]] || return 1; done
  echo "$pid"
}

# stop_pid PID [TIMEOUT] [SIGNAL]: sends SIGNAL (TERM), waits up to TIMEOUT seconds (10), then
# SIGKILL. Returns 0 once the process is gone, 1 if even SIGKILL did not end it within 5 s.
stop_pid() {
  local pid="$1" timeout="${2:-10}" deadline
  kill -"${3:-TERM}" "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + timeout))
  while pid_alive "$pid"; do
    if [ $SECONDS -ge "$deadline" ]; then
      echo "pid $pid still alive after $timeout s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 5))
      while pid_alive "$pid"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.1; done
      return 0
    fi
    sleep 0.1
  done
}

# drop_run_dir DIR OURS: removes the run dir DIR when OURS is 1 (the script's own marker is in it)
# unless KEEP=1; a dir without the marker is only removed when empty.  Uses the caller's `say`.
drop_run_dir() {
  if [ "${KEEP:-0}" = 1 ]; then
    say "kept $1"
  elif [ "$2" = 1 ]; then
    rm -rf "$1"
  elif [ -d "$1" ]; then
    rmdir "$1" 2>/dev/null || say "left $1 alone: not made by this script"
  fi
}
