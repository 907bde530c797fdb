#!/usr/bin/env bash
# What `verify-backup` costs on a chain in object storage, against a restore of the same chain:
# S3Proxy on loopback, the chain uploaded in the controller's layout (datamover_bench.py), then
# metadata-only verify-backup (median of RUNS), verify-backup --deep once and datamover-restore once.
# Prints one markdown row per chain: seconds, HTTP requests, bytes fetched against the chain's bytes,
# deep and restore seconds and MB/s of the virtual disk, whether the digests agree, and the peak RSS of
# the last metadata run and of the deep run (GNU time).
#
# usage: benchmarks/measure-verify.sh [--runs N] CHAIN_DIR [CHAIN_DIR...]
#   CHAIN_DIR  full.qcow2 then inc*.qcow2 (compare-qemu.sh --generate-only: <scratch>/qcow2j-compare/S1/chain)
# Needs python3 with boto3, qemu-img and a build (mvn -B -q -DskipTests package).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=3
chains=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) chains+=("$1"); shift ;;
    esac
done
[ ${#chains[@]} -ge 1 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
jar=$(ls "$repo"/qcow2-s3/target/s3proxy/s3proxy*.jar 2>/dev/null | head -1)
[ -n "$jar" ] || { echo "error: S3Proxy's jar is not built: mvn -B -q -DskipTests package" >&2; exit 1; }
py="python3 $here/datamover_bench.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-verify-bench.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [ -f "$work/s3/s3proxy.pid" ] && kill "$(cat "$work/s3/s3proxy.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
url=$($py serve "$work/s3" "$port" "$jar")
printf '[default]\naws_access_key_id=bench-key\naws_secret_access_key=bench-secret\n' >"$work/cloud"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
secs_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }

echo "| chain | links | chain bytes | metadata: median s (min–max) | requests | bytes fetched | fetched ÷ chain | --deep s | deep MB/s | restore s | restore MB/s | digests agree | peak RSS MiB: metadata / deep |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
for chain in "${chains[@]}"; do
    name=$(basename "$(dirname "$chain")")
    ns=ns-$name vm=vm1
    $py upload "$url" "$chain" "$ns" "$vm"
    links=$(ls "$chain"/full.qcow2 "$chain"/inc*.qcow2 | wc -l)
    chain_bytes=$(du -cb "$chain"/full.qcow2 "$chain"/inc*.qcow2 | tail -1 | cut -f1)
    dm=(env -i PATH="$PATH" HOME="$work" KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_BUCKET=velero
        KUBEVIRT_DM_BSL_PREFIX=oadp-kubevirt-datamover KUBEVIRT_DM_BSL_REGION=us-east-1
        KUBEVIRT_DM_BSL_S3_URL="$url" KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE=true
        KUBEVIRT_DM_CREDENTIALS_FILE="$work/cloud" KUBEVIRT_DM_VM_NAME=$vm KUBEVIRT_DM_VM_NAMESPACE=$ns
        KUBEVIRT_DM_VELERO_BACKUP_NAME=bk KUBEVIRT_DM_TARGET_VOLUME=rootdisk)
    times=()
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s.%N)
        json=$("${dm[@]}" /usr/bin/time -f %M -o "$work/rss-meta" "$repo/bin/qcow2-restore" datamover-verify --json \
            --progress none)
        times+=("$(secs_since "$start")")
    done
    requests=$(echo "$json" | field 'd["requests"]')
    fetched=$(echo "$json" | field 'd["bytes-fetched"]')
    virtual=$(echo "$json" | field 'd["disks"][0]["virtual-size"]')
    start=$(date +%s.%N)
    deep=$("${dm[@]}" /usr/bin/time -f %M -o "$work/rss-deep" "$repo/bin/qcow2-restore" datamover-verify --json \
        --progress none --deep)
    deep_s=$(secs_since "$start")
    start=$(date +%s.%N)
    restored=$("${dm[@]}" KUBEVIRT_DM_TARGET_PATH="$work/out/disk.raw" KUBEVIRT_DM_SUMMARY=json \
        "$repo/bin/qcow2-restore" datamover-restore)
    restore_s=$(secs_since "$start")
    rm -rf "$work/out"
    agree=$([ "$(echo "$deep" | field 'd["disks"][0]["digest"]')" = "$(echo "$restored" | field 'd["digest"]')" ] \
        && echo yes || echo NO)
    range=$(printf '%s\n' "${times[@]}" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }')
    echo "| $name | $links | $chain_bytes | $(printf '%s\n' "${times[@]}" | median) ($range) | $requests | $fetched" \
        "| $(awk -v f="$fetched" -v c="$chain_bytes" 'BEGIN { printf "%.3f%%", 100 * f / c }')" \
        "| $deep_s | $(awk -v v="$virtual" -v s="$deep_s" 'BEGIN { printf "%.0f", v / 1e6 / s }')" \
        "| $restore_s | $(awk -v v="$virtual" -v s="$restore_s" 'BEGIN { printf "%.0f", v / 1e6 / s }') | $agree" \
        "| $(($(tail -1 "$work/rss-meta") / 1024)) / $(($(tail -1 "$work/rss-deep") / 1024)) |"
done
