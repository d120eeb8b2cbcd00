#!/usr/bin/env bash
# rehearse.sh: run lancegate's production topology on one machine, without
# Kubernetes, from one build of the binary:
#
#   Azurite (the Azure Blob Storage emulator)      storage az://lancegate/db
#   lancegate dev-kafka (in-memory Kafka broker)   write events
#   3 executors   (--role executor)                Arrow Flight, block caches
#   1 query node  (--role query --executors …)     pgwire
#   1 agent       (--role agent)                   maintenance jobs, in process
#
# Every lancegate process gets --kafka-brokers and the Azurite storage
# options, as the pods of the Helm chart get them from their environment.
#
# usage:
#   deploy/rehearse.sh [start]   build, start everything, wait for each /readyz,
#                                print the psql line
#   deploy/rehearse.sh stop      stop everything start started (SIGTERM, then
#                                SIGKILL after 15 s)
#   deploy/rehearse.sh status    list the processes and whether they run
#
# environment:
#   LANCEGATE_REHEARSE_DIR   state folder: PIDs, logs, Azurite data, caches,
#                            the binary (default: .rehearse in the repository)
#   LANCEGATE_REHEARSE_PORT  first of 11 consecutive loopback ports (default
#                            15430): Azurite, Kafka, pgwire, query metrics,
#                            agent metrics, 3 executor Flight, 3 executor metrics
#   LANCEGATE_AZURITE        azurite-blob script (default: the one `make test`
#                            installs in .tools/azurite)
#   LANCEGATE_BIN            use this lancegate binary instead of building one
#
# The script needs bash, go (unless LANCEGATE_BIN; it builds with the
# caller's go environment), node (Azurite), curl, openssl and od. Nothing
# listens beyond 127.0.0.1, and everything runs with trust authentication.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${LANCEGATE_REHEARSE_DIR:-$repo/.rehearse}
base=${LANCEGATE_REHEARSE_PORT:-15430}
azurite=${LANCEGATE_AZURITE:-$repo/.tools/azurite/node_modules/.bin/azurite-blob}

# The emulator's well-known account (storage/objstore EmulatorAccount/Key).
account=devstoreaccount1
account_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
container=lancegate

azurite_port=$base
kafka_port=$((base + 1))
pg_port=$((base + 2))
query_metrics=$((base + 3))
agent_metrics=$((base + 4))
executors=3
exec_port() { echo $((base + 5 + $1)); }
exec_metrics() { echo $((base + 5 + executors + $1)); }

ready_timeout=60 # seconds each process has to become ready
started_ok=0     # set once start has everything ready

log() { printf 'rehearse: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# alive PID: the process runs (a zombie, exited but not yet reaped by
# whoever inherited it, counts as gone).
alive() {
	local pid=$1 st
	kill -0 "$pid" 2>/dev/null || return 1
	if [[ -r /proc/$pid/stat ]]; then
		st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
		[[ $st != Z ]] || return 1
	fi
	return 0
}

# ours PID: the process is one this state folder started (its command line
# names the state folder), not an unrelated one that reused the PID.
ours() {
	local pid=$1
	[[ -r /proc/$pid/cmdline ]] || return 0 # no /proc: trust the PID file
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state"
}

# start NAME CMD...: run CMD in the background, output to logs/NAME.log, and
# record its PID in pids/NAME.pid.
start_proc() {
	local name=$1
	shift
	"$@" </dev/null >"$state/logs/$name.log" 2>&1 &
	echo $! >"$state/pids/$name.pid"
	echo "$name" >>"$state/pids/order"
	log "started $name (pid $!)"
}

pid_of() { cat "$state/pids/$1.pid"; }

# wait_http NAME URL: wait until URL answers 2xx, failing when NAME exits
# or after ready_timeout.
wait_http() {
	local name=$1 url=$2 pid deadline
	pid=$(pid_of "$name")
	deadline=$((SECONDS + ready_timeout))
	until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
		if ! alive "$pid"; then
			tail -n 30 "$state/logs/$name.log" >&2 || true
			die "$name exited before it was ready (log: $state/logs/$name.log)"
		fi
		((SECONDS < deadline)) || die "$name not ready at $url after ${ready_timeout}s (log: $state/logs/$name.log)"
		sleep 0.2
	done
	log "$name ready ($url)"
}

# wait_tcp NAME PORT: wait until something listens on 127.0.0.1:PORT.
wait_tcp() {
	local name=$1 port=$2 pid deadline
	pid=$(pid_of "$name")
	deadline=$((SECONDS + ready_timeout))
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		if ! alive "$pid"; then
			tail -n 30 "$state/logs/$name.log" >&2 || true
			die "$name exited before it listened (log: $state/logs/$name.log)"
		fi
		((SECONDS < deadline)) || die "$name not listening on $port after ${ready_timeout}s"
		sleep 0.2
	done
	log "$name listening on 127.0.0.1:$port"
}

# create_container: create the storage container in Azurite with the
# account's shared key (201 created, 409 already there).
create_container() {
	local date version=2021-08-06 hexkey sig code
	date=$(LC_ALL=C TZ=GMT date '+%a, %d %b %Y %H:%M:%S GMT')
	hexkey=$(printf '%s' "$account_key" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	# Shared Key string to sign: verb, 11 empty standard headers, the x-ms-
	# headers, the canonical resource (path-style: the account twice).
	sig=$(printf 'PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:%s\nx-ms-version:%s\n/%s/%s/%s\nrestype:container' \
		"$date" "$version" "$account" "$account" "$container" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | base64 | tr -d '\n')
	code=$(curl -sS -o "$state/logs/create-container.out" -w '%{http_code}' -X PUT \
		-H "x-ms-date: $date" -H "x-ms-version: $version" -H "Content-Length: 0" \
		-H "Authorization: SharedKey $account:$sig" \
		"http://127.0.0.1:$azurite_port/$account/$container?restype=container")
	case $code in
	201) log "created container $container" ;;
	409) log "container $container exists" ;;
	*) die "creating container $container: HTTP $code: $(cat "$state/logs/create-container.out")" ;;
	esac
}

stop_all() {
	local name pid deadline entry stopped=()
	[[ -d $state ]] && state=$(cd "$state" && pwd)
	[[ -f $state/pids/order ]] || {
		log "nothing started in $state"
		return 0
	}
	# Reverse start order: clients before the services they use.
	for name in $(tac "$state/pids/order"); do
		[[ -f $state/pids/$name.pid ]] || continue
		pid=$(pid_of "$name")
		if alive "$pid" && ours "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			stopped+=("$name:$pid")
		fi
	done
	for entry in "${stopped[@]}"; do
		name=${entry%%:*} pid=${entry##*:}
		deadline=$((SECONDS + 15))
		while alive "$pid" && ((SECONDS < deadline)); do
			sleep 0.1
		done
		if alive "$pid"; then
			log "$name (pid $pid) ignored SIGTERM for 15 s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		log "stopped $name (pid $pid)"
	done
	rm -f "$state"/pids/*.pid "$state/pids/order"
}

status() {
	local name pid
	[[ -f $state/pids/order ]] || {
		log "nothing started in $state"
		return 0
	}
	while read -r name; do
		pid=$(pid_of "$name")
		if alive "$pid"; then echo "$name $pid running"; else echo "$name $pid exited"; fi
	done <"$state/pids/order"
}

start() {
	local bin i addrs=()
	if [[ -f $state/pids/order ]]; then
		die "$state has running processes from an earlier start: run '$0 stop' first"
	fi
	local p
	for ((p = base; p < base + 5 + 2 * executors; p++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			die "port $p is in use: set LANCEGATE_REHEARSE_PORT to the first of $((5 + 2 * executors)) free ports"
		fi
	done
	[[ -x $azurite ]] || die "no Azurite at $azurite: set LANCEGATE_AZURITE to an azurite-blob script (make test installs one in .tools/azurite)"
	mkdir -p "$state/pids" "$state/logs" "$state/bin" "$state/azurite"
	state=$(cd "$state" && pwd) # absolute: process command lines name it
	# On any failure (or Ctrl-C) before everything is ready, stop what has
	# been started; after success the processes keep running.
	trap 'if ((started_ok == 0)); then log "start failed: stopping what was started"; stop_all; fi' EXIT
	trap 'exit 130' INT TERM

	bin=$state/bin/lancegate
	if [[ -n ${LANCEGATE_BIN:-} ]]; then
		cp "$LANCEGATE_BIN" "$bin"
	else
		log "building lancegate"
		(cd "$repo" && go build -o "$bin" ./cmd/lancegate)
	fi
	log "$("$bin" version)"

	start_proc azurite "$azurite" --blobHost 127.0.0.1 --blobPort "$azurite_port" \
		--location "$state/azurite" --skipApiVersionCheck --disableTelemetry --silent --loose
	wait_tcp azurite "$azurite_port"
	create_container

	start_proc kafka "$bin" dev-kafka --listen "127.0.0.1:$kafka_port"
	wait_tcp kafka "$kafka_port"

	local common=(
		--storage "az://$container/db"
		--storage-option "account_name=$account"
		--storage-option "account_key=$account_key"
		--storage-option "endpoint=http://127.0.0.1:$azurite_port/$account"
		--storage-option "allow_http=true"
		--kafka-brokers "127.0.0.1:$kafka_port"
	)

	for ((i = 0; i < executors; i++)); do
		mkdir -p "$state/cache/executor-$i"
		start_proc "executor-$i" "$bin" serve --role executor "${common[@]}" \
			--executor-listen "127.0.0.1:$(exec_port "$i")" \
			--metrics-listen "127.0.0.1:$(exec_metrics "$i")" \
			--cache-ram 64MiB --cache-dir "$state/cache/executor-$i" --cache-disk 1GiB
		addrs+=("127.0.0.1:$(exec_port "$i")")
	done
	for ((i = 0; i < executors; i++)); do
		wait_http "executor-$i" "http://127.0.0.1:$(exec_metrics "$i")/readyz"
	done

	start_proc query "$bin" serve --role query "${common[@]}" \
		--listen "127.0.0.1:$pg_port" --metrics-listen "127.0.0.1:$query_metrics" \
		--executors "$(
			IFS=,
			echo "${addrs[*]}"
		)"
	start_proc agent "$bin" serve --role agent "${common[@]}" \
		--metrics-listen "127.0.0.1:$agent_metrics"
	wait_http query "http://127.0.0.1:$query_metrics/readyz"
	wait_http agent "http://127.0.0.1:$agent_metrics/readyz"
	wait_tcp query "$pg_port"

	started_ok=1
	cat <<EOF
lancegate is running (state and logs in $state):
  storage    az://$container/db on Azurite http://127.0.0.1:$azurite_port/$account
  kafka      127.0.0.1:$kafka_port
  executors  ${addrs[*]}
  metrics    query :$query_metrics, agent :$agent_metrics, executors :$(exec_metrics 0)-:$(exec_metrics $((executors - 1)))
connect:
psql "postgres://lancegate@127.0.0.1:$pg_port/lancegate?sslmode=disable"
stop:
  $0 stop
EOF
}

case ${1:-start} in
start) start ;;
stop) stop_all ;;
status) status ;;
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command ${1}: want start, stop or status" ;;
esac
