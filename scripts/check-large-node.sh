#!/usr/bin/env bash
# The restore as the kubevirt-datamover controller runs its pod: no memory limit, no CPU quota, on
# a large node, simulated with -XX:MaxRAM=256g -XX:ActiveProcessorCount=64 (JAVA_TOOL_OPTIONS, so
# the launcher's defaults apply as they would there). Restores a modest chain built with qemu-img
# and qemu-io (a 1 GiB disk: a compressed full image of 2 MiB clusters, the clusters that need the
# most buffer per worker, and an incremental of 64 KiB clusters) through bin/qcow2-restore and
# checks that the peak RSS (GNU time) stays within the 256 MiB docs/deploy.md promises, and that the
# disk's digest is the one of a run without the simulation. Then the same chain from S3Proxy on
# loopback through datamover-restore, as the controller's pod runs it (when S3Proxy is built and
# python3 has boto3: benchmarks/datamover_bench.py uploads it in the controller's layout); and, when
# it may create a cpu cgroup (root), that workers follow a CPU quota of one CPU. Prints one PASS or
# FAIL line per check.
#
# usage: scripts/check-large-node.sh [--keep]   (after mvn -B -q -DskipTests package)
#   QCOW2_RESTORE  the launcher to check (default: bin/qcow2-restore of this tree)
#   LIMIT_MIB      the promised peak (default 256)
set -euo pipefail
export LC_ALL=C
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
launcher=${QCOW2_RESTORE:-$repo/bin/qcow2-restore}
limit_mib=${LIMIT_MIB:-256}
for tool in qemu-img qemu-io /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: large node: $tool is missing (qemu-utils, time)"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-large-node.XXXXXX")
cg=
cleanup() {
    [ -z "$cg" ] || rmdir "$cg" 2>/dev/null || true
    [ ! -f "$work/s3/s3proxy.pid" ] || kill "$(cat "$work/s3/s3proxy.pid")" 2>/dev/null || true
    [ "${1:-}" = --keep ] || rm -rf "$work"
}
trap 'cleanup "$@"' EXIT

# the chain: 512 MiB of data in the full image, 128 MiB more in the incremental
qemu-img create -q -f qcow2 -o cluster_size=2M "$work/plain.qcow2" 1G
qemu-io -f qcow2 -c "write -P 0xa1 0 384M" -c "write -P 0xa2 640M 128M" "$work/plain.qcow2" >/dev/null
qemu-img convert -c -O qcow2 -o cluster_size=2M "$work/plain.qcow2" "$work/full.qcow2"
rm "$work/plain.qcow2"
qemu-img create -q -f qcow2 -b "$work/full.qcow2" -F qcow2 "$work/inc.qcow2"
qemu-io -f qcow2 -c "write -P 0xb1 256M 128M" -c "write -z 704M 64M" "$work/inc.qcow2" >/dev/null

# restore NAME [cmd prefix...]: runs the launcher; sets rss_kib, workers, digest
restore() {
    local name=$1
    shift
    rm -f "$work/disk.raw"
    "$@" /usr/bin/time -o "$work/$name.time" -f %M "$launcher" restore --json --progress=none \
        --output "$work/disk.raw" "$work/full.qcow2" "$work/inc.qcow2" >"$work/$name.json" 2>"$work/$name.err" || {
        echo "FAIL: large node: the $name restore failed: $(grep -v '^Picked up' "$work/$name.err" | head -3)"
        exit 1
    }
    rss_kib=$(tail -n 1 "$work/$name.time")
    workers=$(sed -n 's/^ *"workers" : \([0-9]*\).*/\1/p' "$work/$name.json")
    digest=$(sed -n 's/^ *"digest" : "\([^"]*\)".*/\1/p' "$work/$name.json")
}

restore plain env
plain_digest=$digest
echo "as configured: peak RSS $((rss_kib / 1024)) MiB, $workers workers"
restore large env JAVA_TOOL_OPTIONS="-XX:MaxRAM=256g -XX:ActiveProcessorCount=64"
status=0
if [ "$digest" != "$plain_digest" ]; then
    echo "FAIL: large node: digest $digest, without the simulation $plain_digest"
    status=1
fi
if [ "$rss_kib" -le $((limit_mib * 1024)) ]; then
    echo "PASS: large node (256 GiB, 64 CPUs, no limit): peak RSS $((rss_kib / 1024)) MiB <= $limit_mib MiB, $workers workers"
else
    echo "FAIL: large node (256 GiB, 64 CPUs, no limit): peak RSS $((rss_kib / 1024)) MiB > $limit_mib MiB, $workers workers"
    status=1
fi

# datamover-restore from S3Proxy, the controller's layout, the simulation as above
s3jar=$(ls "$repo"/qcow2-s3/target/s3proxy/s3proxy*.jar 2>/dev/null | head -1 || true)
if [ -n "$s3jar" ] && python3 -c 'import boto3' >/dev/null 2>&1; then
    py="python3 $repo/benchmarks/datamover_bench.py"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    url=$($py serve "$work/s3" "$port" "$s3jar")
    $py upload "$url" "$work" ns-large vm1 >/dev/null
    printf '[default]\naws_access_key_id=bench-key\naws_secret_access_key=bench-secret\n' >"$work/cloud"
    rm -f "$work/disk.raw"
    env -i PATH="$PATH" HOME="$work" JAVA_TOOL_OPTIONS="-XX:MaxRAM=256g -XX:ActiveProcessorCount=64" \
        KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_BUCKET=velero KUBEVIRT_DM_BSL_PREFIX=oadp-kubevirt-datamover \
        KUBEVIRT_DM_BSL_REGION=us-east-1 KUBEVIRT_DM_BSL_S3_URL="$url" KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE=true \
        KUBEVIRT_DM_CREDENTIALS_FILE="$work/cloud" KUBEVIRT_DM_VM_NAME=vm1 KUBEVIRT_DM_VM_NAMESPACE=ns-large \
        KUBEVIRT_DM_VELERO_BACKUP_NAME=bk KUBEVIRT_DM_TARGET_VOLUME=rootdisk KUBEVIRT_DM_TARGET_PATH="$work/disk.raw" \
        KUBEVIRT_DM_SUMMARY=json \
        /usr/bin/time -o "$work/s3.time" -f %M "$launcher" datamover-restore >"$work/s3.json" 2>"$work/s3.err" || {
        echo "FAIL: large node, S3: datamover-restore failed: $(grep -v '^Picked up' "$work/s3.err" | head -3)"
        exit 1
    }
    rss_kib=$(tail -n 1 "$work/s3.time")
    s3_workers=$(grep -o '"workers" *: *[0-9]*' "$work/s3.json" | grep -o '[0-9]*$' || echo '?')
    s3_digest=$(grep -o '"digest" *: *"[^"]*"' "$work/s3.json" | sed 's/.*"\([^"]*\)"$/\1/')
    if [ -n "$s3_digest" ] && [ "$s3_digest" != "$plain_digest" ]; then
        echo "FAIL: large node, S3: digest $s3_digest, the local restore's $plain_digest"
        status=1
    fi
    if [ "$rss_kib" -le $((limit_mib * 1024)) ]; then
        echo "PASS: large node, datamover-restore from S3: peak RSS $((rss_kib / 1024)) MiB <= $limit_mib MiB, $s3_workers workers"
    else
        echo "FAIL: large node, datamover-restore from S3: peak RSS $((rss_kib / 1024)) MiB > $limit_mib MiB, $s3_workers workers"
        status=1
    fi
    kill "$(cat "$work/s3/s3proxy.pid")" 2>/dev/null || true
    rm -f "$work/s3/s3proxy.pid"
else
    echo "skipped: the S3 check needs S3Proxy (mvn -B -q -DskipTests package) and python3 with boto3"
fi

# a CPU quota of one CPU (cgroup v2 cpu.max, v1 cpu.cfs_quota_us): the JVM counts one processor
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    cg=/sys/fs/cgroup/qcow2j-large-node-$$
    mkdir "$cg" 2>/dev/null && echo "100000 100000" >"$cg/cpu.max" || cg=
elif [ -d /sys/fs/cgroup/cpu ]; then
    cg=/sys/fs/cgroup/cpu/qcow2j-large-node-$$
    { mkdir "$cg" && echo 100000 >"$cg/cpu.cfs_period_us" && echo 100000 >"$cg/cpu.cfs_quota_us"; } 2>/dev/null || cg=
fi
if [ -n "$cg" ]; then
    restore quota sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg"
    if [ "$workers" = 1 ]; then
        echo "PASS: a CPU quota of one CPU: $workers worker"
    else
        echo "FAIL: a CPU quota of one CPU: $workers workers"
        status=1
    fi
else
    echo "skipped: the CPU quota check needs a cpu cgroup it may create (root)"
fi
exit $status
