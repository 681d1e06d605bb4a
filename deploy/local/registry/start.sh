#!/usr/bin/env bash
# Start a local Confluent-compatible Schema Registry (Apicurio Registry) on
# 127.0.0.1:8081 in the background. The Confluent API is served under
#   http://127.0.0.1:8081/apis/ccompat/v7
# (that is the `host` for @kafkajs/confluent-schema-registry).
#
# Idempotent: the first run fetches the Apicurio Registry distribution from
# Maven Central (see pom.xml next to this script) into the cache directory;
# later runs reuse it. If the registry started by this script is already
# running, it only waits until it answers.
#
# Version: Apicurio Registry 3.x needs Java 21+. With only Java 17 available
# (Debian 12 has no OpenJDK 21 package) the 2.6 line is used instead; both
# serve the same Confluent API. Versions are pinned in pom.xml.
#
# Environment:
#   LEADFLOW_SERVICES_DIR           cache/state root (default ~/.cache/leadflow-services)
#   LEADFLOW_REGISTRY_HOST          bind address (default 127.0.0.1)
#   LEADFLOW_REGISTRY_PORT          HTTP port (default 8081)
#   LEADFLOW_REGISTRY_MGMT_PORT     Quarkus management port of 3.x, serves /health (default 9081)
#   LEADFLOW_REGISTRY_STORAGE       file: H2 database under <state>/data, kept across restarts
#                                   mem:  in-memory H2, empty after every start
#                                   (default file, so schema ids in Kafka topics stay decodable)
#   LEADFLOW_REGISTRY_VERSION       Apicurio version to run (default: pom.xml, by Java version)
#   LEADFLOW_REGISTRY_JAVA          java executable (default: JAVA_HOME, PATH, /usr/lib/jvm/*)
#   LEADFLOW_REGISTRY_JAVA_OPTS     JVM options (default tuned for fast start, small heap)
#   LEADFLOW_REGISTRY_START_TIMEOUT seconds to wait for the registry (default 90)
#
# Files under ${LEADFLOW_SERVICES_DIR}/registry:
#   dist/apicurio-registry-<version>/  unpacked distribution
#   data/apicurio-<major>/             H2 database (storage=file)
#   registry.pid, registry.log         pid and output of the running registry
#   registry-<version>.jsa             class-data-sharing archive (faster start)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
services_dir="${LEADFLOW_SERVICES_DIR:-$HOME/.cache/leadflow-services}"
state_dir="$services_dir/registry"
host="${LEADFLOW_REGISTRY_HOST:-127.0.0.1}"
port="${LEADFLOW_REGISTRY_PORT:-8081}"
mgmt_port="${LEADFLOW_REGISTRY_MGMT_PORT:-9081}"
storage="${LEADFLOW_REGISTRY_STORAGE:-file}"
timeout="${LEADFLOW_REGISTRY_START_TIMEOUT:-90}"
pid_file="$state_dir/registry.pid"
log_file="$state_dir/registry.log"

log() { echo "registry: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

url_host="$host"
[ "$url_host" = "0.0.0.0" ] && url_host=127.0.0.1
base_url="http://$url_host:$port/apis/ccompat/v7"

# --- helpers -----------------------------------------------------------------

pom_property() { # name -> value from pom.xml
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$here/pom.xml" | head -n1
}

java_major() { # java executable -> major version (empty if not runnable)
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

find_java() { # min major -> path of the first java >= min (exit 1 if none)
  local min="$1" c major
  local -a candidates=()
  if [ -n "${LEADFLOW_REGISTRY_JAVA:-}" ]; then
    candidates=("$LEADFLOW_REGISTRY_JAVA")
  else
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
    while IFS= read -r c; do
      candidates+=("$c")
    done < <(printf '%s\n' /usr/lib/jvm/*/bin/java /opt/*/bin/java | sort -rV)
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    major="$(java_major "$c" || true)"
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

min_java_for() { # apicurio version -> minimum Java major
  case "$1" in
    1.* | 2.*) echo 17 ;;
    *) echo 21 ;;
  esac
}

# pid of the registry this script started, if it is still running
running_pid() {
  local pid
  [ -f "$pid_file" ] || return 1
  pid="$(tr -dc '0-9' <"$pid_file")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-jar $state_dir/dist/" || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/$url_host/$1") 2>/dev/null; }

# ready when GET /subjects returns 200 with a JSON array (`[]` on a fresh registry)
is_ready() {
  local body
  body="$(curl -fsS --max-time 2 "$base_url/subjects" 2>/dev/null)" || return 1
  [ "${body:0:1}" = "[" ]
}

wait_ready() { # pid
  local pid="$1" start=$SECONDS
  until is_ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the registry process exited; last lines of $log_file:"
      tail -n 40 "$log_file" >&2 || true
      rm -f "$pid_file"
      exit 1
    fi
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      log "not ready after ${timeout}s (pid $pid still running); last lines of $log_file:"
      tail -n 20 "$log_file" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

run_jar() { # version -> the jar `java -jar` starts
  case "$1" in
    1.* | 2.*) echo "$state_dir/dist/apicurio-registry-$1/apicurio-registry-app-$1-runner.jar" ;;
    *) echo "$state_dir/dist/apicurio-registry-$1/quarkus-run.jar" ;;
  esac
}

install_dist() { # version
  local v="$1" dest="$state_dir/dist/apicurio-registry-$1" tmp jar
  jar="$(run_jar "$v")"
  [ -f "$jar" ] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found; it is needed once to fetch Apicurio Registry $v"
  tmp="$state_dir/dist/.tmp-$v-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "fetching io.apicurio:apicurio-registry-app:$v:tar.gz:all from Maven Central ..."
  # -C: fail on checksum mismatch. The sed drops the bare colour resets that
  # Debian's Maven 3.8 prints even with -q (pipefail keeps mvn's exit status).
  if ! mvn -B -q -C -Dstyle.color=never -f "$here/pom.xml" dependency:unpack \
    -Dregistry.version="$v" -Dregistry.unpackDir="$tmp" 2>&1 | sed 's/\x1b\[0m//g' >&2; then
    rm -rf "$tmp"
    die "mvn dependency:unpack of apicurio-registry-app:$v failed"
  fi
  rm -rf "$tmp/.markers"
  [ -f "$tmp/${jar##*/}" ] || { rm -rf "$tmp"; die "unpacked distribution has no ${jar##*/}"; }
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "installed into $dest"
}

# --- main --------------------------------------------------------------------

mkdir -p "$state_dir"

# one start at a time for this state directory (fd 8; not inherited by the JVM)
if command -v flock >/dev/null 2>&1; then
  exec 8>"$state_dir/.start.lock"
  flock -w 600 8 || die "could not lock $state_dir/.start.lock"
fi

if pid="$(running_pid)"; then
  wait_ready "$pid"
  log "already running (pid $pid) at $base_url"
  exit 0
fi
rm -f "$pid_file"

if port_in_use "$port"; then
  die "port $port is in use by another process (not a registry started by this script)"
fi

# version and java
if [ -n "${LEADFLOW_REGISTRY_VERSION:-}" ]; then
  version="$LEADFLOW_REGISTRY_VERSION"
  java_bin="$(find_java "$(min_java_for "$version")")" ||
    die "Apicurio Registry $version needs Java $(min_java_for "$version")+; none found (set LEADFLOW_REGISTRY_JAVA)"
else
  version="$(pom_property apicurio.version)"
  [ -n "$version" ] || die "cannot read apicurio.version from $here/pom.xml"
  if ! java_bin="$(find_java "$(min_java_for "$version")")"; then
    fallback="$(pom_property apicurio.java17.version)"
    java_bin="$(find_java "$(min_java_for "$fallback")")" ||
      die "no Java 17+ found (Apicurio Registry $version needs 21+, $fallback needs 17+); set LEADFLOW_REGISTRY_JAVA"
    log "no Java $(min_java_for "$version")+ found for Apicurio Registry $version; using $fallback"
    version="$fallback"
  fi
fi
major="${version%%.*}"

install_dist "$version"
jar="$(run_jar "$version")"

case "$storage" in
  file)
    mkdir -p "$state_dir/data/apicurio-$major"
    datasource_url="jdbc:h2:file:$state_dir/data/apicurio-$major/registry"
    ;;
  mem) datasource_url="jdbc:h2:mem:registry" ;;
  *) die "LEADFLOW_REGISTRY_STORAGE must be 'file' or 'mem', not '$storage'" ;;
esac

# C1 only + serial GC roughly halve start-up on a small machine; the CDS archive
# is written on the first clean shutdown and reused afterwards (the JVM
# recreates it if it does not match). AutoCreateSharedArchive needs Java 19+.
if [ -n "${LEADFLOW_REGISTRY_JAVA_OPTS:-}" ]; then
  # shellcheck disable=SC2206 # word splitting of the options is intended
  java_opts=($LEADFLOW_REGISTRY_JAVA_OPTS)
else
  java_opts=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms64m -Xmx512m)
  if [ "$(java_major "$java_bin")" -ge 19 ]; then
    java_opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$state_dir/registry-$version.jsa")
  fi
fi

# settings that differ between the 2.x and 3.x lines
java_opts+=("-Dquarkus.http.host=$host" "-Dquarkus.http.port=$port")
if [ "$major" -ge 3 ]; then
  if port_in_use "$mgmt_port"; then
    die "management port $mgmt_port is in use (set LEADFLOW_REGISTRY_MGMT_PORT)"
  fi
  java_opts+=("-Dquarkus.management.host=$host" "-Dquarkus.management.port=$mgmt_port")
  app_env=(
    "APICURIO_DATASOURCE_URL=$datasource_url"
    # allow DELETE /subjects/... (off by default)
    APICURIO_REST_DELETION_ARTIFACT_ENABLED=true
    APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED=true
    APICURIO_REST_DELETION_GROUP_ENABLED=true
  )
else
  app_env=(
    "REGISTRY_DATASOURCE_URL=$datasource_url"
    REGISTRY_REST_ARTIFACT_DELETION_ENABLED=true
  )
fi

[ -f "$log_file" ] && mv -f "$log_file" "$log_file.1"

# Run from the state directory: Quarkus also reads ./.env and
# ./config/application.properties from the working directory. Close every
# inherited descriptor above 2 so that the JVM does not keep a caller's lock
# file (e.g. a flock held by a wrapper script) open for its whole lifetime.
(
  cd "$state_dir"
  for fd in "/proc/$BASHPID/fd"/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-"; fi
  done
  exec env "${app_env[@]}" setsid "$java_bin" "${java_opts[@]}" -jar "$jar" \
    </dev/null >"$log_file" 2>&1
) &
pid=$!
echo "$pid" >"$pid_file"
log "starting Apicurio Registry $version (pid $pid, $("$java_bin" -version 2>&1 | head -n1), storage=$storage), log: $log_file"

wait_ready "$pid"
log "ready after ${SECONDS}s at $base_url"
