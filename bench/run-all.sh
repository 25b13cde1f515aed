#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md, in one run on this machine:
#   1. end to end: edgecache (local-edge + ext_proc server), nginx proxy_cache (stock and
#      tcp_nopush off) and Varnish in front of one nginx origin, all on 127.0.0.1, driven by
#      wrk in alternating rounds; then open-loop latency at half of edgecache's max rate;
#   2. ext_proc: the hit/miss/pass paths against a do-nothing protocol floor, with the server's
#      CPU per request, and the large-body route crossover (a sweep of body sizes answered in
#      immediate_response and through the body endpoint);
#   3. a JFR CPU profile of the hit path (ext_proc server, and local-edge end to end);
#   4. L1 heap per entry at 1 M entries; 5. JMH microbenchmarks (incl. tracing off vs on);
#   6. control plane: live reconfiguration latency and purge-to-all-acked latency;
#   7. bursts: 100 concurrent cold requests under the shipped 200 ms message_timeout (burst.sh).
# Results replace the generated part of BENCHMARKS.md. Run as root on a quiet machine:
#   bench/run-all.sh [--duration-s 10] [--warmup-s 3] [--jit-warmup-s 60] [--connections 32] [--rounds 2]
#                    [--parts e2e,extproc,profile,memory,jmh,control,bursts] [--output BENCHMARKS.md]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
RUN="$BENCH/target/run"
ORIGIN_PORT=18100 EDGE_PORT=18101 EXT_PROC_PORT=18102
NGINX_STOCK_PORT=18103 NGINX_NOPUSH_PORT=18104 VARNISH_PORT=18105
DURATION=10 WARMUP=3 JIT_WARMUP=60 CONNECTIONS=32 ROUNDS=2 PARTS="e2e,extproc,profile,memory,jmh,control,bursts"
OUTPUT="$ROOT/BENCHMARKS.md"
JAVA_SERVER_OPTS="-Xms1g -Xmx1g"
# Body sizes of the large-body route crossover (tiers.largeObjectBytes' default comes from it).
CROSSOVER_SIZES=16384,32768,65536,131072,262144,524288,1048576

die() { echo "run-all: $*" >&2; exit 1; }
log() { echo "run-all: $*" >&2; }

while (($#)); do
  [[ $# -ge 2 ]] || die "flag $1 needs a value"
  case "$1" in
    --duration-s) DURATION="$2" ;;
    --warmup-s) WARMUP="$2" ;;
    --jit-warmup-s) JIT_WARMUP="$2" ;;
    --connections) CONNECTIONS="$2" ;;
    --rounds) ROUNDS="$2" ;;
    --parts) PARTS="$2" ;;
    --output) OUTPUT="$(realpath -m "$2")" ;;
    *) die "unknown flag $1 (see the header of $0)" ;;
  esac
  shift 2
done
part() { [[ ",$PARTS," == *",$1,"* ]]; }
COMMAND="bench/run-all.sh --duration-s $DURATION --warmup-s $WARMUP --jit-warmup-s $JIT_WARMUP --connections $CONNECTIONS --rounds $ROUNDS --parts $PARTS"

BENCH_CP="$BENCH/target/classes:$BENCH/target/lib/*"
SERVER_CP="$ROOT/ext-proc-server/target/classes:$ROOT/ext-proc-server/target/lib/*"
EDGE_CP="$ROOT/local-edge/target/classes:$ROOT/local-edge/target/lib/*"

# ---------------------------------------------------------------- setup

install_missing_packages() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v varnishd >/dev/null || missing+=(varnish)
  command -v wrk >/dev/null || missing+=(wrk)
  ((${#missing[@]})) || return 0
  [[ $EUID -eq 0 ]] || die "needs ${missing[*]}: run as root or apt-get install them"
  log "installing ${missing[*]} from Debian"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

build() {
  log "building bench, ext-proc-server and local-edge"
  (cd "$ROOT" && mvn -B -q -DskipTests -pl bench,local-edge -am package) \
    || die "build failed"
}

machine_description() {
  cat <<EOF
| | |
|---|---|
| CPU | $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1) |
| memory | $(free -g | awk '/^Mem:/ {print $2}') GiB |
| kernel | $(uname -r) |
| java | $(java -version 2>&1 | head -2 | tail -1) |
| nginx | $(nginx -v 2>&1 | sed 's/^nginx version: //') |
| varnish | $(varnishd -V 2>&1 | head -1) |
| wrk | $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}') |
| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |
EOF
}

# ---------------------------------------------------------------- processes

source "$ROOT/bench/processes.sh"

# render TEMPLATE OUT NAME PORT TCP_NOPUSH
render() {
  sed -e "s|@RUN@|$RUN|g" -e "s|@USER@|$(id -un)|g" -e "s|@ORIGIN_PORT@|$ORIGIN_PORT|g" \
      -e "s|@NAME@|$3|g" -e "s|@PORT@|$4|g" -e "s|@TCP_NOPUSH@|$5|g" "$1" >"$2"
}

start_nginx() { # NAME PORT TEMPLATE TCP_NOPUSH
  mkdir -p "$RUN/$1/tmp" "$RUN/$1/cache"
  render "$BENCH/conf/$3" "$RUN/$1/nginx.conf" "$1" "$2" "$4"
  start "$1" "$2" nginx -p "$RUN/$1" -e "$RUN/$1/error.log" -c "$RUN/$1/nginx.conf" -g 'daemon off;'
}

start_http_stack() {
  rm -rf "$RUN" && mkdir -p "$RUN/origin/files"
  head -c 1024 /dev/urandom >"$RUN/origin/files/1k.bin"
  head -c 102400 /dev/urandom >"$RUN/origin/files/100k.bin"
  start_nginx origin "$ORIGIN_PORT" origin-nginx.conf off
  start_nginx nginx-stock "$NGINX_STOCK_PORT" nginx-cache.conf on
  start_nginx nginx-nopush-off "$NGINX_NOPUSH_PORT" nginx-cache.conf off
  render "$BENCH/conf/varnish.vcl" "$RUN/varnish.vcl" varnish "$VARNISH_PORT" -
  start varnish "$VARNISH_PORT" varnishd -F -j none -n "$RUN/varnish-work" -a "127.0.0.1:$VARNISH_PORT" \
    -f "$RUN/varnish.vcl" -s malloc,512m
  # shellcheck disable=SC2086
  start ext-proc-server "$EXT_PROC_PORT" java $JAVA_SERVER_OPTS -cp "$SERVER_CP" \
    io.edgecache.extproc.Main --config "$BENCH/conf/edgecache.yaml"
  # shellcheck disable=SC2086
  start local-edge "$EDGE_PORT" java $JAVA_SERVER_OPTS -cp "$EDGE_CP" \
    io.edgecache.edge.LocalEdgeMain --config "$BENCH/conf/local-edge.yaml"
}

# ---------------------------------------------------------------- end to end

SERVERS=(edgecache nginx-stock nginx-nopush-off varnish)
declare -A PORT_OF=([edgecache]=$EDGE_PORT [nginx-stock]=$NGINX_STOCK_PORT
                    [nginx-nopush-off]=$NGINX_NOPUSH_PORT [varnish]=$VARNISH_PORT)
# scenario -> path; "miss" goes to a path the origin marks no-store, so nothing is cached.
SCENARIOS=("hit 1 KiB" "hit 100 KiB" "miss 1 KiB (caching off)")
declare -A PATH_OF=(["hit 1 KiB"]=/1k.bin ["hit 100 KiB"]=/100k.bin
                    ["miss 1 KiB (caching off)"]=/nocache/1k.bin)

to_ms() { # wrk latency like 512.00us / 1.20ms / 1.01s -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; printf "%.3f", n }'
}

# wrk_run SECONDS URL -> "req/s p50 p99 errors"
wrk_run() {
  local out
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$1"s --latency "$2")"
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  errors="$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
  echo "$rps $p50 $p99 $errors"
}

# Logs what each server says about a hit and an uncacheable path, to show the setup is right.
check_cache_headers() {
  local server path
  for server in "${SERVERS[@]}"; do
    for path in /1k.bin /nocache/1k.bin; do
      log "$server $path: $(curl -s -o /dev/null -D - "http://127.0.0.1:${PORT_OF[$server]}$path" \
        | grep -iE '^(cache-status|x-cache-status|x-varnish|age|cache-control):' | tr -d '\r' | tr '\n' ' ')"
    done
  done
}

# The processes that serve for each server under test (the origin is shared, so not counted).
server_pids() {
  case "$1" in
    edgecache) echo "${PID_OF[local-edge]} ${PID_OF[ext-proc-server]}" ;;
    *) echo "${PID_OF[$1]}" ;;
  esac
}

# CPU time (clock ticks, user + system) of the given processes and all their descendants.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    if [[ -r /proc/$pid/stat ]]; then
      total=$(( total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}') ))
    fi
    # shellcheck disable=SC2046
    total=$(( total + $(cpu_ticks $(ps -o pid= --ppid "$pid")) ))
  done
  echo "$total"
}

E2E_TSV="$RUN/e2e.tsv"
run_e2e() {
  local scenario server round
  # The JVMs need much longer than nginx or Varnish before their code is compiled (~20 s of
  # load on a busy 2-core machine); the C servers gain nothing from it.
  log "JIT warm-up of edgecache (${JIT_WARMUP}s)"
  for scenario in "${SCENARIOS[@]}"; do
    wrk_run "$(( (JIT_WARMUP + ${#SCENARIOS[@]} - 1) / ${#SCENARIOS[@]} ))" \
      "http://127.0.0.1:$EDGE_PORT${PATH_OF[$scenario]}" >/dev/null
  done
  log "warming every server (${WARMUP}s of load per server and scenario)"
  for scenario in "${SCENARIOS[@]}"; do
    for server in "${SERVERS[@]}"; do
      curl -s -o /dev/null "http://127.0.0.1:${PORT_OF[$server]}${PATH_OF[$scenario]}"
      wrk_run "$WARMUP" "http://127.0.0.1:${PORT_OF[$server]}${PATH_OF[$scenario]}" >/dev/null
    done
  done
  check_cache_headers
  : >"$E2E_TSV"
  for scenario in "${SCENARIOS[@]}"; do
    for round in $(seq 1 "$ROUNDS"); do
      for server in "${SERVERS[@]}"; do
        local result ticks_before ticks_after cpu_us
        # shellcheck disable=SC2046
        ticks_before="$(cpu_ticks $(server_pids "$server"))"
        result="$(wrk_run "$DURATION" "http://127.0.0.1:${PORT_OF[$server]}${PATH_OF[$scenario]}")"
        # shellcheck disable=SC2046
        ticks_after="$(cpu_ticks $(server_pids "$server"))"
        cpu_us="$(awk -v t="$(( ticks_after - ticks_before ))" -v hz="$(getconf CLK_TCK)" \
          -v rps="${result%% *}" -v s="$DURATION" 'BEGIN { printf "%.1f", t / hz * 1e6 / (rps * s) }')"
        log "$scenario, round $round, $server: req/s p50 p99 errors = $result, CPU us/req $cpu_us"
        printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$round" "$server" "${result// /$'\t'}" "$cpu_us" >>"$E2E_TSV"
      done
    done
  done
}

# Markdown: per scenario and server, means over rounds; ratio to the faster nginx variant.
e2e_table() {
  echo "| what | server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | req/s / faster nginx |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v order="${SERVERS[*]}" '
    { key = $1 SUBSEP $3; rps[key] += $4; p50[key] += $5; p99[key] += $6; err[key] += $7
      cpu[key] += $8; n[key]++
      if (!($1 in seen)) { seen[$1] = 1; scenarios[++ns] = $1 } }
    END {
      split(order, servers, " ")
      for (s = 1; s <= ns; s++) {
        sc = scenarios[s]
        a = rps[sc SUBSEP "nginx-stock"] / n[sc SUBSEP "nginx-stock"]
        b = rps[sc SUBSEP "nginx-nopush-off"] / n[sc SUBSEP "nginx-nopush-off"]
        best = a > b ? a : b
        for (i = 1; i in servers; i++) {
          k = sc SUBSEP servers[i]
          printf "| %s | %s | %.0f | %.3f | %.3f | %d | %.1f | %.2f |\n", sc, servers[i],
            rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], err[k], cpu[k] / n[k], (rps[k] / n[k]) / best
        }
      }
    }' "$E2E_TSV"
}

mean_rps() { # SCENARIO SERVER
  awk -F'\t' -v sc="$1" -v sv="$2" '$1 == sc && $3 == sv { s += $4; n++ } END { printf "%.0f", s / n }' "$E2E_TSV"
}

# Open loop at half of edgecache's measured max (wrk2 is not in Debian; bench's Java driver).
# Each run is a new driver JVM: its warm-up is long enough for its own JIT.
HALF_RATE_WARMUP=$(( JIT_WARMUP / 3 > WARMUP ? JIT_WARMUP / 3 : WARMUP ))
half_rate_table() {
  local rate server
  rate="$(( $(mean_rps "hit 1 KiB" edgecache) / 2 ))"
  for server in edgecache nginx-nopush-off varnish; do
    java -cp "$BENCH_CP" io.edgecache.bench.http.HttpLoadMain \
      --url "http://127.0.0.1:${PORT_OF[$server]}/1k.bin" --rate "$rate" --name "$server" \
      --connections "$CONNECTIONS" --warmup-s "$HALF_RATE_WARMUP" --duration-s "$DURATION" \
      | { [[ $server == edgecache ]] && cat || grep -v -e '^| what' -e '^|---'; }
  done
}

# ---------------------------------------------------------------- profiles

jfr_summary() { # FILE THREAD_PREFIX
  java -cp "$BENCH_CP" io.edgecache.bench.profile.JfrHotFrames --jfr "$1" --threads "$2"
}

# How much CPU each edgecache JVM spends per 1 KiB hit (a wrk run without JFR), then JFR on
# both JVMs during a second run.
profile_e2e() {
  local name result requests
  declare -A ticks=()
  for name in ext-proc-server local-edge; do
    ticks[$name]="$(cpu_ticks "${PID_OF[$name]}")"
  done
  result="$(wrk_run "$DURATION" "http://127.0.0.1:$EDGE_PORT/1k.bin")"
  requests="$(awk -v rps="${result%% *}" -v s="$DURATION" 'BEGIN { printf "%.0f", rps * s }')"
  echo "CPU per request of each JVM during \`wrk -t1 -c$CONNECTIONS -d${DURATION}s\` without JFR"
  echo "($requests requests; req/s p50 p99 errors: $result):"
  echo
  echo "| JVM | CPU µs per request |"
  echo "|---|---:|"
  for name in local-edge ext-proc-server; do
    awk -v name="$name" -v t="$(( $(cpu_ticks "${PID_OF[$name]}") - ${ticks[$name]} ))" \
      -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "| %s | %.1f |\n", name, t / hz * 1e6 / n }'
  done
  echo
  for name in ext-proc-server local-edge; do
    jcmd "${PID_OF[$name]}" JFR.start name=bench settings=profile >/dev/null
  done
  wrk_run "$DURATION" "http://127.0.0.1:$EDGE_PORT/1k.bin" >/dev/null
  for name in ext-proc-server local-edge; do
    jcmd "${PID_OF[$name]}" JFR.stop name=bench filename="$RUN/e2e-$name.jfr" >/dev/null
  done
  echo "JFR samples only threads running Java code, so time in system calls (socket reads and"
  echo "writes, epoll) is not in the tables below."
  echo
}

# ---------------------------------------------------------------- main

mkdir -p "$BENCH/target"
if part e2e || part profile; then
  install_missing_packages # the other parts need only the JVM
fi
build
REPORT="$(mktemp)"
{
  echo "Generated by \`$COMMAND\` on $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  machine_description
} >>"$REPORT"

if part e2e || part profile; then
  start_http_stack
fi
if part e2e; then
  run_e2e
  {
    echo
    echo "### End to end (wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, mean of $ROUNDS alternating rounds)"
    echo
    echo "Every server in front of the same nginx origin on 127.0.0.1; rounds alternate"
    echo "edgecache, nginx stock, nginx tcp_nopush off, Varnish. Command per cell:"
    echo "\`wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency http://127.0.0.1:PORT/{1k.bin,100k.bin,nocache/1k.bin}\`."
    echo
    e2e_table
    echo
    echo "### Open loop at half of edgecache's 1 KiB hit rate (bench's Java driver, $CONNECTIONS connections)"
    echo
    echo "\`java -cp 'bench/target/classes:bench/target/lib/*' io.edgecache.bench.http.HttpLoadMain --url http://127.0.0.1:PORT/1k.bin --rate R --connections $CONNECTIONS --warmup-s $HALF_RATE_WARMUP --duration-s $DURATION\`"
    echo
    half_rate_table
  } >>"$REPORT"
fi
if part profile; then
  {
    echo
    echo "### Profile: 1 KiB hits end to end (JFR, \`settings=profile\`, during \`wrk -t1 -c$CONNECTIONS -d${DURATION}s\`)"
    echo
    profile_e2e
    echo "ext_proc server JVM, gRPC event loop threads:"
    echo
    jfr_summary "$RUN/e2e-ext-proc-server.jfr" grpc-default-worker
    echo "local-edge JVM, all threads:"
    echo
    jfr_summary "$RUN/e2e-local-edge.jfr" ""
  } >>"$REPORT"
fi
stop_all

if part extproc; then
  log "ext_proc: edgecache against the protocol floor"
  EXTPROC_MD="$BENCH/target/extproc.md"
  EXTPROC_CMD="java -Xms1g -Xmx1g -cp 'bench/target/classes:bench/target/lib/*' io.edgecache.bench.extproc.ExtProcBenchMain --concurrency $CONNECTIONS --jit-warmup-s $(( (JIT_WARMUP + 5) / 6 )) --warmup-s $WARMUP --duration-s $DURATION --rounds $ROUNDS --crossover-sizes $CROSSOVER_SIZES"
  (cd "$ROOT" && eval "$EXTPROC_CMD --markdown $EXTPROC_MD") >&2
  {
    echo
    echo "### ext_proc: edgecache against the protocol floor"
    echo
    echo "\`$EXTPROC_CMD\`"
    echo
    cat "$EXTPROC_MD"
  } >>"$REPORT"
fi
if part profile; then
  log "profiling the ext_proc hit path"
  PROFILE_CMD="java -Xms1g -Xmx1g -XX:StartFlightRecording=delay=$((JIT_WARMUP + WARMUP))s,duration=${DURATION}s,filename=$BENCH/target/hit.jfr,settings=profile -cp 'bench/target/classes:bench/target/lib/*' io.edgecache.bench.extproc.ExtProcBenchMain --scenarios hit --sizes 1024 --servers edgecache --rounds 1 --open-loop-fraction 0 --concurrency $CONNECTIONS --jit-warmup-s $JIT_WARMUP --warmup-s $WARMUP --duration-s $DURATION"
  (cd "$ROOT" && eval "$PROFILE_CMD") >&2
  {
    echo
    echo "### Profile: ext_proc hit path, 1 KiB, server in the driver's JVM"
    echo
    echo "JFR records only the measured ${DURATION}s (after the JIT warm-up and warm-up)."
    echo
    echo "\`${PROFILE_CMD//$ROOT\//}\` then bench's \`JfrHotFrames --jfr bench/target/hit.jfr --threads grpc-default-worker\` (server threads only)."
    echo
    jfr_summary "$BENCH/target/hit.jfr" grpc-default-worker
  } >>"$REPORT"
fi
if part memory; then
  log "L1 heap per entry"
  MEMORY_CMD="java -Xms2g -Xmx2g -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true -cp 'bench/target/classes:bench/target/lib/*' io.edgecache.bench.memory.L1MemoryMain --entries 1000000"
  {
    echo
    echo "### L1 heap per entry"
    echo
    echo "\`$MEMORY_CMD\`"
    echo
    (cd "$ROOT" && eval "$MEMORY_CMD" 2>/dev/null)
  } >>"$REPORT"
fi
if part jmh; then
  log "JMH microbenchmarks"
  JMH_CMD="java -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main HitPathBenchmarks"
  {
    echo
    echo "### JMH microbenchmarks (average time per call)"
    echo
    echo "\`$JMH_CMD\`"
    echo
    echo '```'
    (cd "$ROOT" && eval "$JMH_CMD") | sed -n '/^Benchmark /,$p'
    echo '```'
    TRACING_CMD="java -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main TracingCostBenchmarks"
    echo
    echo "### Tracing cost on the hit path (1 KiB hit over a real gRPC stream, µs per hit)"
    echo
    echo "\`$TRACING_CMD\`"
    echo
    echo '```'
    (cd "$ROOT" && eval "$TRACING_CMD") | sed -n '/^Benchmark /,$p'
    echo '```'
  } >>"$REPORT"
fi

if part control; then
  log "Control plane: live reconfiguration and purge-to-all-acked"
  RECONFIG_CMD="mvn -B -q -pl tests -am test -Dtest=LiveReconfigurationTest -Dsurefire.failIfNoSpecifiedTests=false"
  PURGE_CMD="mvn -B -q -pl tests -am test -Dtest=PurgeLatencyBenchmark -Dsurefire.failIfNoSpecifiedTests=false"
  {
    echo
    echo "### Control plane (printed by the tests, not asserted)"
    echo
    echo "\`$RECONFIG_CMD\`"
    echo
    echo '```'
    (cd "$ROOT" && eval "$RECONFIG_CMD" >/dev/null 2>&1; \
      grep -h "live reconfiguration" tests/target/surefire-reports/*LiveReconfigurationTest-output.txt)
    echo '```'
    echo
    echo "\`$PURGE_CMD\`"
    echo
    echo '```'
    (cd "$ROOT" && eval "$PURGE_CMD" >/dev/null 2>&1; \
      grep -h "purge-to-all-acked\|REST submit" tests/target/surefire-reports/*PurgeLatencyBenchmark-output.txt)
    echo '```'
  } >>"$REPORT"
fi
if part bursts; then
  log "Bursts under the shipped ext_proc timers"
  BURST_CMD="bench/burst.sh --requests 100 --rounds 3 --client curl"
  {
    echo
    echo "### Bursts: 100 concurrent curl requests for one cold key, 1 s origin, message_timeout 200 ms"
    echo
    echo "Fresh node and edge JVMs; \"cold\" starts as soon as both listen, \"warm-N\" follow on new keys."
    echo "fail-opens is the edge's failure_mode_allowed/message_timeouts delta (its /stats)."
    echo
    echo "\`$BURST_CMD\`"
    echo
    echo '```'
    (cd "$ROOT" && eval "$BURST_CMD" 2>&1) || true
    echo '```'
  } >>"$REPORT"
fi

# Replace the generated section of BENCHMARKS.md (between the markers), keep the rest.
BEGIN_MARK="<!-- generated by bench/run-all.sh: begin -->"
END_MARK="<!-- generated by bench/run-all.sh: end -->"
if [[ ! -f "$OUTPUT" ]] || ! grep -qF "$BEGIN_MARK" "$OUTPUT"; then
  printf '# Benchmarks\n\n%s\n%s\n' "$BEGIN_MARK" "$END_MARK" >>"$OUTPUT"
fi
awk -v begin="$BEGIN_MARK" -v end="$END_MARK" -v report="$REPORT" '
  $0 == begin { print; while ((getline line < report) > 0) print line; skipping = 1; next }
  $0 == end { skipping = 0 }
  !skipping' "$OUTPUT" >"$OUTPUT.tmp" && mv "$OUTPUT.tmp" "$OUTPUT"
rm -f "$REPORT"
log "wrote $OUTPUT"
