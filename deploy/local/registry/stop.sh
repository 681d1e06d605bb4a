#!/usr/bin/env bash
# Stop the Schema Registry started by start.sh (pid file in the state directory).
# Does nothing if it is not running. Data (storage=file) is kept; delete
# ${LEADFLOW_SERVICES_DIR:-~/.cache/leadflow-services}/registry/data to reset it.
set -euo pipefail

services_dir="${LEADFLOW_SERVICES_DIR:-$HOME/.cache/leadflow-services}"
state_dir="$services_dir/registry"
pid_file="$state_dir/registry.pid"

log() { echo "registry: $*" >&2; }

[ -f "$pid_file" ] || { log "not running (no $pid_file)"; exit 0; }
pid="$(tr -dc '0-9' <"$pid_file")"

# only signal the process if it is still the registry we started
if [ -z "$pid" ] || [ ! -r "/proc/$pid/cmdline" ] ||
  ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-jar $state_dir/dist/"; then
  log "not running (stale pid file removed)"
  rm -f "$pid_file"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  log "pid $pid did not stop within 30s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file"
log "stopped (pid $pid)"
