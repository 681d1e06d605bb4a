#!/usr/bin/env bash
# deploy/local/services.sh — local backing services for leadflow (dev laptops and CI).
#
#   deploy/local/services.sh up     [kafka|registry|postgres|redis|neo4j ...]   install if missing, start, wait until ready
#   deploy/local/services.sh down   [service ...]                      stop (Kafka: SIGTERM, wait)
#   deploy/local/services.sh status [service ...]                      one line per service
#   deploy/local/services.sh env                                       print the connection env vars
#   deploy/local/services.sh reset  [service ...]                      down + delete that service's data
#
# Without service arguments: kafka, registry, postgres, redis, neo4j. Everything listens on 127.0.0.1 only.
# Progress goes to stderr; `up` and `env` print only `export NAME=value` lines on stdout, so
#   eval "$(deploy/local/services.sh up)"
# starts everything and sets KAFKA_BROKERS / DATABASE_URL / REDIS_URL / NEO4J_URL in the calling shell.
#
# State and caches live in ${LEADFLOW_SERVICES_DIR:-$HOME/.cache/leadflow-services}
# (Kafka and Neo4j jars and data, Redis data, pid and log files). When run as root the PostgreSQL
# data dir must be usable by the `postgres` OS user; if the services dir is not reachable
# by it (e.g. under /root) it goes to /var/lib/leadflow-services/postgres instead.
#
# ---------------------------------------------------------------------------------------
# Kafka version: 4.4.0 (newest kafka_2.13 on Maven Central when checked, Nov 2026), KRaft,
# broker+controller in one JVM, static quorum (controller.quorum.voters, so storage format
# needs no --standalone). Checked with a scratch kafkajs 2.2.4 script against 4.4.0, and
# against 3.9.2 as a reference: all steps PASS on both, nothing needed the 3.9 fallback:
#   admin createTopics (cleanup.policy=compact) / describeConfigs / alterConfigs /
#   createPartitions / fetchTopicOffsets / fetchTopicOffsetsByTimestamp / deleteTopicRecords /
#   deleteTopics / listGroups / describeGroups / resetOffsets / setOffsets / deleteGroups;
#   two consumers in one group (join, 2 -> 1+1 rebalance, consume, leave, 1 -> 2);
#   transactional producer (transactionalId, idempotent, maxInFlightRequests 1):
#   transaction/send/sendOffsets/commit and abort; readUncommitted:false sees committed
#   records only and nothing of an open transaction; fencing: a second producer with the
#   same transactionalId makes the old one fail with KafkaJSProtocolError INVALID_PRODUCER_EPOCH.
# kafkajs negotiates request versions that Kafka 4.x still serves after KIP-896 (e.g. Produce
# v7, Fetch v11, ListOffsets v3, Metadata v6, JoinGroup v5, OffsetCommit v5, InitProducerId v1,
# AddPartitionsToTxn v1, EndTxn v1, TxnOffsetCommit v1), so the broker treats it as a
# "transaction version 1" client. kafkajs quirks seen identically on 3.9.2 and 4.4.0:
#   - fencing shows up as INVALID_PRODUCER_EPOCH (not PRODUCER_FENCED);
#   - admin.deleteTopicRecords throws KafkaJSBrokerNotFound unless admin.fetchTopicMetadata
#     ran for that topic first;
#   - right after commit/abort the next AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS,
#     which kafkajs retries (~100 ms; logged at ERROR level by kafkajs, harmless).
# Broker JVM: Java >= 17 (JAVA_HOME, else java on PATH, else /usr/lib/jvm/*); tested on
# OpenJDK 17.0.15 and Temurin 25.0.3 (25 prints a sun.misc.Unsafe deprecation warning).
# Logging: Kafka logs through slf4j 1.7 and the kafka_2.13 POM brings no binding, so
# kafka/pom.xml adds log4j-slf4j-impl + log4j-core; config/log4j2.properties is generated.
# ---------------------------------------------------------------------------------------
#
# Environment overrides (all optional):
#   LEADFLOW_SERVICES_DIR        state/cache dir (default ~/.cache/leadflow-services)
#   LEADFLOW_KAFKA_VERSION       org.apache.kafka:kafka_2.13 version (default below)
#   LEADFLOW_KAFKA_PORT          broker port (9092);  LEADFLOW_KAFKA_CONTROLLER_PORT (9093)
#   LEADFLOW_KAFKA_HEAP          JVM heap opts (default "-Xms256m -Xmx1g")
#   LEADFLOW_PG_PORT (5432)  LEADFLOW_PG_DB (leadflow)  LEADFLOW_PG_USER (leadflow)  LEADFLOW_PG_PASSWORD (leadflow)
#   LEADFLOW_PG_DIR              PostgreSQL state dir (see above)
#   LEADFLOW_PGVECTOR=0          do not install/create pgvector (else it is built from Debian's
#                                source package when apt has no binary one; see pgvector_from_source)
#   LEADFLOW_PGVECTOR_SUITE      Debian suite whose pgvector source is built (default trixie)
#   LEADFLOW_REDIS_PORT          (6379)
#   LEADFLOW_NEO4J_VERSION       org.neo4j:neo4j version (default below; 5.26.x runs on Java 17)
#   LEADFLOW_NEO4J_PORT          Bolt port (7687)
#   LEADFLOW_NEO4J_HEAP          JVM heap opts (default "-Xms256m -Xmx1g")
#   LEADFLOW_NEO4J_PAGECACHE     page cache size (default 128m)
#   LEADFLOW_READY_TIMEOUT       seconds to wait for each service (default 120)
#   LEADFLOW_KAFKA_CDS=0         do not use/write class-data-sharing archives for the Kafka JVMs
#   JAVA_HOME                    JDK to use (must be >= 17; javac is needed once for the probe)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

SERVICES_DIR="${LEADFLOW_SERVICES_DIR:-$HOME/.cache/leadflow-services}"
HOST=127.0.0.1

KAFKA_VERSION="${LEADFLOW_KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${LEADFLOW_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${LEADFLOW_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${LEADFLOW_KAFKA_HEAP:--Xms256m -Xmx1g}"

PG_PORT="${LEADFLOW_PG_PORT:-5432}"
PG_DB="${LEADFLOW_PG_DB:-leadflow}"
PG_USER="${LEADFLOW_PG_USER:-leadflow}"
PG_PASSWORD="${LEADFLOW_PG_PASSWORD:-leadflow}"

REDIS_PORT="${LEADFLOW_REDIS_PORT:-6379}"

NEO4J_VERSION="${LEADFLOW_NEO4J_VERSION:-5.26.30}"
NEO4J_PORT="${LEADFLOW_NEO4J_PORT:-7687}"
NEO4J_HEAP="${LEADFLOW_NEO4J_HEAP:--Xms256m -Xmx1g}"
NEO4J_PAGECACHE="${LEADFLOW_NEO4J_PAGECACHE:-128m}"

READY_TIMEOUT="${LEADFLOW_READY_TIMEOUT:-120}"

DEFAULT_SERVICES=(kafka registry postgres redis neo4j)
ALL_SERVICES=(kafka registry postgres redis neo4j)

# ----------------------------------------------------------------------------- helpers

log()  { printf '[services] %s\n' "$*" >&2; }
die()  { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s; }

IS_ROOT=0; [[ "$(id -u)" == 0 ]] && IS_ROOT=1

as_root() {
  if (( IS_ROOT )); then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install it yourself or run as root)"
  fi
}

# True if we can run things as root without a password prompt (used for optional installs).
can_root_quietly() { (( IS_ROOT )) || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get on this machine: please install it"
  if (( ! APT_UPDATED )); then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq -o DPkg::Lock::Timeout=300 >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  local aptlog; aptlog="$(mktemp)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "$@" >"$aptlog" 2>&1 \
    || { cat "$aptlog" >&2; rm -f "$aptlog"; die "apt-get install $* failed"; }
  rm -f "$aptlog"
}

# apt_has_candidate PKG: true if apt can install PKG (after one apt-get update).
apt_has_candidate() {
  command -v apt-cache >/dev/null 2>&1 || return 1
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [[ -z "$c" || "$c" == "(none)" ]] && (( ! APT_UPDATED )) && can_root_quietly; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    APT_UPDATED=1
    c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  fi
  [[ -n "$c" && "$c" != "(none)" ]]
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid_alive PIDFILE PATTERN: prints the pid if the process in PIDFILE is alive and its
# command line contains PATTERN (guards against pid reuse after a reboot).
pid_alive() {
  local pidfile="$1" pattern="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  ps -p "$pid" -o args= 2>/dev/null | grep -qF -- "$pattern" || return 1
  printf '%s' "$pid"
}

# stop_pid PIDFILE PATTERN NAME TIMEOUT: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pidfile="$1" pattern="$2" name="$3" timeout="$4" pid i
  if ! pid="$(pid_alive "$pidfile" "$pattern")"; then
    rm -f "$pidfile"; log "$name: not running"; return 0
  fi
  log "$name: stopping (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "$name: stopped"; return 0; }
    sleep 0.1
  done
  log "$name: did not stop within ${timeout}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
  rm -f "$pidfile"
  return 3
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@" | awk '{print $1}'
  else shasum -a 256 "$@" | awk '{print $1}'; fi
}

# ----------------------------------------------------------------------------- java / maven

JAVA=""; JAVAC=""; JAVA_ID=""
java_major() {  # java_major /path/to/java -> 17
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version =/ {print $2; exit}' | cut -d. -f1
}
ensure_java() {
  [[ -n "$JAVA" ]] && return 0
  local cand m
  for cand in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n "$cand" && -x "$cand" ]] || continue
    m="$(java_major "$cand" || true)"
    if [[ -n "$m" ]] && (( m >= 17 )) && [[ -x "$(dirname "$cand")/javac" ]]; then
      JAVA="$cand"; JAVAC="$(dirname "$cand")/javac"; break
    fi
  done
  if [[ -z "$JAVA" ]]; then
    apt_install openjdk-17-jdk-headless
    JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
    [[ -x "$JAVA" ]] || JAVA="$(ls -d /usr/lib/jvm/java-17-openjdk-*/bin/java | head -1)"
    JAVAC="$(dirname "$JAVA")/javac"
  fi
  [[ -x "$JAVA" && -x "$JAVAC" ]] || die "no JDK >= 17 found (set JAVA_HOME)"
  # Exact JVM build, used to key class-data-sharing archives (a JDK update invalidates them).
  JAVA_ID="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.vm.version =/ {printf "%s", $2; exit}' | tr -c 'A-Za-z0-9._-' '_')"
}

ensure_maven() {
  command -v mvn >/dev/null 2>&1 || apt_install maven
}

# ----------------------------------------------------------------------------- kafka

KAFKA_BASE="$SERVICES_DIR/kafka"
KAFKA_HOME="$KAFKA_BASE/$KAFKA_VERSION"      # libs/ (jars), data/, config/, logs/
KAFKA_PIDFILE="$KAFKA_BASE/kafka.pid"        # shared by all versions: at most one broker
KAFKA_PID_PATTERN="kafka.Kafka"

kafka_fetch() {
  local libs="$KAFKA_HOME/libs"
  [[ -f "$libs/.complete" ]] && return 0
  ensure_java; ensure_maven
  log "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION + runtime deps from Maven Central"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp" "$KAFKA_HOME"
  JAVA_HOME="$(dirname "$(dirname "$JAVA")")" mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" \
    dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/maven.log" 2>&1 \
    || { cat "$KAFKA_HOME/maven.log" >&2; rm -rf "$tmp"; die "kafka: maven could not fetch kafka_2.13:$KAFKA_VERSION"; }
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "kafka: kafka jar missing after fetch"; }
  touch "$tmp/.complete"
  rm -rf "$libs"; mv "$tmp" "$libs"
}

# Compiles deploy/local/kafka/KafkaReady.java once per (source, version) into the cache.
# (a jar, not a class dir: class-data sharing refuses non-empty directories on the classpath)
KAFKA_PROBE_JAR=""
kafka_probe_build() {
  local src="$SCRIPT_DIR/kafka/KafkaReady.java" h tmp
  h="$(sha256_of "$src" | cut -c1-12)"
  KAFKA_PROBE_JAR="$KAFKA_HOME/probe/kafka-ready-$h.jar"
  [[ -f "$KAFKA_PROBE_JAR" ]] && return 0
  ensure_java
  rm -rf "$KAFKA_HOME/probe"; tmp="$KAFKA_HOME/probe/classes"; mkdir -p "$tmp"
  "$JAVAC" -nowarn -cp "$KAFKA_HOME/libs/*" -d "$tmp" "$src" >&2
  "$(dirname "$JAVAC")/jar" cf "$KAFKA_PROBE_JAR.tmp" -C "$tmp" . && mv "$KAFKA_PROBE_JAR.tmp" "$KAFKA_PROBE_JAR"
  rm -rf "$tmp"
}

# Class-data sharing (AppCDS) cuts JVM start-up roughly in half for the broker (~9 s -> ~5 s
# on 2 cores) and the probe (~2.7 s -> ~1.5 s). JDK 17 can only write a dynamic archive when
# a JVM exits normally: the first run gets -XX:ArchiveClassesAtExit=<name>.jsa.tmp, and once
# that JVM has exited cleanly (probe: exit 0; broker: stopped by `down` without SIGKILL) the
# .tmp is promoted to <name>.jsa and later runs map it. A stale or foreign archive only
# makes the JVM fall back to normal class loading. Disable with LEADFLOW_KAFKA_CDS=0.
kafka_cds_flags() {  # kafka_cds_flags NAME -> JVM flags (one per line)
  [[ "${LEADFLOW_KAFKA_CDS:-1}" == 1 ]] || return 0
  local jsa="$KAFKA_HOME/cds/$1-$JAVA_ID.jsa"
  mkdir -p "$KAFKA_HOME/cds"
  printf '%s\n' -Xlog:cds=off -Xlog:cds+dynamic=off
  if [[ -s "$jsa" ]]; then
    printf '%s\n' "-XX:SharedArchiveFile=$jsa"
  else
    rm -f "$jsa.tmp"
    printf '%s\n' "-XX:ArchiveClassesAtExit=$jsa.tmp"
  fi
}
kafka_cds_promote() {  # kafka_cds_promote NAME  (after a clean exit)
  local jsa="$KAFKA_HOME/cds/$1-$JAVA_ID.jsa"
  [[ -s "$jsa.tmp" ]] && mv -f "$jsa.tmp" "$jsa"
  return 0
}

kafka_write_config() {
  local cfg="$KAFKA_HOME/config"
  mkdir -p "$cfg" "$KAFKA_HOME/logs"
  cat >"$cfg/server.properties" <<EOF
# Generated by deploy/local/services.sh — single-node KRaft (broker + controller in one JVM).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_HOME/data

# Single node: internal topics must not ask for more replicas than there are brokers,
# otherwise consumer groups / transactions fail with COORDINATOR_NOT_AVAILABLE forever.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Fewer internal partitions: creating/loading 50 partitions each for __consumer_offsets
# and __transaction_state costs seconds on first use; tests don't need the spread.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4

# Fast tests: no 3 s wait before the first rebalance of a new group; allow short
# session timeouts in tests (broker default minimum is 6 s).
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# Topics are created explicitly (by the app / tests), never by a typo'd produce or fetch.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
auto.leader.rebalance.enable=false

# Small machine (2 cores in CI).
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  cat >"$cfg/log4j2.properties" <<'EOF'
# Broker logging (log4j2 via log4j-slf4j-impl). Rolling file, nothing on stdout.
status = warn
name = leadflow-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
EOF
  cat >"$cfg/log4j2-probe.properties" <<'EOF'
# Readiness probe: only warnings and errors, to stderr.
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [probe] %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.err.ref = ERR
EOF
}

kafka_random_cluster_id() {
  # Kafka cluster ids are 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints).
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { printf '%s' "$id"; return; }
  done
}

kafka_java() {  # kafka_java MAINCLASS ARGS... (foreground)
  "$JAVA" -Dlog4j2.configurationFile="$KAFKA_HOME/config/log4j2.properties" \
    -Dkafka.logs.dir="$KAFKA_HOME/logs" -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_probe() {
  local cds=(); mapfile -t cds < <(kafka_cds_flags probe)
  "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${cds[@]}" \
    -Dlog4j2.configurationFile="$KAFKA_HOME/config/log4j2-probe.properties" \
    -cp "$KAFKA_HOME/libs/*:$KAFKA_PROBE_JAR" KafkaReady "$HOST:$KAFKA_PORT" "$1" \
    && kafka_cds_promote probe
}

# Phases (see main): kafka_install (jars), kafka_start (format + launch, no waiting),
# kafka_wait (readiness probe). Postgres and Redis start while the broker boots.
KAFKA_T0=0
KAFKA_FETCH_PID=""
kafka_install() {
  ensure_java
  if [[ ! -f "$KAFKA_HOME/libs/.complete" ]]; then
    ensure_maven
    # Network-bound (~20-30 s cold): let it run while the other services' packages install.
    kafka_fetch &
    KAFKA_FETCH_PID=$!
  fi
}

kafka_start() {
  local pid
  if [[ -n "$KAFKA_FETCH_PID" ]]; then
    wait "$KAFKA_FETCH_PID" || exit 1   # kafka_fetch already printed why
    KAFKA_FETCH_PID=""
  fi
  kafka_fetch   # no-op when complete
  KAFKA_T0="$(now)"
  kafka_write_config
  if pid="$(pid_alive "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN")"; then
    if ! ps -p "$pid" -o args= | grep -qF -- "$KAFKA_HOME/"; then
      die "kafka: a broker of another version or services dir is running (pid $pid); run 'down kafka' with the settings that started it"
    fi
    log "kafka: already running (pid $pid)"
    return 0
  fi
  rm -f "$KAFKA_PIDFILE"
  port_open "$KAFKA_PORT" && die "kafka: port $HOST:$KAFKA_PORT is in use by another process"
  port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is in use by another process"
  if [[ ! -f "$KAFKA_HOME/data/meta.properties" ]]; then
    local cid; cid="$(kafka_random_cluster_id)"
    log "kafka: formatting storage (cluster id $cid)"
    mkdir -p "$KAFKA_HOME/data"
    # Static quorum (controller.quorum.voters), so no --standalone/--initial-controllers needed.
    kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_HOME/config/server.properties" --ignore-formatted \
      >"$KAFKA_HOME/logs/format.log" 2>&1 || { cat "$KAFKA_HOME/logs/format.log" >&2; die "kafka: storage format failed"; }
  fi
  log "kafka: starting $KAFKA_VERSION on $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT, $("$JAVA" -version 2>&1 | head -1))"
  local setsid=(); command -v setsid >/dev/null 2>&1 && setsid=(setsid)
  local cds=(); mapfile -t cds < <(kafka_cds_flags broker)
  # Every partition holds open segment files and every client a socket: a test suite that makes
  # thousands of topics exhausts a default limit, and the broker then stops accepting connections.
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  # Same JVM flags as Kafka's kafka-run-class.sh. setsid: survives Ctrl-C in the calling terminal.
  # shellcheck disable=SC2086
  "${setsid[@]}" nohup "$JAVA" $KAFKA_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true "${cds[@]}" \
    -Dlog4j2.configurationFile="$KAFKA_HOME/config/log4j2.properties" -Dkafka.logs.dir="$KAFKA_HOME/logs" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_HOME/config/server.properties" \
    >"$KAFKA_HOME/logs/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_PIDFILE"
}

kafka_wait() {
  local pid probe rc
  (( KAFKA_T0 )) || KAFKA_T0="$(now)"
  kafka_probe_build   # javac, cached; runs while the broker boots
  pid="$(pid_alive "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN")" || kafka_died
  # The probe retries by itself until READY_TIMEOUT; meanwhile make sure the broker is alive.
  kafka_probe "$READY_TIMEOUT" >&2 &
  probe=$!
  while kill -0 "$probe" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then kill "$probe" 2>/dev/null || true; wait "$probe" 2>/dev/null || true; kafka_died; fi
    sleep 0.2
  done
  rc=0; wait "$probe" || rc=$?
  (( rc == 0 )) || die "kafka: not ready after ${READY_TIMEOUT}s (logs in $KAFKA_HOME/logs)"
  log "kafka: ready on $HOST:$KAFKA_PORT ($(( $(now) - KAFKA_T0 ))s)"
}

kafka_died() {
  tail -n 30 "$KAFKA_HOME/logs/kafka.out" "$KAFKA_HOME/logs/server.log" >&2 2>/dev/null || true
  rm -f "$KAFKA_PIDFILE"
  die "kafka: broker process exited during startup (logs in $KAFKA_HOME/logs)"
}

kafka_down() {
  local rc=0 pid archiving=""
  if pid="$(pid_alive "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN")" && ps -p "$pid" -o args= | grep -q ArchiveClassesAtExit; then
    archiving=1; log "kafka: this broker writes its class-data archive on exit (first stop only, a few seconds)"
  fi
  stop_pid "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN" kafka 90 || rc=$?
  if [[ -n "$archiving" ]]; then
    local f
    # promote only after a clean exit; after SIGKILL the archive may be truncated
    for f in "$KAFKA_BASE"/*/cds/broker-*.jsa.tmp; do
      [[ -e "$f" ]] || continue
      if (( rc == 0 )); then mv -f "$f" "${f%.tmp}"; else rm -f "$f"; fi
    done
  fi
  return 0
}

kafka_status() {
  local pid v=""
  if pid="$(pid_alive "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN")" && port_open "$KAFKA_PORT"; then
    v="$(ps -p "$pid" -o args= | grep -oE 'kafka/[0-9][^/ ]*/libs' | head -1 | cut -d/ -f2 || true)"
    printf '%-9s up    %s:%s  (pid %s, kafka %s, controller :%s)\n' kafka "$HOST" "$KAFKA_PORT" "$pid" "${v:-?}" "$KAFKA_CONTROLLER_PORT"
  else
    printf '%-9s down  %s:%s\n' kafka "$HOST" "$KAFKA_PORT"
  fi
}

kafka_reset() { kafka_down; log "kafka: deleting data of all versions under $KAFKA_BASE"; rm -rf "$KAFKA_BASE"/*/data; }

# ----------------------------------------------------------------------------- postgres

PG_BIN=""
pg_find_bin() {
  local d
  PG_BIN=""
  # Debian/Ubuntu server binaries (newest major first); /usr/local/bin/pg_ctl on the
  # CI image is only a symlink into /usr/lib/postgresql/15/bin.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    [[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && { PG_BIN="$d"; return 0; }
  done
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    [[ -n "$d" && -x "$d/postgres" && -x "$d/initdb" ]] && { PG_BIN="$d"; return 0; }
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    PG_BIN="$(dirname "$(command -v initdb)")"; return 0
  fi
  return 1
}

ensure_postgres_installed() {
  pg_find_bin && return 0
  # Debian 12 ships PostgreSQL 15 as `postgresql`; install only the server (+ client).
  apt_install postgresql
  pg_find_bin || die "postgres: server binaries not found after install"
}

pg_major() { "$PG_BIN/postgres" --version | grep -oE '[0-9]+' | head -1; }

# Runs as the OS user that owns the cluster: `postgres` when we are root (postgres
# refuses to run as root), otherwise the current user.
PG_OS_USER="$(id -un)"; (( IS_ROOT )) && PG_OS_USER=postgres
pg_as() {
  if (( IS_ROOT )); then (cd / && runuser -u postgres -- "$@")
  else "$@"; fi
}

PG_BASE=""
pg_resolve_dir() {
  [[ -n "$PG_BASE" ]] && return 0
  if [[ -n "${LEADFLOW_PG_DIR:-}" ]]; then PG_BASE="$LEADFLOW_PG_DIR"; return 0; fi
  PG_BASE="$SERVICES_DIR/postgres"
  if (( IS_ROOT )); then
    id postgres >/dev/null 2>&1 || die "postgres: OS user 'postgres' missing (install the postgresql package)"
    # postgres must be able to reach its data dir; e.g. /root is mode 700.
    if ! (cd / && runuser -u postgres -- test -x "$SERVICES_DIR") 2>/dev/null; then
      PG_BASE="/var/lib/leadflow-services/postgres"
    fi
  fi
}

pg_paths() {
  pg_resolve_dir
  PG_DATA="$PG_BASE/data"; PG_SOCK="$PG_BASE/run"; PG_LOG="$PG_BASE/postgres.log"
}

pg_psql_super() {  # psql as cluster superuser over the private unix socket
  pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_OS_USER" "$@"
}

pg_ensure_pgvector() {
  [[ "${LEADFLOW_PGVECTOR:-1}" == 0 ]] && return 1
  local major share libdir; major="$(pg_major)"
  share="$("$PG_BIN/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$major")"
  libdir="$("$PG_BIN/pg_config" --pkglibdir 2>/dev/null || echo "/usr/lib/postgresql/$major/lib")"
  [[ -f "$share/extension/vector.control" && -f "$libdir/vector.so" ]] && return 0
  if command -v apt-get >/dev/null 2>&1 && can_root_quietly && apt_has_candidate "postgresql-$major-pgvector"; then
    apt_install "postgresql-$major-pgvector"
  else
    pgvector_from_source "$major"
  fi
  [[ -f "$share/extension/vector.control" && -f "$libdir/vector.so" ]] \
    || die "postgres: pgvector did not install (set LEADFLOW_PGVECTOR=0 to run without it)"
}

# Debian 12 has no pgvector package for PostgreSQL 15 (and the PGDG repo is out of reach), but
# Debian's source package builds against it. apt-get fetches it through a private sources list and
# lists dir, so the system's apt state is left alone. The build is staged in the services dir:
# a later `up` that finds the extension missing copies it back without building (~30 s saved).
PGVECTOR_SUITE="${LEADFLOW_PGVECTOR_SUITE:-trixie}"
pgvector_from_source() {  # pgvector_from_source MAJOR
  local major="$1" base="$SERVICES_DIR/pgvector"
  local stage="$base/pg$major"
  if [[ ! -f "$stage/.complete" ]]; then
    [[ -f "$("$PG_BIN/pg_config" --includedir-server)/postgres.h" ]] || apt_install "postgresql-server-dev-$major"
    command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || apt_install build-essential
    local orig; orig="$(ls "$base"/src/pgvector_*.orig.tar.gz 2>/dev/null | sort -V | tail -1 || true)"
    if [[ -z "$orig" ]]; then
      log "postgres: fetching Debian's pgvector source package ($PGVECTOR_SUITE)"
      mkdir -p "$base/apt/lists/partial" "$base/apt/cache/archives/partial" "$base/src"
      printf 'deb-src http://deb.debian.org/debian %s main\n' "$PGVECTOR_SUITE" >"$base/apt/sources.list"
      local apt_opts=(-qq -o "Dir::Etc::sourcelist=$base/apt/sources.list" -o Dir::Etc::sourceparts=-
        -o "Dir::State::Lists=$base/apt/lists" -o "Dir::Cache=$base/apt/cache")
      (( IS_ROOT )) && apt_opts+=(-o APT::Sandbox::User=root)
      apt-get "${apt_opts[@]}" update >&2 || die "postgres: apt-get update for the $PGVECTOR_SUITE sources failed"
      (cd "$base/src" && apt-get "${apt_opts[@]}" source --download-only pgvector >&2) \
        || die "postgres: could not download the pgvector source package"
      orig="$(ls "$base"/src/pgvector_*.orig.tar.gz | sort -V | tail -1)"
    fi
    local version build
    version="$(basename "$orig" .orig.tar.gz)"; version="${version#pgvector_}"
    log "postgres: building pgvector $version for PostgreSQL $major"
    build="$(mktemp -d)"
    rm -rf "$stage.tmp"
    tar -xzf "$orig" -C "$build"
    # OPTFLAGS="": pgvector defaults to -march=native, which ties the build to this CPU.
    make -C "$build/pgvector-$version" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >"$base/build.log" 2>&1 \
      && make -C "$build/pgvector-$version" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" DESTDIR="$stage.tmp/root" install >>"$base/build.log" 2>&1 \
      || { tail -n 20 "$base/build.log" >&2; rm -rf "$build" "$stage.tmp"; die "postgres: pgvector build failed (log $base/build.log)"; }
    rm -rf "$build" "$stage"
    printf '%s\n' "$version" >"$stage.tmp/version"
    touch "$stage.tmp/.complete"
    mv "$stage.tmp" "$stage"
  fi
  log "postgres: installing pgvector $(cat "$stage/version") (built in $stage)"
  as_root cp -R --preserve=mode,timestamps "$stage/root/." /
}

pg_running() { [[ -f "$PG_DATA/postmaster.pid" ]] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

PG_HAVE_VECTOR=0
postgres_install() {
  ensure_postgres_installed
  PG_HAVE_VECTOR=0; pg_ensure_pgvector && PG_HAVE_VECTOR=1
  return 0
}

postgres_start() {
  local t0; t0="$(now)"
  local have_vector="$PG_HAVE_VECTOR"
  pg_paths
  mkdir -p "$PG_BASE"
  (( IS_ROOT )) && chown postgres: "$PG_BASE"
  pg_as mkdir -p "$PG_SOCK"; pg_as chmod 700 "$PG_SOCK"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb ($PG_BIN, data $PG_DATA)"
    rm -rf "$PG_DATA"
    pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_OS_USER" -E UTF8 --locale=C --no-sync \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_BASE/initdb.log" 2>&1 \
      || { cat "$PG_BASE/initdb.log" >&2; die "postgres: initdb failed"; }
  elif [[ "$(cat "$PG_DATA/PG_VERSION")" != "$(pg_major)" ]]; then
    die "postgres: $PG_DATA is from PostgreSQL $(cat "$PG_DATA/PG_VERSION"), binaries are $(pg_major); run '$0 reset postgres'"
  fi
  if pg_running; then
    log "postgres: already running"
  else
    port_open "$PG_PORT" && die "postgres: port $HOST:$PG_PORT is in use by another process (a system cluster? try: pg_lsclusters / pg_ctlcluster <ver> main stop)"
    log "postgres: starting on $HOST:$PG_PORT"
    # Test-only durability settings: fsync/full_page_writes off make schema setup and
    # test suites much faster; a crash can corrupt this throwaway cluster (use reset).
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" -s \
      -o "-c listen_addresses=$HOST -c port=$PG_PORT -c unix_socket_directories=$PG_SOCK -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >&2 9>&- || { tail -n 30 "$PG_LOG" >&2 || true; die "postgres: failed to start (log $PG_LOG)"; }
  fi
  local deadline=$(( $(now) + READY_TIMEOUT ))
  until "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT"; do
    (( $(now) < deadline )) || die "postgres: pg_isready failed for ${READY_TIMEOUT}s"
    sleep 0.2
  done
  # Role + database, idempotent; the password is (re)set from the environment each time.
  pg_psql_super -d postgres -v u="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'u', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  if (( have_vector )); then
    pg_psql_super -d "$PG_DB" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2
  fi
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
    -c 'SELECT 1' >/dev/null || die "postgres: query as $PG_USER@$PG_DB failed"
  local ext=""; (( have_vector )) && ext=", vector extension"
  log "postgres: ready on $HOST:$PG_PORT (db $PG_DB, user $PG_USER$ext; $(( $(now) - t0 ))s)"
}
postgres_wait() { :; }   # postgres_start already waited (pg_ctl -w + pg_isready + query)

postgres_down() {
  pg_find_bin || { log "postgres: not installed"; return 0; }
  pg_paths
  if [[ -f "$PG_DATA/postmaster.pid" ]] && pg_running; then
    log "postgres: stopping (fast shutdown)"
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop >&2
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
}

postgres_status() {
  if pg_find_bin && "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" 2>/dev/null; then
    pg_paths
    local mine="not started by this script"
    pg_running && mine="pid $(head -1 "$PG_DATA/postmaster.pid"), PostgreSQL $(pg_major), data $PG_DATA"
    printf '%-9s up    %s:%s  (%s)\n' postgres "$HOST" "$PG_PORT" "$mine"
  else
    printf '%-9s down  %s:%s\n' postgres "$HOST" "$PG_PORT"
  fi
}

postgres_reset() { postgres_down; pg_paths; log "postgres: deleting $PG_DATA"; rm -rf "$PG_DATA"; }

# ----------------------------------------------------------------------------- redis

REDIS_DIR="$SERVICES_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_PID_PATTERN="redis-server"

redis_cli() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }

redis_install() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server
  fi
}

redis_start() {
  local t0 pid; t0="$(now)"
  mkdir -p "$REDIS_DIR/data"
  if pid="$(pid_alive "$REDIS_PIDFILE" "$REDIS_PID_PATTERN")"; then
    log "redis: already running (pid $pid)"
  else
    port_open "$REDIS_PORT" && die "redis: port $HOST:$REDIS_PORT is in use by another process (the system redis-server service? stop it or set LEADFLOW_REDIS_PORT)"
    log "redis: starting on $HOST:$REDIS_PORT"
    # No persistence: this is a cache/test instance.
    redis-server --daemonize yes --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
      --pidfile "$REDIS_PIDFILE" --dir "$REDIS_DIR/data" --logfile "$REDIS_DIR/redis.log" \
      --save '' --appendonly no >&2 9>&- || die "redis: failed to start (log $REDIS_DIR/redis.log)"
  fi
  local deadline=$(( $(now) + READY_TIMEOUT ))
  until [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; do
    (( $(now) < deadline )) || die "redis: no PONG after ${READY_TIMEOUT}s (log $REDIS_DIR/redis.log)"
    sleep 0.1
  done
  log "redis: ready on $HOST:$REDIS_PORT ($(( $(now) - t0 ))s)"
}
redis_wait() { :; }      # redis_start already waited for PONG

redis_down() { stop_pid "$REDIS_PIDFILE" "$REDIS_PID_PATTERN" redis 30 || true; }

redis_status() {
  local pid
  if command -v redis-cli >/dev/null 2>&1 && [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; then
    if pid="$(pid_alive "$REDIS_PIDFILE" "$REDIS_PID_PATTERN")"; then
      printf '%-9s up    %s:%s  (pid %s)\n' redis "$HOST" "$REDIS_PORT" "$pid"
    else
      printf '%-9s up    %s:%s  (not started by this script)\n' redis "$HOST" "$REDIS_PORT"
    fi
  else
    printf '%-9s down  %s:%s\n' redis "$HOST" "$REDIS_PORT"
  fi
}

redis_reset() { redis_down; rm -rf "$REDIS_DIR/data"; }

# ----------------------------------------------------------------------------- neo4j
# Neo4j Community 5.26 (LTS), embedded in a small launcher (neo4j/Neo4jServer.java) that serves
# Bolt: org.neo4j:neo4j brings the Bolt connector (neo4j-bolt), so the jars from Maven Central
# are the whole server (~125 MB, 210 jars; ~40 s to fetch cold). Loopback only, auth disabled
# (a local dev/test instance): NEO4J_URL=bolt://127.0.0.1:7687, no user or password.
# 5.26 supports Java 17 and 21; Java 25 also runs it (checked) with an "unsupported Java" warning
# in debug.log. The 2025.x+ calendar releases need Java 21.
# Layout: $NEO4J_HOME/libs (jars), launcher/ (compiled launcher), conf/neo4j.conf (written on
# every start), server/ (the DBMS home: data/ and logs/debug.log), neo4j.out (stdout/stderr).

NEO4J_BASE="$SERVICES_DIR/neo4j"
NEO4J_HOME="$NEO4J_BASE/$NEO4J_VERSION"
NEO4J_PIDFILE="$NEO4J_BASE/neo4j.pid"        # shared by all versions: at most one server
NEO4J_PID_PATTERN="Neo4jServer"
NEO4J_READY="$NEO4J_HOME/server/ready"       # written by the launcher once the database answers

neo4j_fetch() {
  local libs="$NEO4J_HOME/libs"
  [[ -f "$libs/.complete" ]] && return 0
  ensure_java; ensure_maven
  log "neo4j: fetching org.neo4j:neo4j:$NEO4J_VERSION + runtime deps from Maven Central"
  local tmp="$NEO4J_HOME/libs.tmp.$$" repo="$NEO4J_HOME/m2.tmp.$$"
  rm -rf "$tmp" "$repo"; mkdir -p "$tmp" "$NEO4J_HOME"
  # A private local repository: this fetch runs while other services' Maven fetches may run,
  # and Maven 3.8 does not lock a shared ~/.m2. The jars end up in libs/, so it is deleted after.
  JAVA_HOME="$(dirname "$(dirname "$JAVA")")" mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/neo4j/pom.xml" \
    dependency:copy-dependencies -Dneo4j.version="$NEO4J_VERSION" -Dmaven.repo.local="$repo" \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$NEO4J_HOME/maven.log" 2>&1 \
    || { cat "$NEO4J_HOME/maven.log" >&2; rm -rf "$tmp" "$repo"; die "neo4j: maven could not fetch org.neo4j:neo4j:$NEO4J_VERSION"; }
  rm -rf "$repo"
  ls "$tmp"/neo4j-bolt-"$NEO4J_VERSION".jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "neo4j: neo4j-bolt jar missing after fetch"; }
  touch "$tmp/.complete"
  rm -rf "$libs"; mv "$tmp" "$libs"
}

# Compiles deploy/local/neo4j/Neo4jServer.java once per (source, version) into the cache.
NEO4J_LAUNCHER_JAR=""
neo4j_launcher_build() {
  local src="$SCRIPT_DIR/neo4j/Neo4jServer.java" h tmp
  h="$(sha256_of "$src" | cut -c1-12)"
  NEO4J_LAUNCHER_JAR="$NEO4J_HOME/launcher/neo4j-server-$h.jar"
  [[ -f "$NEO4J_LAUNCHER_JAR" ]] && return 0
  ensure_java
  rm -rf "$NEO4J_HOME/launcher"; tmp="$NEO4J_HOME/launcher/classes"; mkdir -p "$tmp"
  "$JAVAC" -nowarn -cp "$NEO4J_HOME/libs/*" -d "$tmp" "$src" >&2
  "$(dirname "$JAVAC")/jar" cf "$NEO4J_LAUNCHER_JAR.tmp" -C "$tmp" . && mv "$NEO4J_LAUNCHER_JAR.tmp" "$NEO4J_LAUNCHER_JAR"
  rm -rf "$tmp"
}

neo4j_write_config() {
  mkdir -p "$NEO4J_HOME/conf" "$NEO4J_HOME/server"
  cat >"$NEO4J_HOME/conf/neo4j.conf" <<CONF
# Generated by deploy/local/services.sh on every start; edit the script, not this file.
server.bolt.enabled=true
server.bolt.listen_address=$HOST:$NEO4J_PORT
server.bolt.advertised_address=$HOST:$NEO4J_PORT
server.bolt.tls_level=DISABLED
# Loopback-only dev/test instance: no credentials to manage (the driver connects without auth).
dbms.security.auth_enabled=false
server.http.enabled=false
server.https.enabled=false
server.memory.pagecache.size=$NEO4J_PAGECACHE
dbms.usage_report.enabled=false
db.tx_log.rotation.retention_policy=2 files
CONF
}

NEO4J_T0=0
NEO4J_FETCH_PID=""
neo4j_install() {
  ensure_java
  if [[ ! -f "$NEO4J_HOME/libs/.complete" ]]; then
    ensure_maven
    # Network-bound: runs while the other services install and start.
    neo4j_fetch &
    NEO4J_FETCH_PID=$!
  fi
}

neo4j_start() {
  local pid
  if [[ -n "$NEO4J_FETCH_PID" ]]; then
    wait "$NEO4J_FETCH_PID" || exit 1   # neo4j_fetch already printed why
    NEO4J_FETCH_PID=""
  fi
  neo4j_fetch   # no-op when complete
  neo4j_launcher_build
  NEO4J_T0="$(now)"
  if pid="$(pid_alive "$NEO4J_PIDFILE" "$NEO4J_PID_PATTERN")"; then
    if ! ps -p "$pid" -o args= | grep -qF -- "$NEO4J_HOME/"; then
      die "neo4j: a server of another version or services dir is running (pid $pid); run 'down neo4j' with the settings that started it"
    fi
    log "neo4j: already running (pid $pid)"
    return 0
  fi
  rm -f "$NEO4J_PIDFILE" "$NEO4J_READY"
  port_open "$NEO4J_PORT" && die "neo4j: port $HOST:$NEO4J_PORT is in use by another process"
  neo4j_write_config
  log "neo4j: starting $NEO4J_VERSION on bolt://$HOST:$NEO4J_PORT ($("$JAVA" -version 2>&1 | head -1))"
  local setsid=(); command -v setsid >/dev/null 2>&1 && setsid=(setsid)
  # JVM flags from Neo4j's own launcher that matter here: the add-opens let the page cache and
  # Netty use direct buffers without the slower fallbacks.
  # shellcheck disable=SC2086
  "${setsid[@]}" nohup "$JAVA" $NEO4J_HEAP -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -Djava.awt.headless=true \
    -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true -Dlog4j2.disable.jmx=true \
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    -cp "$NEO4J_HOME/libs/*:$NEO4J_LAUNCHER_JAR" Neo4jServer "$NEO4J_HOME/server" "$NEO4J_HOME/conf/neo4j.conf" "$NEO4J_READY" \
    >"$NEO4J_HOME/neo4j.out" 2>&1 </dev/null 9>&- &
  echo $! >"$NEO4J_PIDFILE"
}

neo4j_wait() {
  local pid deadline
  (( NEO4J_T0 )) || NEO4J_T0="$(now)"
  pid="$(pid_alive "$NEO4J_PIDFILE" "$NEO4J_PID_PATTERN")" || neo4j_died
  deadline=$(( $(now) + READY_TIMEOUT ))
  until [[ -f "$NEO4J_READY" ]] && port_open "$NEO4J_PORT"; do
    kill -0 "$pid" 2>/dev/null || neo4j_died
    (( $(now) < deadline )) || die "neo4j: not ready after ${READY_TIMEOUT}s (logs: $NEO4J_HOME/neo4j.out, $NEO4J_HOME/server/logs/debug.log)"
    sleep 0.2
  done
  log "neo4j: ready on bolt://$HOST:$NEO4J_PORT ($(( $(now) - NEO4J_T0 ))s)"
}

neo4j_died() {
  tail -n 30 "$NEO4J_HOME/neo4j.out" "$NEO4J_HOME/server/logs/debug.log" >&2 2>/dev/null || true
  rm -f "$NEO4J_PIDFILE"
  die "neo4j: server process exited during startup (logs in $NEO4J_HOME)"
}

# Shutdown checkpoints the store; Netty's graceful stop of the Bolt server alone takes ~10 s.
neo4j_down() { stop_pid "$NEO4J_PIDFILE" "$NEO4J_PID_PATTERN" neo4j 90 || true; }

neo4j_status() {
  local pid v=""
  if pid="$(pid_alive "$NEO4J_PIDFILE" "$NEO4J_PID_PATTERN")" && port_open "$NEO4J_PORT"; then
    v="$(ps -p "$pid" -o args= | grep -oE 'neo4j/[0-9][^/ ]*/libs' | head -1 | cut -d/ -f2 || true)"
    printf '%-9s up    %s:%s  (pid %s, neo4j %s, bolt, no auth)\n' neo4j "$HOST" "$NEO4J_PORT" "$pid" "${v:-?}"
  else
    printf '%-9s down  %s:%s\n' neo4j "$HOST" "$NEO4J_PORT"
  fi
}

neo4j_reset() { neo4j_down; log "neo4j: deleting data of all versions under $NEO4J_BASE"; rm -rf "$NEO4J_BASE"/*/server; }

# ----------------------------------------------------------------------------- registry
# Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7), managed by its own scripts in
# deploy/local/registry/ (they fetch the distribution from Maven Central and pick the Java to run it).
REGISTRY_PORT="${LEADFLOW_REGISTRY_PORT:-8081}"
REGISTRY_DIR="$SCRIPT_DIR/registry"

registry_install() { :; }   # start.sh fetches on first use
registry_start()   { "$REGISTRY_DIR/start.sh" 9>&- >&2; }
registry_wait()    { :; }   # start.sh returns once the API answers
registry_down()    { "$REGISTRY_DIR/stop.sh" >&2 || true; }
registry_status() {
  if port_open "$REGISTRY_PORT"; then printf '%-9s up    %s:%s  (/apis/ccompat/v7)\n' registry "$HOST" "$REGISTRY_PORT"
  else printf '%-9s down  %s:%s\n' registry "$HOST" "$REGISTRY_PORT"; fi
}
registry_reset() { registry_down; rm -rf "$SERVICES_DIR/registry/data"; }

# ----------------------------------------------------------------------------- main

print_env() {
  printf 'export KAFKA_BROKERS=%s:%s\n' "$HOST" "$KAFKA_PORT"
  printf 'export DATABASE_URL=postgres://%s:%s@%s:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$HOST" "$PG_PORT" "$PG_DB"
  printf 'export REDIS_URL=redis://%s:%s\n' "$HOST" "$REDIS_PORT"
  printf 'export SCHEMA_REGISTRY_URL=http://%s:%s/apis/ccompat/v7\n' "$HOST" "$REGISTRY_PORT"
  printf 'export NEO4J_URL=bolt://%s:%s\n' "$HOST" "$NEO4J_PORT"
}

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd="${1:-}"; [[ $# -gt 0 ]] && shift
  local services=("$@") s
  [[ ${#services[@]} -eq 0 ]] && services=("${DEFAULT_SERVICES[@]}")
  for s in "${services[@]}"; do
    [[ " ${ALL_SERVICES[*]} " == *" $s "* ]] || die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
  done
  case "$cmd" in
    up|down|reset|status|env) ;;
    -h|--help|help|"") usage ;;
    *) die "unknown command '$cmd' (up|down|status|env|reset)" ;;
  esac

  mkdir -p "$SERVICES_DIR"
  # One invocation at a time per services dir (parallel CI steps, double-clicks).
  # Every daemon started below gets `9>&-` so it does not inherit (and hold) this lock.
  if [[ "$cmd" != status && "$cmd" != env ]] && command -v flock >/dev/null 2>&1; then
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 600 9 || die "could not lock $SERVICES_DIR/.lock"
  fi

  local t0; t0="$(now)"
  case "$cmd" in
    up)
      # 1. install everything (sequential: apt/dpkg locks), 2. start all (Kafka only
      # launches its JVM, so Postgres/Redis come up while the broker boots), 3. wait.
      for s in "${services[@]}"; do "${s}_install"; done
      for s in "${services[@]}"; do "${s}_start"; done
      for s in "${services[@]}"; do "${s}_wait"; done
      log "all requested services ready in $(( $(now) - t0 ))s"
      print_env
      ;;
    down)
      # reverse order
      for (( i = ${#services[@]} - 1; i >= 0; i-- )); do "${services[i]}_down"; done
      ;;
    reset)
      for s in "${services[@]}"; do "${s}_reset"; done
      ;;
    status)
      for s in "${services[@]}"; do "${s}_status"; done
      ;;
    env) print_env ;;
  esac
}

main "$@"
