# Background servers for the bench scripts, sourced by run-all.sh and burst.sh (which define die).
# Every server started here is stopped when the script exits.

PIDS=()
declare -A PID_OF=()
stop_all() {
  ((${#PIDS[@]})) || return 0
  kill "${PIDS[@]}" 2>/dev/null || true
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
  PID_OF=()
}
trap stop_all EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME PORT COMMAND...: starts a server in the background, returns once PORT accepts
# (at most 30 s); dies with the server's last log lines if it exits first.
start() {
  local name="$1" port="$2"
  shift 2
  port_open "$port" && die "port $port (for $name) is already in use"
  "$@" >"$RUN/$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
  for _ in $(seq 1 600); do
    port_open "$port" && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || die "$name exited during startup: $(tail -5 "$RUN/$name.log")"
    sleep 0.05
  done
  die "$name did not listen on $port within 30 s"
}
