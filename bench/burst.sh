#!/usr/bin/env bash
# Issue 18's burst under the shipped ext_proc timers (envoy/envoy.yaml: message_timeout 0.2s,
# max_message_timeout 5s, failure_mode_allow true): starts an ext_proc server and a local-edge
# (fresh JVMs, on their own ports), then BurstMain fires --requests concurrent GETs for one cold
# key to a 1 s origin, in --rounds rounds on fresh keys: round 1 ("cold") right after both
# processes report ready, the next ones ("warm-N") on warm JVMs. Prints per round the origin
# fetches, answers without Cache-Status, the edge's failure_mode_allowed/message_timeouts,
# p50/p99/max and answers by Cache-Status; exits 1 unless every round cost 1 fetch, 0 fail-opens.
#   bench/burst.sh [--requests 100] [--rounds 3] [--client curl|java] [--no-build true]
#                  [--base-port 18200]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/bench/target/burst"
REQUESTS=100 ROUNDS=3 CLIENT=curl NO_BUILD=false BASE_PORT=18200
JAVA_SERVER_OPTS="-Xms512m -Xmx512m"

die() { echo "burst: $*" >&2; exit 1; }
while (($#)); do
  [[ $# -ge 2 ]] || die "flag $1 needs a value"
  case "$1" in
    --requests) REQUESTS="$2" ;;
    --rounds) ROUNDS="$2" ;;
    --client) CLIENT="$2" ;;
    --no-build) NO_BUILD="$2" ;;
    --base-port) BASE_PORT="$2" ;;
    *) die "unknown flag $1 (see the header of $0)" ;;
  esac
  shift 2
done
ORIGIN_PORT=$BASE_PORT EDGE_PORT=$((BASE_PORT + 1)) EXT_PROC_PORT=$((BASE_PORT + 2))
NODE_ADMIN_PORT=$((BASE_PORT + 3)) EDGE_ADMIN_PORT=$((BASE_PORT + 4))
[[ $CLIENT != curl ]] || command -v curl >/dev/null || die "needs curl (apt-get install curl)"

mkdir -p "$RUN"
if [[ $NO_BUILD != true ]]; then
  # Compiled classes and resolved runtime class paths (as the shipped launcher's target/lib: no
  # test-scope jars such as logback or s3proxy); no jars built, nothing installed.
  (cd "$ROOT" && mvn -B -q -DskipTests -pl bench,local-edge -am compile dependency:build-classpath \
    -DincludeScope=runtime "-Dmdep.outputFile=$RUN/cp/\${project.artifactId}.txt") \
    || die "build failed"
fi
cp_of() { echo "$ROOT/$1/target/classes:$(cat "$RUN/cp/$1.txt")"; }

cat >"$RUN/edgecache.yaml" <<YAML
listen: 127.0.0.1:$EXT_PROC_PORT
admin: { listen: 127.0.0.1:$NODE_ADMIN_PORT }
YAML
cat >"$RUN/local-edge.yaml" <<YAML
listen: 127.0.0.1:$EDGE_PORT
admin: 127.0.0.1:$EDGE_ADMIN_PORT
envoyBootstrap: $ROOT/envoy/envoy.yaml
extProcTarget: 127.0.0.1:$EXT_PROC_PORT
routes:
  - host: "*"
    pathPrefix: /
    origin: http://127.0.0.1:$ORIGIN_PORT
YAML

source "$ROOT/bench/processes.sh"

STARTED_AT_MS=$(date +%s%3N)
# shellcheck disable=SC2086
start ext-proc-server "$EXT_PROC_PORT" java $JAVA_SERVER_OPTS -cp "$(cp_of ext-proc-server)" \
  io.edgecache.extproc.Main --config "$RUN/edgecache.yaml"
# shellcheck disable=SC2086
start local-edge "$EDGE_PORT" java $JAVA_SERVER_OPTS -cp "$(cp_of local-edge)" \
  io.edgecache.edge.LocalEdgeMain --config "$RUN/local-edge.yaml"
echo "burst: node and edge ready $(( $(date +%s%3N) - STARTED_AT_MS )) ms after launch;" \
  "$REQUESTS concurrent $CLIENT requests per round, origin 1 s"
java -cp "$(cp_of bench)" io.edgecache.bench.burst.BurstMain \
  --edge "http://127.0.0.1:$EDGE_PORT" --edge-stats "http://127.0.0.1:$EDGE_ADMIN_PORT/stats" \
  --origin-port "$ORIGIN_PORT" --requests "$REQUESTS" --rounds "$ROUNDS" --client "$CLIENT" \
  --started-at-ms "$STARTED_AT_MS"
