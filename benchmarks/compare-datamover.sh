#!/usr/bin/env bash
# Restore from object storage: `qcow2-restore datamover-restore` against the kubevirt-datamover
# controller's own workflow (download every file of the chain, chained `qemu-img rebase -u`,
# `qemu-img convert -O raw`, sync), both reading from one S3Proxy (or Azurite) on loopback. Prints wall seconds
# (both durable: the workflow ends with sync, qcow2-restore forces its output), bytes fetched against
# the winning bytes of the composed disk, requests and peak RSS; medians of N runs and the ratio.
#
# usage: benchmarks/compare-datamover.sh [--runs N] [--memory-limit MIB] [--store s3|azure] CHAIN_DIR...
#   --memory-limit  run datamover-restore in a memory cgroup of MIB (v1 or v2; needs root), as a
#              restore pod with that limit: its heap and buffers then follow the limit
#   CHAIN_DIR  full.qcow2 then inc*.qcow2 (compare-qemu.sh --generate-only makes them:
#              SCRATCH/qcow2j-compare/<scenario>/chain; S1 is a 4 GiB disk with 10 incrementals,
#              S2 the same with 100)
#   --store    s3 (S3Proxy, the default) or azure (Azurite's blob service: QCOW2J_AZURITE names its
#              azurite-blob, as .ci/run installs it; KUBEVIRT_DM_BSL_PROVIDER=azure)
# Needs python3 (with boto3 for s3), qemu-img, GNU time, and a build (mvn -B -q -DskipTests package).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=3
limit=
store=s3
chains=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        --memory-limit) limit=${2:?}; shift 2 ;;
        --store) store=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) chains+=("$1"); shift ;;
    esac
done
[ ${#chains[@]} -ge 1 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stop_server() {
    for pid in "$work/s3/s3proxy.pid" "$work/az/azurite.pid"; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
    done
    return 0
}
cleanup() { stop_server; rm -rf "$work"; }
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
    cleanup() { stop_server; rm -rf "$work"; rmdir "$cg"; }
    jail=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
fi
if [ "$store" = s3 ]; then
    url=$($py serve "$work/s3" "$port" "$jar")
    printf '[default]\naws_access_key_id=bench-key\naws_secret_access_key=bench-secret\n' >"$work/cloud"
    store_env=(KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_REGION=us-east-1 KUBEVIRT_DM_BSL_S3_URL="$url"
        KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE=true)
else
    url=$($py serve-azure "$work/az" "$QCOW2J_AZURITE")
    cp "$work/az/cloud" "$work/cloud"
    store_env=(KUBEVIRT_DM_BSL_PROVIDER=azure KUBEVIRT_DM_BSL_STORAGE_ACCOUNT="${url##*/}"
        KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI="$url")
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "store: $store ($url)"
[ -z "$limit" ] || echo "datamover-restore runs in a ${limit} MiB memory cgroup"
echo "| chain | tool | median s | min–max s | bytes fetched | fetched ÷ winning | requests | peak RSS MiB | × rebase+convert |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for chain in "${chains[@]}"; do
    name=$(basename "$(dirname "$chain")")
    ns=ns-$name vm=vm1
    $py upload "$url" "$chain" "$ns" "$vm"
    image_bytes=$(du -cb "$chain"/full.qcow2 "$chain"/inc*.qcow2 | tail -1 | cut -f1)
    ref_t=() our_t=() our_rss=() ref_rss=()
    fetched= requests= winning=
    for ((i = 0; i < runs + 1; i++)); do # the first round warms up and is not counted
        for which in $(((i % 2))) $((1 - i % 2)); do
            out=$work/disk.raw
            rm -f "$out"; sync
            if [ "$which" = 0 ]; then
                stats=$( { /usr/bin/time -f 'rss %M' $py reference "$url" "$ns" "$vm" "$out" "$work/scratch"; } 2>&1)
                secs=$(echo "$stats" | grep -v '^rss' | tail -1)
                rss=$(echo "$stats" | awk '/^rss/ { print int($2 / 1024) }')
                [ "$i" -gt 0 ] && ref_t+=("$secs") && ref_rss+=("$rss")
            else
                start=$(date +%s.%N)
                json=$( { env -i PATH="$PATH" HOME="$work" "${store_env[@]}" KUBEVIRT_DM_BSL_BUCKET=velero \
                    KUBEVIRT_DM_BSL_PREFIX=oadp-kubevirt-datamover \
                    KUBEVIRT_DM_CREDENTIALS_FILE="$work/cloud" KUBEVIRT_DM_VM_NAME=$vm \
                    KUBEVIRT_DM_VM_NAMESPACE=$ns KUBEVIRT_DM_VELERO_BACKUP_NAME=bk \
                    KUBEVIRT_DM_TARGET_VOLUME=rootdisk KUBEVIRT_DM_TARGET_PATH="$out" \
                    "${jail[@]}" /usr/bin/time -f 'rss %M' -o "$work/time" "$repo/bin/qcow2-restore" datamover-restore; } 2>/dev/null) || true
                secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
                rss=$(awk '/^rss/ { print int($2 / 1024) }' "$work/time")
                fetched=$(echo "$json" | awk -F'[:,]' '/"bytes-fetched"/ { gsub(/ /, "", $2); print $2 }')
                requests=$(echo "$json" | awk -F'[:,]' '/"requests"/ { gsub(/ /, "", $2); print $2 }')
                winning=$(echo "$json" | awk -F'[:,]' '/"data-bytes"/ { gsub(/ /, "", $2); print $2 }')
                [ -n "$fetched" ] || { echo "error: datamover-restore failed: $json" >&2; exit 1; }
                [ "$i" -gt 0 ] && our_t+=("$secs") && our_rss+=("$rss")
            fi
        done
    done
    rm -f "$work/disk.raw"
    rm_=$(printf '%s\n' "${ref_t[@]}" | median); om=$(printf '%s\n' "${our_t[@]}" | median)
    rr=$(printf '%s\n' "${ref_rss[@]}" | median); orr=$(printf '%s\n' "${our_rss[@]}" | median)
    range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
    echo "| $name | rebase+convert: download + rebase -u + convert + sync | $rm_ | $(range "${ref_t[@]}") | $image_bytes | $(awk -v a="$image_bytes" -v w="$winning" 'BEGIN { printf "%.2f", a / w }') | $(ls "$chain"/full.qcow2 "$chain"/inc*.qcow2 | wc -l) whole objects | $rr | 1.00× |"
    echo "| $name | qcow2-restore datamover-restore | $om | $(range "${our_t[@]}") | $fetched | $(awk -v a="$fetched" -v w="$winning" 'BEGIN { printf "%.2f", a / w }') | $requests | $orr | $(awk -v r="$rm_" -v o="$om" 'BEGIN { printf "%.2f×", r / o }') |"
done
