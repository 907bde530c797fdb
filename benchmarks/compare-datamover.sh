#!/usr/bin/env bash
# Restore from object storage: `qcow2-restore datamover-restore` against the kubevirt-datamover
# controller's own workflow (download every file of the chain, chained `qemu-img rebase -u`,
# `qemu-img convert -O raw`, sync), both reading from one S3Proxy (or Azurite) on loopback through
# the same relay, which can delay every request as a remote store would answer (--latency-ms). A third row
# is `qcow2-restore restore` of the same chain from local files: the floor a remote restore can
# approach. Prints wall seconds (all durable: the workflow ends with sync, qcow2-restore forces its
# output), bytes fetched against the winning bytes of the composed disk, requests, peak RSS and CPU
# seconds (user + system, children included); medians of N runs, the tools alternating.
#
# usage: benchmarks/compare-datamover.sh [--runs N] [--latency-ms MS[,MS...]] [--memory-limit MIB]
#                                        [--store s3|azure] CHAIN_DIR [CHAIN_DIR...]
#   --latency-ms  delay every request by MS (benchmarks/latency_proxy.py between the tools and
#              S3Proxy; 0: the relay without delay); one table block per value (default 0)
#   --memory-limit  run datamover-restore in a memory cgroup of MIB (v1 or v2; needs root), as a
#              restore pod with that limit: its heap and buffers then follow the limit
#   CHAIN_DIR  full.qcow2 then inc*.qcow2 (compare-qemu.sh --generate-only makes them:
#              SCRATCH/qcow2j-compare/<scenario>/chain; S1 is a 4 GiB disk with 10 incrementals,
#              S2 the same with 100, S1-256K is S1 in 256 KiB clusters)
#   --store    s3 (S3Proxy, the default) or azure (Azurite's blob service: QCOW2J_AZURITE names its
#              azurite-blob, as .ci/run installs it; KUBEVIRT_DM_BSL_PROVIDER=azure)
# Needs python3 (with boto3 for s3), qemu-img, GNU time, and a build (mvn -B -q -DskipTests package).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=3
limit=
latencies=0
store=s3
chains=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        --memory-limit) limit=${2:?}; shift 2 ;;
        --latency-ms) latencies=${2:?}; shift 2 ;;
        --store) store=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) chains+=("$1"); shift ;;
    esac
done
[ ${#chains[@]} -ge 1 ] || { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
case $store in
    s3)
        jar=$(ls "$repo"/qcow2-s3/target/s3proxy/s3proxy*.jar 2>/dev/null | head -1)
        [ -n "$jar" ] || { echo "error: S3Proxy's jar is not built: mvn -B -q -DskipTests package" >&2; exit 1; } ;;
    azure)
        [ -x "${QCOW2J_AZURITE:-}" ] || { echo "error: set QCOW2J_AZURITE to Azurite's azurite-blob" >&2; exit 1; } ;;
    *) echo "error: --store s3 or azure" >&2; exit 2 ;;
esac
py="python3 $here/datamover_bench.py"

work=$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-dm-bench.XXXXXX")
# A field of datamover-restore's one-line JSON summary (KUBEVIRT_DM_SUMMARY=json); empty if absent.
summary_field() {
    printf '%s' "$1" | python3 -c 'import json, sys
try:
    print(json.loads(sys.stdin.read().strip().splitlines()[-1]).get(sys.argv[1], ""))
except (ValueError, IndexError):
    print("")' "$2"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
relay_pid=
stop_relay() { [ -z "$relay_pid" ] || { kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null || true; relay_pid=; }; }
stop_server() {
    for pid in "$work/s3/s3proxy.pid" "$work/az/azurite.pid"; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
    done
    return 0
}
cleanup() { stop_relay; stop_server; rm -rf "$work"; }
trap cleanup EXIT
jail=()
if [ -n "$limit" ]; then
    cg=/sys/fs/cgroup/qcow2j-dm-bench-$$
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        mkdir "$cg" && echo $((limit * 1024 * 1024)) >"$cg/memory.max"
    else
        cg=/sys/fs/cgroup/memory/qcow2j-dm-bench-$$
        mkdir "$cg" && echo $((limit * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
    fi
    cleanup() { stop_relay; stop_server; rm -rf "$work"; rmdir "$cg"; }
    jail=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
fi
if [ "$store" = s3 ]; then
    url=$($py serve "$work/s3" "$port" "$jar")
    printf '[default]\naws_access_key_id=bench-key\naws_secret_access_key=bench-secret\n' >"$work/cloud"
else
    url=$($py serve-azure "$work/az" "$QCOW2J_AZURITE")
    cp "$work/az/cloud" "$work/cloud"
fi
# the relay forwards to the server's port; the tools get the server's URL with the relay's port
hostport=${url#*://}; hostport=${hostport%%/*}; port=${hostport##*:}
# the store's variables for datamover-restore at URL $1
store_env() {
    if [ "$store" = s3 ]; then
        echo KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_REGION=us-east-1 KUBEVIRT_DM_BSL_S3_URL="$1" \
            KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE=true
    else
        echo KUBEVIRT_DM_BSL_PROVIDER=azure KUBEVIRT_DM_BSL_STORAGE_ACCOUNT="${url##*/}" \
            KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI="$1"
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

[ -z "$limit" ] || echo "datamover-restore runs in a ${limit} MiB memory cgroup"
echo "store: $store ($url)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| chain | delay ms | tool | median s | min–max s | bytes fetched | fetched ÷ winning | requests | peak RSS MiB | CPU s | × downloader | ÷ local |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
med() { printf '%s\n' "$@" | median; }
# GNU time's peak RSS (MiB) and CPU seconds of a finished command, from its -o file
rss_of() { awk '/^rss/ { print int($2 / 1024) }' "$1"; }
cpu_of() { awk '/^rss/ { printf "%.2f", $4 + $5 }' "$1"; }
for chain in "${chains[@]}"; do
    name=$(basename "$(dirname "$chain")")
    ns=ns-$name vm=vm1
    $py upload "$url" "$chain" "$ns" "$vm"
    files=("$chain"/full.qcow2 "$chain"/inc*.qcow2)
    image_bytes=$(du -cb "${files[@]}" | tail -1 | cut -f1)
    IFS=, read -r -a delays <<<"$latencies"
    for delay in "${delays[@]}"; do
        relay=$(free_port)
        python3 "$here/latency_proxy.py" "$relay" "$port" "$delay" >"$work/relay.out" 2>"$work/relay.err" &
        relay_pid=$!
        for _ in $(seq 50); do grep -q ready "$work/relay.out" 2>/dev/null && break; sleep 0.1; done
        rurl=${url/:$port/:$relay}
        read -r -a env_store <<<"$(store_env "$rurl")"
        ref_t=() our_t=() loc_t=() ref_rss=() our_rss=() loc_rss=() ref_cpu=() our_cpu=() loc_cpu=()
        fetched= requests= winning=
        for ((i = 0; i < runs + 1; i++)); do # the first round warms up and is not counted
            for k in 0 1 2; do
                which=$(((i + k) % 3)) # each tool in each position in turn
                out=$work/disk.raw
                rm -f "$out"; sync
                if [ "$which" = 0 ]; then
                    secs=$(/usr/bin/time -f 'rss %M cpu %U %S' -o "$work/time" \
                        $py reference "$rurl" "$ns" "$vm" "$out" "$work/scratch" | tail -1)
                    [ "$i" -gt 0 ] && ref_t+=("$secs") && ref_rss+=("$(rss_of "$work/time")") \
                        && ref_cpu+=("$(cpu_of "$work/time")")
                elif [ "$which" = 1 ]; then
                    start=$(date +%s.%N)
                    json=$( { env -i PATH="$PATH" HOME="$work" "${env_store[@]}" KUBEVIRT_DM_BSL_BUCKET=velero \
                        KUBEVIRT_DM_BSL_PREFIX=oadp-kubevirt-datamover \
                        KUBEVIRT_DM_CREDENTIALS_FILE="$work/cloud" KUBEVIRT_DM_VM_NAME=$vm \
                        KUBEVIRT_DM_VM_NAMESPACE=$ns KUBEVIRT_DM_VELERO_BACKUP_NAME=bk \
                        KUBEVIRT_DM_TARGET_VOLUME=rootdisk KUBEVIRT_DM_TARGET_PATH="$out" KUBEVIRT_DM_SUMMARY=json \
                        "${jail[@]}" /usr/bin/time -f 'rss %M cpu %U %S' -o "$work/time" \
                        "$repo/bin/qcow2-restore" datamover-restore; } 2>/dev/null) || true
                    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
                    fetched=$(summary_field "$json" bytes-fetched)
                    requests=$(summary_field "$json" requests)
                    winning=$(summary_field "$json" data-bytes)
                    [ -n "$fetched" ] || { echo "error: datamover-restore failed: $json" >&2; exit 1; }
                    [ "$i" -gt 0 ] && our_t+=("$secs") && our_rss+=("$(rss_of "$work/time")") \
                        && our_cpu+=("$(cpu_of "$work/time")")
                else
                    start=$(date +%s.%N)
                    /usr/bin/time -f 'rss %M cpu %U %S' -o "$work/time" \
                        "$repo/bin/qcow2-restore" restore --progress=none --output "$out" "${files[@]}" >/dev/null
                    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
                    [ "$i" -gt 0 ] && loc_t+=("$secs") && loc_rss+=("$(rss_of "$work/time")") \
                        && loc_cpu+=("$(cpu_of "$work/time")")
                fi
            done
        done
        stop_relay
        rm -f "$work/disk.raw"
        rm_=$(med "${ref_t[@]}"); om=$(med "${our_t[@]}"); lm=$(med "${loc_t[@]}")
        ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
        echo "| $name | $delay | downloader: download + rebase -u + convert + sync | $rm_ | $(range "${ref_t[@]}") | $image_bytes | $(ratio "$image_bytes" "$winning") | ${#files[@]} whole objects | $(med "${ref_rss[@]}") | $(med "${ref_cpu[@]}") | 1.00× | $(ratio "$rm_" "$lm")× |"
        echo "| $name | $delay | qcow2-restore datamover-restore | $om | $(range "${our_t[@]}") | $fetched | $(ratio "$fetched" "$winning") | $requests | $(med "${our_rss[@]}") | $(med "${our_cpu[@]}") | **$(ratio "$rm_" "$om")×** | $(ratio "$om" "$lm")× |"
        echo "| $name | $delay | qcow2-restore restore (local files) | $lm | $(range "${loc_t[@]}") | – | – | – | $(med "${loc_rss[@]}") | $(med "${loc_cpu[@]}") | $(ratio "$rm_" "$lm")× | 1.00× |"
    done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
