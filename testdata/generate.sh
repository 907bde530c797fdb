#!/usr/bin/env bash
# Regenerates every qcow2 test image in this folder and its expected qemu outputs.
#
#   testdata/generate.sh            (from any working directory)
#
# Needs qemu-img and qemu-io (QEMU 7.2 was used for the committed files), python3 (>= 3.9, for
# random.randbytes) and sha256sum. Idempotent: every generated file (*.qcow2, chain/, expected/)
# is removed first. See README.md for what each image exercises.
#
# Deterministic: the same QEMU version produces byte-identical images. A `write -c` spanning
# several clusters is split by qemu into per-cluster tasks that run in parallel, so their host
# order would vary from run to run: every `write -c` below covers at most one cluster, and
# `qemu-img convert -c` runs with -m 1 (one coroutine).
#
# The whole folder must stay under 2 MiB apparent size (checked at the end). A cluster costs its
# full size in the file, and even an almost empty image holds header, refcount table, refcount
# block, L1 and L2 in clusters of their own (5 x 64 KiB = 320 KiB at 64 KiB clusters), so only
# the images that need 64 KiB clusters use them.
set -euo pipefail
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

for tool in qemu-img qemu-io python3 sha256sum; do
    command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found (apt-get install qemu-utils)" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-testdata.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- remove everything this script generates ------------------------------------------------
rm -f ./*.qcow2
rm -rf ./chain ./expected
mkdir -p chain expected/chain

KiB=1024
MiB=$((1024 * 1024))

# --- helpers ---------------------------------------------------------------------------------

# rnd FILE SEED LEN: LEN deterministic pseudo-random bytes (incompressible)
rnd() {
    python3 -c 'import random,sys; open(sys.argv[1],"wb").write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[3])))' "$1" "$2" "$3"
}

# create IMG SIZE OPTS
create() {
    qemu-img create -q -f qcow2 -o "$3" "$1" "$2"
}

# io IMG CMD...: every CMD is one qemu-io -c command; any failing command fails the script
io() {
    local img="$1"; shift
    local args=() out
    for c in "$@"; do args+=(-c "$c"); done
    if ! out="$(qemu-io -f qcow2 "${args[@]}" "$img" 2>&1)" || grep -qiE 'failed|error' <<<"$out"; then
        echo "generate.sh: qemu-io on $img failed:" >&2
        echo "$out" >&2
        exit 1
    fi
}

# spec IMG: open IMG as qcow2 with backing:null, so a backing file name stored in the header is
# never followed (identical to `-f qcow2 IMG` for images that have none).
spec() {
    python3 -c 'import json,sys; print("json:" + json.dumps({"driver": "qcow2", "backing": None, "file": {"driver": "file", "filename": sys.argv[1]}}, separators=(",", ":")))' "$1"
}

raw_sha256() { # raw_sha256 RAWFILE
    sha256sum "$1" | cut -d' ' -f1
}

# record IMG NAME: expected/NAME.{sha256,map.json,info.json}
record() {
    local img="$1" name="$2" s
    s="$(spec "$img")"
    qemu-img check -q "$s" || { echo "generate.sh: qemu-img check failed on $img" >&2; exit 1; }
    rm -f "$WORK/out.raw"
    qemu-img convert -O raw "$s" "$WORK/out.raw"
    raw_sha256 "$WORK/out.raw" >"expected/$name.sha256"
    qemu-img map --output=json "$s" >"expected/$name.map.json"
    # location independence: drop "filename" (the path we passed), "full-backing-filename" (the
    # backing name resolved against the image's directory) and "actual-size" (allocated blocks:
    # depends on the file system); everything else is kept as qemu-img printed it.
    qemu-img info -f qcow2 --output=json "$img" | python3 -c '
import json, sys
info = json.load(sys.stdin)
for key in ("filename", "full-backing-filename", "actual-size", "children"):
    info.pop(key, None)
json.dump(info, sys.stdout, indent=4)
sys.stdout.write("\n")
' >"expected/$name.info.json"
}

# --- pattern files ---------------------------------------------------------------------------
rnd "$WORK/r1" 1 $((64 * KiB))
rnd "$WORK/r2" 2 $((64 * KiB))
rnd "$WORK/r3" 3 $((64 * KiB))
rnd "$WORK/chainA" 100 $((64 * KiB))
rnd "$WORK/chainB" 101 $((8 * KiB))

# mixed raw for `qemu-img convert -c`: 4 KiB blocks that are compressible text, random, zero,
# or low-entropy bytes, ending with two random blocks in a row.
python3 - "$WORK/mixed.raw" <<'PY'
import random, sys
rng = random.Random(7)
def block(kind, i):
    if kind == "text":
        return ((b"qcow2j block %02d " % i) * 256)[:4096]
    if kind == "random":
        return rng.randbytes(4096)
    if kind == "zero":
        return bytes(4096)
    return bytes(rng.choice(b"ACGT") for _ in range(4096))
kinds = ["text", "random", "zero", "acgt", "text", "zero", "acgt", "zero", "text", "random", "random", "acgt"]
open(sys.argv[1], "wb").write(b"".join(block(k, i) for i, k in enumerate(kinds)))
PY

# --- version 2 / version 3 at 512, 4096 and 65536 byte clusters ------------------------------

# v2, 512 B clusters: L1 of 128 entries spans two clusters; writes cross cluster and L2-table
# (32 KiB) boundaries; compressed cluster (x = 61); v2 has no zero flag, so `write -z` over data
# becomes a plain unallocated entry.
create v2-c512.qcow2 $((4 * MiB)) compat=0.10,cluster_size=512
io v2-c512.qcow2 \
    "write -P 0x01 0 512" \
    "write -P 0x02 1000 3000" \
    "write -s $WORK/r1 $((31 * KiB)) 2500" \
    "write -c -P 0x03 $((64 * KiB)) 512" \
    "write -z 0 512" \
    "write -P 0x04 $((2 * MiB + 100)) 300" \
    "write -P 0x05 $((4 * MiB - 512)) 512"

# v3, 512 B clusters: L1 spans four clusters; zero flags with and without host offset.
create v3-c512.qcow2 $((8 * MiB)) compat=1.1,cluster_size=512
io v3-c512.qcow2 \
    "write -P 0x11 0 4096" \
    "write -z 1024 1024" \
    "write -z -u 2048 512" \
    "write -s $WORK/r2 $((32 * KiB - 700)) 1400" \
    "write -c -P 0x12 $((100 * KiB)) 512" \
    "write -c -P 0x12 $((100 * KiB + 512)) 512" \
    "write -z $((200 * KiB)) $((8 * KiB))" \
    "discard 3584 512" \
    "write -P 0x13 $((8 * MiB - 512)) 512"

# v2, 4 KiB clusters, 16 MiB: data crossing an L2-table boundary (2 MiB), compressed clusters,
# `write -z` over data (v2: the entry becomes unallocated), data in the last cluster.
create v2-c4096.qcow2 $((16 * MiB)) compat=0.10,cluster_size=4096
io v2-c4096.qcow2 \
    "write -P 0x21 0 8192" \
    "write -z 4096 4096" \
    "write -s $WORK/r1 $((2 * MiB - 2 * KiB)) $((4 * KiB))" \
    "write -c -P 0x22 $((2 * MiB + 8 * KiB)) 4096" \
    "write -c -P 0x22 $((2 * MiB + 12 * KiB)) 4096" \
    "write -P 0x23 $((16 * MiB - 4 * KiB)) 4096"

# v3, 4 KiB clusters, 16 MiB + 1536 bytes: zero flags (with offset, without), data across an
# L2-table boundary, compressed clusters, and a compressed, zero-padded last partial cluster
# (only 1536 of its 4096 bytes are inside the disk).
create v3-c4096.qcow2 $((16 * MiB + 1536)) compat=1.1,cluster_size=4096
io v3-c4096.qcow2 \
    "write -s $WORK/r2 0 $((12 * KiB))" \
    "write -z 4096 4096" \
    "write -P 0x31 $((2 * MiB - 1 * KiB)) 2048" \
    "write -c -P 0x32 $((2 * MiB + 8 * KiB)) 4096" \
    "write -c -P 0x32 $((2 * MiB + 12 * KiB)) 4096" \
    "write -z $((2 * MiB + 64 * KiB)) $((64 * KiB))" \
    "write -c -P 0x33 $((16 * MiB)) 1536"

# v2, 64 KiB clusters: one random data cluster, one compressed cluster (x = 54).
create v2-c65536.qcow2 $((4 * MiB)) compat=0.10,cluster_size=65536
io v2-c65536.qcow2 \
    "write -s $WORK/r3 0 $((64 * KiB))" \
    "write -c -P 0x42 $((1 * MiB)) $((64 * KiB))"

# v3, 64 KiB clusters, virtual size 1 MiB + 512 bytes (not a multiple of the cluster size):
# data in the last, partial cluster (only its first 512 bytes are inside the disk), a zero
# cluster at 0.
create v3-c65536.qcow2 $((1 * MiB + 512)) compat=1.1,cluster_size=65536
io v3-c65536.qcow2 \
    "write -z 0 $((64 * KiB))" \
    "write -P 0x5a $((1 * MiB)) 512" \
    "write -P 0x5b $((1 * MiB)) 100"

# --- compression -----------------------------------------------------------------------------

# zlib (deflate), 4 KiB clusters (x = 58), from the mixed raw: compressed clusters, random blocks
# stored uncompressed, zero blocks left unallocated.
qemu-img convert -q -m 1 -f raw -O qcow2 -c -o compat=1.1,cluster_size=4096,compression_type=zlib \
    "$WORK/mixed.raw" compressed-zlib.qcow2

# zstd, 2 KiB clusters (x = 59), from the same raw.
qemu-img convert -q -m 1 -f raw -O qcow2 -c -o compat=1.1,cluster_size=2048,compression_type=zstd \
    "$WORK/mixed.raw" compressed-zstd.qcow2

# qemu-io `write -c` (zlib, 1 KiB clusters, x = 60): compressed clusters partly overwritten
# (copied to a normal cluster), zeroed, discarded; incompressible data written with -c (qemu
# stores it uncompressed).
create compressed-writes.qcow2 $((256 * KiB)) compat=1.1,cluster_size=1024
io compressed-writes.qcow2 \
    "write -c -P 0x61 0 1024" \
    "write -c -P 0x61 1024 1024" \
    "write -c -P 0x61 2048 1024" \
    "write -c -P 0x61 3072 1024" \
    "write -c -s $WORK/r1 4096 1024" \
    "write -c -s $WORK/r3 5120 1024" \
    "write -P 0x62 1024 256" \
    "write -z 2048 1024" \
    "discard 3072 1024" \
    "write -c -P 0x63 $((256 * KiB - 1024)) 1024"

# --- extended L2 (subclusters) ---------------------------------------------------------------

# 64 KiB clusters, 2 KiB subclusters. A whole allocated cluster discarded (all zero bits),
# subcluster data, subcluster zero bits inside an allocated cluster, zero-with-unmap over
# allocated subclusters, zero bits in a cluster without host offset, a whole zero cluster.
# The file ends inside the last data cluster (qemu does not write unallocated subclusters).
create ext-l2-c65536.qcow2 $((4 * MiB)) compat=1.1,cluster_size=65536,extended_l2=on
io ext-l2-c65536.qcow2 \
    "write -P 0x71 $((192 * KiB)) 2048" \
    "discard $((192 * KiB)) $((64 * KiB))" \
    "write -P 0x72 0 2048" \
    "write -P 0x73 6144 4096" \
    "write -z 2048 2048" \
    "write -P 0x74 $((16 * KiB)) $((8 * KiB))" \
    "write -z -u $((16 * KiB)) 4096" \
    "write -P 0x75 $((26 * KiB)) 100" \
    "write -z $((64 * KiB)) $((64 * KiB))" \
    "write -z $((130 * KiB)) $((4 * KiB))"

# 32 KiB clusters, 1 KiB subclusters, zstd: the same kinds of entries plus a write into the last
# subcluster and a compressed cluster (compressed entries have no subcluster bitmap).
create ext-l2-c32768.qcow2 $((2 * MiB)) compat=1.1,cluster_size=32768,extended_l2=on,compression_type=zstd
io ext-l2-c32768.qcow2 \
    "write -P 0x81 $((96 * KiB)) 1024" \
    "discard $((96 * KiB)) $((32 * KiB))" \
    "write -P 0x82 0 1024" \
    "write -s $WORK/r2 3072 2048" \
    "write -z 1024 1024" \
    "write -P 0x83 $((8 * KiB)) $((4 * KiB))" \
    "write -z -u $((9 * KiB)) 2048" \
    "write -P 0x84 $((31 * KiB)) 1024" \
    "write -z $((32 * KiB)) $((32 * KiB))" \
    "write -z $((66 * KiB)) 3072" \
    "write -c -P 0x85 $((1 * MiB)) $((32 * KiB))"

# --- zero clusters ---------------------------------------------------------------------------

# v3, 1 KiB clusters: `write -z` over data keeps the host offset (zero flag + offset),
# `write -z -u` frees it, zero over unallocated, discard of data (zero flag, no offset), a
# partial-cluster zero write (qemu writes zero data), and data written into a zero+offset cluster.
create zero-clusters.qcow2 $((256 * KiB)) compat=1.1,cluster_size=1024
io zero-clusters.qcow2 \
    "write -P 0x91 0 $((8 * KiB))" \
    "write -z 1024 1024" \
    "write -z -u 3072 1024" \
    "write -z 5120 256" \
    "discard 6144 1024" \
    "write -z $((16 * KiB)) $((4 * KiB))" \
    "write -z -u $((32 * KiB)) 1024" \
    "write -P 0x92 $((50 * KiB)) 2048" \
    "write -z $((50 * KiB)) 2048" \
    "write -P 0x93 $((51 * KiB)) 256"

# --- backing file name in the header (must never be followed) --------------------------------

create backing-name.qcow2 $((1 * MiB)) compat=1.1,cluster_size=512
io backing-name.qcow2 \
    "write -P 0xa1 0 2048" \
    "write -z $((64 * KiB)) 1024"
qemu-img rebase -u -f qcow2 -F qcow2 -b /run/kubevirt-private/some/disk.qcow2 backing-name.qcow2

# --- the KubeVirt-like chain -----------------------------------------------------------------
# Standalone images (no backing file), oldest first: full (32 KiB clusters; 64 KiB would cost
# 160 KiB more of the 2 MiB budget), inc1 (4 KiB), inc2 (2 KiB). Guest layout (4 MiB):
#   [0,4K)          full A
#   [4K,12K)        inc1 0xb1                    <- only inc1 changed it: a flat stack loses it
#   [12K,16K)       full A
#   [16K,24K)       inc1 zero over full data     <- a flat stack resurrects full's data
#   [24K,26K)       inc2 2K cluster: 0xc4 at +512..+1536, zeros around it (the cluster is inc2's)
#   [26K,32K)       full A
#   [32K,40K)       full A, inc1 0xb2, inc2 0xc1 <- three-way overlap, newest wins
#   [40K,48K)       full A, inc1 0xb3, inc2 zero
#   [48K,56K)       full A, inc2 wrote 0xc2 then discarded it -> zero
#   [56K,60K)       full A
#   [60K,64K)       full A, inc1 wrote 0xb4 then discarded it -> zero
#   [1M,1M+64K)     full zero clusters
#   [1536K,+8K)     inc1 random B; inc2 zero over [1536K+4K,1536K+8K)
#   [4M-8K,4M)      inc2 0xc3
create chain/full.qcow2 $((4 * MiB)) compat=1.1,cluster_size=32768
io chain/full.qcow2 \
    "write -s $WORK/chainA 0 $((64 * KiB))" \
    "write -z $((1 * MiB)) $((64 * KiB))"

create chain/inc1.qcow2 $((4 * MiB)) compat=1.1,cluster_size=4096
io chain/inc1.qcow2 \
    "write -P 0xb4 $((60 * KiB)) $((4 * KiB))" \
    "discard $((60 * KiB)) $((4 * KiB))" \
    "write -P 0xb1 $((4 * KiB)) $((8 * KiB))" \
    "write -z $((16 * KiB)) $((8 * KiB))" \
    "write -P 0xb2 $((32 * KiB)) $((8 * KiB))" \
    "write -P 0xb3 $((40 * KiB)) $((8 * KiB))" \
    "write -s $WORK/chainB $((1536 * KiB)) $((8 * KiB))"

create chain/inc2.qcow2 $((4 * MiB)) compat=1.1,cluster_size=2048
io chain/inc2.qcow2 \
    "write -P 0xc2 $((48 * KiB)) $((8 * KiB))" \
    "discard $((48 * KiB)) $((8 * KiB))" \
    "write -P 0xc4 $((24 * KiB + 512)) 1024" \
    "write -P 0xc1 $((32 * KiB)) $((8 * KiB))" \
    "write -z $((40 * KiB)) $((8 * KiB))" \
    "write -z $((1540 * KiB)) $((4 * KiB))" \
    "write -P 0xc3 $((4 * MiB - 8 * KiB)) $((8 * KiB))"

# --- expected outputs ------------------------------------------------------------------------
for img in ./*.qcow2; do
    name="$(basename "$img" .qcow2)"
    record "$img" "$name"
done
for link in full inc1 inc2; do
    record "chain/$link.qcow2" "chain/$link"
done

# chained oracle: copies, each link rebased (unsafe) onto its parent, newest converted to raw.
# flat (the wrong workflow): every incremental rebased onto the full.
oracle() { # oracle chained|flat OUT_SHA_FILE
    local mode="$1" dir="$WORK/$1"
    mkdir -p "$dir"
    cp chain/full.qcow2 chain/inc1.qcow2 chain/inc2.qcow2 "$dir/"
    if [ "$mode" = chained ]; then
        qemu-img rebase -u -f qcow2 -F qcow2 -b "$dir/full.qcow2" "$dir/inc1.qcow2"
        qemu-img rebase -u -f qcow2 -F qcow2 -b "$dir/inc1.qcow2" "$dir/inc2.qcow2"
    else
        qemu-img rebase -u -f qcow2 -F qcow2 -b "$dir/full.qcow2" "$dir/inc1.qcow2"
        qemu-img rebase -u -f qcow2 -F qcow2 -b "$dir/full.qcow2" "$dir/inc2.qcow2"
    fi
    qemu-img convert -f qcow2 -O raw "$dir/inc2.qcow2" "$dir/out.raw"
    raw_sha256 "$dir/out.raw" >"$2"
}
oracle chained expected/chain.sha256
oracle flat expected/chain-flat.sha256
if cmp -s expected/chain.sha256 expected/chain-flat.sha256; then
    echo "generate.sh: chained and flat restores are equal; the chain does not show the flat-rebase bug" >&2
    exit 1
fi
qemu-img info -f qcow2 --output=json chain/inc2.qcow2 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])' >expected/chain.size

# --- size budget -----------------------------------------------------------------------------
total="$(du -sb . | cut -f1)"
if [ "$total" -ge $((2 * MiB)) ]; then
    echo "generate.sh: testdata is $total bytes (apparent); must stay under 2 MiB" >&2
    exit 1
fi
echo "generated $(ls ./*.qcow2 chain/*.qcow2 | wc -l) images; testdata is $total bytes (apparent)"
