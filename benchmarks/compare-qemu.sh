#!/usr/bin/env bash
# Whole-process comparison of a chain restore: the rebase+convert workflow (chained `qemu-img rebase -u`
# on fresh copies + `qemu-img convert`), `qemu-img convert -m 16 -W` on an already rebased chain, and
# our CLI, on generated scenario chains. Prints a markdown table of medians, ranges, ratios and peak
# RSS. See benchmarks/README.md.
#
# usage: benchmarks/compare-qemu.sh [--scenarios S1,S2,S3n,S4n,S5,S6] [--runs N] [--quick]
#                                   [--existing-runs N] [--cleanup] [--generate-only] [SCRATCH_DIR]
#   SCRATCH_DIR   where chains and outputs go (default: $TMPDIR or /tmp); generated chains are kept
#                 in SCRATCH_DIR/qcow2j-compare[-quick]/<scenario>/ and reused when their marker
#                 file matches the scenario's parameters
#   --runs N      timed runs per tool, after one warm-up (default 5; 1 with --quick)
#   --quick       small sizes (256 MiB disks), a smoke test of about a minute
#   --existing-runs N  timed runs of the S5 pre-existing-target variants (default: --runs)
#   --cleanup     delete each scenario's generated chains when it is done
#   --generate-only  generate (or check) the scenarios' chains and stop
#   --no-space-check  run scenarios even when the free space looks too small
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(dirname "$here")
cli=$repo/bin/qcow2-restore

scenarios=S1,S2,S3n,S4n,S5,S6
runs=
existing_runs=
quick=0
generate_only=0
cleanup=0
space_check=1
scratch=${TMPDIR:-/tmp}
cmdline="benchmarks/compare-qemu.sh $*"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --scenarios) scenarios=${2:?}; shift 2 ;;
        --scenarios=*) scenarios=${1#*=}; shift ;;
        --runs) runs=${2:?}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --existing-runs) existing_runs=${2:?}; shift 2 ;;
        --existing-runs=*) existing_runs=${1#*=}; shift ;;
        --quick) quick=1; shift ;;
        --cleanup) cleanup=1; shift ;;
        --generate-only) generate_only=1; shift ;;
        --no-space-check) space_check=0; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) scratch=$1; shift ;;
    esac
done
[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
[ -n "$existing_runs" ] || existing_runs=$runs
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive number"
[[ $existing_runs =~ ^[1-9][0-9]*$ ]] || die "--existing-runs needs a positive number"

# ---- tools -------------------------------------------------------------------------------------
for t in qemu-img qemu-io cmp cp sync awk java; do
    command -v $t >/dev/null || die "$t not found (qemu-img/qemu-io: apt-get install qemu-utils)"
done
if [ ! -x /usr/bin/time ] || ! /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
    die "/usr/bin/time (GNU time) is needed for peak RSS and is missing: apt-get install time"
fi
[ -f "${QCOW2_RESTORE_JAR:-$repo/qcow2-cli/target/qcow2-restore.jar}" ] ||
    die "the CLI jar is not built: (cd $repo && mvn -B -q -DskipTests package)"
have_python=0
command -v python3 >/dev/null && python3 -c 'import os; os.SEEK_DATA' 2>/dev/null && have_python=1

GiB=$((1 << 30)); MiB=$((1 << 20)); CLUSTER=65536

# ---- scenarios ---------------------------------------------------------------------------------
# Sets: vsize, full_ppm (allocated share of the full image, per million, in 1 MiB chunks),
# incs, change_ppm (share of the disk each incremental changes, runs of 1..16 clusters, 10% of them
# zero writes), comp (none|zlib|zstd: a compressed full image of text-like data), existing (also
# time restores onto a pre-existing target).
scenario() {
    existing=0; comp=none; cluster=$CLUSTER
    case $1 in
        S1) vsize=$((4 * GiB)); full_ppm=500000; incs=10; change_ppm=30000 ;;
        # S1 in 256 KiB clusters, as KubeVirt's backups of its overlays now are (same guest writes)
        S1-256K) vsize=$((4 * GiB)); full_ppm=500000; incs=10; change_ppm=30000; cluster=262144 ;;
        S2) vsize=$((4 * GiB)); full_ppm=500000; incs=100; change_ppm=5000 ;;
        S3n) vsize=$((4 * GiB)); full_ppm=500000; incs=3; change_ppm=30000; comp=zlib ;;
        S4n) vsize=$((4 * GiB)); full_ppm=500000; incs=3; change_ppm=30000; comp=zstd ;;
        S5) vsize=$((64 * GiB)); full_ppm=20000; incs=10; change_ppm=1000; existing=1 ;;
        S6) vsize=$((1024 * GiB)); full_ppm=250; incs=10; change_ppm=15 ;;
        *) die "unknown scenario $1 (S1 S1-256K S2 S3n S4n S5 S6)" ;;
    esac
    if [ $quick = 1 ]; then
        case $1 in
            S1|S1-256K|S3n|S4n) vsize=$((256 * MiB)) ;;
            S2) vsize=$((256 * MiB)); incs=20 ;;
            S5) vsize=$((2 * GiB)) ;;
            S6) vsize=$((64 * GiB)) ;;
        esac
    fi
    signature="v=$vsize full_ppm=$full_ppm incs=$incs change_ppm=$change_ppm comp=$comp gen=2"
    [ "$cluster" = $CLUSTER ] || signature="$signature cluster=$cluster"
}

# Rough bytes, as "GENERATE RUN": the chain (allocated data of all images; compressed data at
# about half) and its rebased copy are kept; a run needs rebase+convert's fresh copies, three
# raw outputs and, for the pre-existing variants, two more (both tools punch holes for zeros on a
# file; one that could not would write the whole target: --no-space-check then).
space_needed() {
    local full=$((vsize / 1000000 * full_ppm)) inc=$((vsize / 1000000 * change_ppm * incs))
    local raw=$((full + inc))
    [ $comp = none ] || full=$((full / 2))
    local chain=$((full + inc))
    local gen=$((2 * chain)) run=$((chain + 3 * raw))
    [ $comp = none ] || gen=$((gen + raw))
    [ $existing = 0 ] || run=$((run + 2 * raw))
    echo $gen $run
}

generated() { [ -f "$1/.complete" ] && [ "$(cat "$1/.complete")" = "$signature" ]; }
gib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 2^30 }'; }
avail_bytes() { echo $(($(df -Pk "$root" | awk 'NR == 2 { print $4 }') * 1024)); }

# ---- generation --------------------------------------------------------------------------------
# 16 pattern files of 1 MiB for `qemu-io write -s` (which reads a file from its start), so that
# neighbouring writes differ and a misplaced cluster shows in the comparison.
make_patterns() {
    local dir=$1/patterns
    [ -f "$dir/.complete" ] && return
    rm -rf "$dir"; mkdir -p "$dir/random" "$dir/text"
    for i in $(seq 0 15); do head -c $MiB /dev/urandom >"$dir/random/p$i"; done
    # text-like words from a skewed 512-word vocabulary: qemu's deflate shrinks it about 2.6x
    awk -v n=$((MiB + 16 * 4099)) 'BEGIN {
        srand(42)
        for (i = 0; i < 512; i++) { w = ""; l = 2 + int(rand() * 9)
            for (j = 0; j < l; j++) w = w sprintf("%c", 97 + int(rand() * 26)); v[i] = w }
        total = 0; line = 0
        while (total < n) { u = rand(); w = v[int(512 * u * u * u)]; line += length(w) + 1
            if (line > 72) { printf "%s\n", w; line = 0 } else printf "%s ", w
            total += length(w) + 1 } }' >"$dir/text.all"
    for i in $(seq 0 15); do
        dd if="$dir/text.all" of="$dir/text/p$i" iflag=skip_bytes,count_bytes skip=$((i * 4099)) count=$MiB status=none
    done
    rm -f "$dir/text.all"
    touch "$dir/.complete"
}

# qemu-io commands: the full image's 1 MiB chunks, allocated with probability full_ppm/1e6.
full_commands() {
    awk -v size=$vsize -v ppm=$full_ppm -v pat="$1" -v seed="$2" 'BEGIN {
        srand(seed); chunk = 1048576
        for (off = 0; off < size; off += chunk) if (rand() * 1000000 < ppm) {
            len = size - off < chunk ? size - off : chunk
            printf "write -s %s/p%d %.0f %.0f\n", pat, int(rand() * 16), off, len } }'
}

# qemu-io commands of one incremental: runs of 1..16 clusters at random places until change_ppm
# of the disk is covered, a tenth of them zero writes.
inc_commands() {
    awk -v size=$vsize -v ppm=$change_ppm -v pat="$1" -v seed="$2" 'BEGIN {
        srand(seed); cs = 65536; clusters = size / cs
        want = int(clusters * ppm / 1000000); if (want < 1) want = 1
        for (done = 0; done < want; done += run) {
            run = 1 + int(rand() * 16); if (run > want - done) run = want - done
            start = int(rand() * (clusters - run)) * cs
            if (rand() < 0.10) printf "write -z %.0f %.0f\n", start, run * cs
            else printf "write -s %s/p%d %.0f %.0f\n", pat, int(rand() * 16), start, run * cs } }'
}

qemu_io() { # image format < commands; qemu-io exits 0 even when a write fails
    local out
    out=$( (cat; echo quit) | qemu-io -f "$2" "$1" 2>&1) || die "qemu-io $1 failed: $out"
    if grep -qiE 'failed|error' <<<"$out"; then die "qemu-io $1: $(grep -iE 'failed|error' <<<"$out" | head -3)"; fi
}

generate() { # scenario dir
    local sc=$1 d=$2 pat=$root/patterns
    if generated "$d"; then
        log "$sc: reusing generated chain in $d"
        return
    fi
    log "$sc: generating $((incs + 1)) images ($((vsize / MiB)) MiB virtual) in $d"
    rm -rf "$d"; mkdir -p "$d/chain" "$d/rebased"
    local seed
    # mawk clamps srand() seeds to 2^31-1, and cksum values are mostly above it: every image of
    # every scenario then drew the same places (gen=1). Keep seeds small.
    seed=$(($(cksum <<<"$sc" | cut -d' ' -f1) % 1000000))
    if [ $comp = none ]; then
        qemu-img create -q -f qcow2 -o cluster_size=$cluster "$d/chain/full.qcow2" $vsize
        full_commands "$pat/random" $seed | qemu_io "$d/chain/full.qcow2" qcow2
    else
        qemu-img create -q -f raw "$d/full.raw" $vsize
        full_commands "$pat/text" $seed | qemu_io "$d/full.raw" raw
        qemu-img convert -c -f raw -O qcow2 -o cluster_size=$cluster,compression_type=$comp \
            "$d/full.raw" "$d/chain/full.qcow2"
        rm -f "$d/full.raw"
    fi
    local i name
    for i in $(seq 1 $incs); do
        name=$(printf 'inc%03d.qcow2' $i)
        qemu-img create -q -f qcow2 -o cluster_size=$cluster "$d/chain/$name" $vsize
        inc_commands "$pat/random" $((seed + i)) | qemu_io "$d/chain/$name" qcow2
    done
    # the rebased chain for `qemu-img convert -m 16 -W`, backing names relative to the images
    cp --sparse=always "$d"/chain/*.qcow2 "$d/rebased/"
    rebase_chain "$d/rebased"
    sync
    echo "$signature" >"$d/.complete"
}

chain_names() { # oldest first
    echo full.qcow2
    local i
    for i in $(seq 1 $incs); do printf 'inc%03d.qcow2\n' $i; done
}

rebase_chain() { # dir: `rebase -u` every link onto its parent, as the rebase+convert workflow does
    (cd "$1" && local prev= && for f in $(chain_names); do
        [ -z "$prev" ] || qemu-img rebase -u -f qcow2 -F qcow2 -b "$prev" "$f"
        prev=$f
    done)
}

# ---- timing ------------------------------------------------------------------------------------
# Runs a command under GNU time; appends "wall sync rss_kib" to the tool's result file. The sync
# of the output file after the command gives the durable time and leaves no dirty pages behind to
# slow down the next tool.
timed() { # results_file output_file command...
    local res=$1 out=$2; shift 2
    local t0 t1 t2
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/stdout" 2>"$work/stderr"; then
        cat "$work/stderr" >&2
        die "failed: $*"
    fi
    t1=$EPOCHREALTIME
    sync "$out"
    t2=$EPOCHREALTIME
    echo "$(awk -v a=$t0 -v b=$t1 -v c=$t2 'BEGIN { printf "%.4f %.4f", b - a, c - b }') $(tail -1 "$work/rss")" >>"$res"
}

warm() { # files: read into the page cache
    cat "$@" >/dev/null
}

# Touch, then free, as much memory as a run's output will take in the page cache, right before it
# starts. On a VM with free page reporting (virtio-balloon), memory the guest freed a while ago is
# handed back to the host, and the first write into it faults on the host: writing 2 GB into such
# "cold" memory took 5-6 s of system time here instead of 1. Which tool got cold memory depended on
# what the untimed preparation had just consumed (rebase+convert's fresh copies take gigabytes), so every
# run now starts with the same amount of recently freed, warm memory.
prefault_file=
# a run stopped during prefault() must not leave gigabytes of RAM held in /dev/shm
trap 'rm -f "$prefault_file"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
prefault() {
    local mib=$(((raw_bytes + raw_bytes / 4) / MiB + 64))
    local free_mib=$(awk '/MemAvailable/ { print int($2 / 1024 / 2) }' /proc/meminfo)
    [ $mib -le $free_mib ] || mib=$free_mib
    local shm=/dev/shm
    [ -d "$shm" ] && [ -w "$shm" ] || shm=$work
    prefault_file=$shm/qcow2j-prefault.$$
    head -c $((mib * MiB)) /dev/zero >"$prefault_file" 2>/dev/null || true
    rm -f "$prefault_file"
}

# One run of one tool. Untimed preparation: fresh copies for the rebase+convert workflow, a fresh target
# (deleted, or a same-size sparse file for the pre-existing variants), images read into the page
# cache, and a global sync so no earlier writes are flushed during the measurement.
run_tool() { # tool results_file
    local tool=$1 res=$2 out newest
    newest=$(chain_names | tail -1)
    case $tool in
        seed)
            out=$work/seed.raw
            rm -rf "$work/seed"; mkdir -p "$work/seed"; rm -f "$out"
            cp --sparse=always "$d"/chain/*.qcow2 "$work/seed/"
            warm "$work/seed"/*.qcow2; sync; prefault
            timed "$res" "$out" bash -c "cd '$work/seed' && prev= && for f in $(chain_names | tr '\n' ' '); do
                    [ -z \"\$prev\" ] || qemu-img rebase -u -f qcow2 -F qcow2 -b \"\$prev\" \"\$f\" || exit 1
                    prev=\$f
                done && qemu-img convert -f qcow2 -O raw '$newest' '$out'"
            rm -rf "$work/seed" ;;
        plain)
            out=$work/plain.raw
            rm -f "$out"; warm "$d"/rebased/*.qcow2; sync; prefault
            timed "$res" "$out" qemu-img convert -f qcow2 -O raw "$d/rebased/$newest" "$out" ;;
        convert)
            out=$work/convert.raw
            rm -f "$out"; warm "$d"/rebased/*.qcow2; sync; prefault
            timed "$res" "$out" qemu-img convert -m 16 -W -f qcow2 -O raw "$d/rebased/$newest" "$out" ;;
        ours|ours-direct)
            # ours-direct: the same restore with O_DIRECT writes, past the page cache, so it does not
            # depend on the state of the guest's memory (docs/performance.md, why the numbers swing)
            out=$work/$tool.raw
            rm -f "$out"; warm "$d"/chain/*.qcow2; sync; prefault
            timed "$res" "$out" "$cli" restore $([ $tool = ours ] || echo --direct) --progress=none --output "$out" \
                $(chain_names | sed "s|^|$d/chain/|")
            [ $tool != ours ] || raw_bytes=$(($(stat -c '%b * %B' "$out"))) ;;
        floor|device)
            # the write floor: the bytes our restore wrote, from /dev/zero into a new file, 4 MiB at a
            # time (no reading, no composing); "durable" adds the fsync any durable restore pays. The
            # device floor writes them with O_DIRECT, past the page cache: the device's own time,
            # whatever state the page cache and guest memory are in
            out=$work/$tool.raw
            rm -f "$out"; sync; prefault
            timed "$res" "$out" dd if=/dev/zero of="$out" bs=4M count=$(((raw_bytes + 4 * MiB - 1) / (4 * MiB))) \
                $([ $tool = floor ] || echo oflag=direct) status=none ;;
        device4)
            # the device floor at a queue depth of 4: four O_DIRECT dd writing a quarter each, into
            # files of their own (on ext4 a direct write that allocates blocks holds the inode lock
            # exclusively: four writers into one file would take turns). One dd keeps a single 4 MiB
            # write in flight, while a buffered restore's writeback keeps several: our S2 restore once
            # finished under the one-stream floor, so that floor alone does not bound a restore
            out=$work/$tool.raw
            rm -f "$out" "$out".[123]; sync; prefault
            local quarter=$(((raw_bytes + 16 * MiB - 1) / (16 * MiB)))
            timed "$res" "$out" bash -c "pids=; for i in 0 1 2 3; do
                    f='$out'; [ \$i = 0 ] || f='$out'.\$i
                    dd if=/dev/zero of=\"\$f\" bs=4M count=$quarter oflag=direct status=none & pids+=\" \$!\"
                done; for p in \$pids; do wait \$p || exit 1; done; sync '$out'.1 '$out'.2 '$out'.3"
            rm -f "$out".[123] ;;
        convert-existing)
            out=$work/convert-existing.raw
            rm -f "$out"; truncate -s $vsize "$out"; warm "$d"/rebased/*.qcow2; sync; prefault
            timed "$res" "$out" qemu-img convert -n -m 16 -W -f qcow2 -O raw "$d/rebased/$newest" "$out" ;;
        ours-existing)
            out=$work/ours-existing.raw
            rm -f "$out"; truncate -s $vsize "$out"; warm "$d"/chain/*.qcow2; sync; prefault
            timed "$res" "$out" "$cli" restore --progress=none --output "$out" $(chain_names | sed "s|^|$d/chain/|") ;;
    esac
}

label() {
    case $1 in
        seed) echo "rebase+convert: rebase -u ×$incs + convert" ;;
        plain) echo "its convert alone (rebased chain)" ;;
        convert) echo "qemu-img convert -m 16 -W" ;;
        ours) echo "qcow2-restore" ;;
        ours-direct) echo "qcow2-restore --direct" ;;
        floor) echo "write floor: dd $(gib $raw_bytes) GiB from /dev/zero" ;;
        device) echo "device floor: the same dd with oflag=direct" ;;
        device4) echo "device floor, 4 streams: 4 such dd in parallel, a quarter each" ;;
        convert-existing) echo "qemu-img convert -n -m 16 -W (existing)" ;;
        ours-existing) echo "qcow2-restore (existing)" ;;
    esac
}

# median, min, max of column $2 (1 wall, 2 wall+sync) of file $1
stats() {
    awk -v col=$2 '{ v = col == 1 ? $1 : $1 + $2; print v }' "$1" | sort -g | awk '
        { a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", m, a[1], a[NR] }'
}
peak_mib() { awk '{ if ($3 > m) m = $3 } END { printf "%.0f", m / 1024 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f×", a / b }'; }

# a b: byte-identical? Compares the union of both files' data ranges (SEEK_DATA/SEEK_HOLE; holes
# read as zeros in both), which is what cmp checks, without reading terabytes of holes; cmp when
# python3 is missing.
same_content() {
    if [ $have_python = 1 ]; then
        python3 - "$1" "$2" <<'EOF'
import os, sys
a, b = sys.argv[1], sys.argv[2]
fa, fb = os.open(a, os.O_RDONLY), os.open(b, os.O_RDONLY)
size = os.fstat(fa).st_size
if size != os.fstat(fb).st_size:
    sys.exit(f"{a} and {b} differ in size")
def data(fd):  # the file's data ranges; everything else reads as zeros
    pos = 0
    while pos < size:
        try:
            d = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:
            return
        pos = os.lseek(fd, d, os.SEEK_HOLE)
        yield d, pos
merged = []
for s, e in sorted(list(data(fa)) + list(data(fb))):
    if merged and s <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], e)
    else:
        merged.append([s, e])
for s, e in merged:
    while s < e:
        n = min(4 << 20, e - s)
        if os.pread(fa, n, s) != os.pread(fb, n, s):
            sys.exit(f"{a} and {b} differ in the 4 MiB at offset {s}")
        s += n
EOF
    else
        cmp "$1" "$2" >&2
    fi
}

# ---- main --------------------------------------------------------------------------------------
root=$scratch/qcow2j-compare$([ $quick = 1 ] && echo -quick || true)
mkdir -p "$root"
work=$root/work
mkdir -p "$work"

IFS=, read -r -a list <<<"$scenarios"
total=0
peak=0
log "space needed (rough; generated chains are kept in $root and reused unless --cleanup):"
for sc in "${list[@]}"; do
    scenario "$sc"
    read -r gen run < <(space_needed)
    generated "$root/$sc" && gen=0
    log "  $sc: $(gib $gen) GiB to generate, $(gib $run) GiB more while it runs"
    if [ $cleanup = 1 ]; then
        [ $((gen + run)) -le $peak ] || peak=$((gen + run))
    else
        total=$((total + gen))
        [ $((total + run)) -le $peak ] || peak=$((total + run))
    fi
done
log "  about $(gib $peak) GiB at the peak; $(gib $(avail_bytes)) GiB available in $root"
[ $(avail_bytes) -gt $peak ] ||
    log "warning: probably not enough space; scenarios (or S5's pre-existing variants) that do not fit when their turn comes are skipped"

make_patterns "$root"

qemu_version=$(qemu-img --version | head -1)
java_version=$(java -version 2>&1 | head -1)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
checks=()
declare -A med dmed rss   # per "scenario.tool": median s, durable median s, peak RSS MiB

# O_DIRECT into the scratch file system (not on tmpfs, for one): the device floor row needs it
have_direct=0
dd if=/dev/zero of="$work/direct-probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null && have_direct=1
rm -f "$work/direct-probe"

for sc in "${list[@]}"; do
    scenario "$sc"
    d=$root/$sc
    read -r gen run < <(space_needed)
    generated "$d" && gen=0
    n=$((gen + run + GiB))
    skip_existing=
    if [ $space_check = 1 ] && [ $existing = 1 ] && [ $(avail_bytes) -lt $n ]; then
        # the pre-existing target may be written whole, zeros included: try without it
        existing=0
        read -r gen2 run2 < <(space_needed)
        generated "$d" && gen2=0
        skip_existing="pre-existing target variants skipped: they need about $(gib $n) GiB free, $(gib $(avail_bytes)) GiB were available"
        n=$((gen2 + run2 + GiB))
    fi
    if [ $space_check = 1 ] && [ $(avail_bytes) -lt $n ]; then
        log "$sc: skipped: needs about $(gib $n) GiB, $(gib $(avail_bytes)) GiB available"
        rows+=("| $sc | skipped: needs about $(gib $n) GiB free, $(gib $(avail_bytes)) GiB were available | | | | | | | | |")
        continue
    fi
    if [ -n "$skip_existing" ]; then
        log "$sc: $skip_existing"
        checks+=("$sc: $skip_existing")
    fi
    generate "$sc" "$d"
    [ $generate_only = 0 ] || continue
    # bytes a restore writes: estimated until our first run tells (the floor runs after it)
    raw_bytes=$((vsize / 1000000 * (full_ppm + change_ppm * incs)))
    [ $raw_bytes -le $vsize ] || raw_bytes=$vsize
    tools=(seed plain convert ours floor)
    [ $have_direct = 0 ] || tools+=(device device4 ours-direct)
    [ $existing = 0 ] || tools+=(convert-existing ours-existing)
    rm -f "$work"/*.res "$work"/*.warmup "$work"/*.raw
    log "$sc: $runs timed runs after one warm-up, tools in rotating order: ${tools[*]}"
    for r in $(seq 0 $runs); do
        nt=${#tools[@]}
        for k in $(seq 0 $((nt - 1))); do
            tool=${tools[$(((k + r) % nt))]}
            if [[ $tool == *-existing ]] && [ $r -gt $existing_runs ]; then continue; fi
            res=$work/$tool.res
            [ $r -gt 0 ] || res=$work/$tool.warmup
            run_tool "$tool" "$res"
            log "$sc run $r $tool: $(tail -1 "$res" | awk '{ printf "%s s (+%s s sync), %.0f MiB", $1, $2, $3 / 1024 }')"
        done
    done
    # every output must be the same disk
    verdict=identical
    for pair in "ours convert" "ours-direct convert" "ours seed" "ours plain" "ours-existing convert-existing" "ours-existing ours"; do
        set -- $pair
        [ -f "$work/$1.raw" ] && [ -f "$work/$2.raw" ] || continue
        if ! same_content "$work/$1.raw" "$work/$2.raw"; then
            verdict="DIFFERENT ($1 vs $2)"
            log "$sc: OUTPUTS DIFFER: $1 vs $2"
        fi
    done
    checks+=("$sc: outputs $verdict")
    log "$sc: outputs $verdict"
    read -r seed_m _ _ < <(stats "$work/seed.res" 1)
    read -r seed_d _ _ < <(stats "$work/seed.res" 2)
    for tool in "${tools[@]}"; do
        read -r m lo hi < <(stats "$work/$tool.res" 1)
        read -r dm _ _ < <(stats "$work/$tool.res" 2)
        conv=convert
        sm=$seed_m; sd=$seed_d
        if [[ $tool == *-existing ]]; then conv=convert-existing; sm=; sd=; fi
        read -r cm _ _ < <(stats "$work/$conv.res" 1)
        read -r cd _ _ < <(stats "$work/$conv.res" 2)
        rows+=("| $sc | $(label $tool) | $m | $lo–$hi | $dm | $(ratio "$sm" "$m") | $(ratio "$cm" "$m") | $(ratio "$sd" "$dm") | $(ratio "$cd" "$dm") | $(peak_mib "$work/$tool.res") |")
        med[$sc.$tool]=$m; dmed[$sc.$tool]=$dm; rss[$sc.$tool]=$(peak_mib "$work/$tool.res")
    done
    rm -f "$work"/*.raw
    if [ $cleanup = 1 ]; then rm -rf "$d"; fi
done
[ $generate_only = 0 ] || { log "chains generated in $root"; exit 0; }

# ---- reference ratios, checked against this run's medians --------------------------------------
# The lowest of the floors' durable medians: the least time in which this run's device stored the
# bytes a restore writes. A ratio that needs a forcing restore to finish sooner is out of reach on
# this machine, whatever the restore does; unless our restore itself finished under that floor,
# which shows the floor is not one, and the shortfall is only a shortfall.
floor_s() { # scenario
    awk -v a="${dmed[$1.floor]:-}" -v b="${dmed[$1.device]:-}" -v c="${dmed[$1.device4]:-}" 'BEGIN {
        m = ""; n = split(a " " b " " c, v, " ")
        for (i = 1; i <= n; i++) if (m == "" || v[i] + 0 < m + 0) m = v[i]
        print m }'
}
# one row: what, scenario, reference median, ours median, target ratio
target_row() {
    local what=$1 sc=$2 ref=$3 ours=$4 want=$5 fl
    fl=$(floor_s "$sc")
    awk -v what="$what" -v r="$ref" -v o="$ours" -v w="$want" -v f="$fl" 'BEGIN {
        got = r / o; need = r / w
        if (got >= w) verdict = "reached"
        else if (f != "" && f > need && o >= f) verdict = sprintf("out of reach while forcing the output: needs ≤ %.2f s, storing the bytes alone took %.2f s (floor)", need, f)
        else if (f != "" && f > need) verdict = sprintf("below: needs ≤ %.2f s; our restore ran under the floor (%.2f s), so the floor does not prove it out of reach", need, f)
        else verdict = sprintf("below: needs ≤ %.2f s (floor %s s)", need, f == "" ? "?" : sprintf("%.2f", f))
        printf "| %s | %.2f× (%.3f ÷ %.3f s) | %s |\n", what, got, r, o, verdict }'
}
targets() {
    local sc want
    for sc in S1 S2 S3n S4n; do
        [ -n "${med[$sc.ours]:-}" ] || continue
        case $sc in S1) want=1.3 ;; S2) want=2.5 ;; S3n) want=1.25 ;; S4n) want=2 ;; esac
        target_row "$sc ≥ ${want}× the rebase+convert workflow" $sc "${med[$sc.seed]}" "${med[$sc.ours]}" $want
    done
    if [ -n "${med[S5.ours]:-}" ]; then
        target_row "S5 no slower than \`convert -m 16 -W\`, new file" S5 "${med[S5.convert]}" "${med[S5.ours]}" 1
        [ -z "${med[S5.ours-existing]:-}" ] ||
            target_row "S5 no slower than \`convert -n -m 16 -W\`, pre-existing file" S5 "${med[S5.convert-existing]}" "${med[S5.ours-existing]}" 1
    fi
    for sc in "${list[@]}"; do
        [ -n "${med[$sc.ours]:-}" ] || continue
        target_row "$sc durable ≥ 1.0× the rebase+convert workflow + sync" $sc "${dmed[$sc.seed]}" "${dmed[$sc.ours]}" 1
        target_row "$sc durable ≥ 1.0× \`convert -m 16 -W\` + sync" $sc "${dmed[$sc.convert]}" "${dmed[$sc.ours]}" 1
        [ -z "${med[$sc.ours-existing]:-}" ] ||
            target_row "$sc durable ≥ 1.0× \`convert -n -m 16 -W\` + sync, pre-existing file" $sc "${dmed[$sc.convert-existing]}" "${dmed[$sc.ours-existing]}" 1
    done
    local worst=0 sc_worst= r
    for sc in "${list[@]}"; do
        for r in "${rss[$sc.ours]:-0}" "${rss[$sc.ours-existing]:-0}"; do
            [ "$r" -le $worst ] || { worst=$r; sc_worst=$sc; }
        done
    done
    [ -z "$sc_worst" ] || echo "| peak RSS ≤ 160 MiB on every scenario | largest $worst MiB ($sc_worst) | $([ $worst -le 160 ] && echo within || echo above) |"
    if [ -n "${rss[S5.ours]:-}" ] && [ -n "${rss[S6.ours]:-}" ]; then
        echo "| 1 TiB sparse (S6) within 10% of S5's RSS (at most 10% above it) | S6 ${rss[S6.ours]} MiB, S5 ${rss[S5.ours]} MiB | $([ $((rss[S6.ours] * 10)) -le $((rss[S5.ours] * 11)) ] && echo within || echo above) |"
    fi
}

{
    echo "## qcow2-restore vs qemu-img ($([ $quick = 1 ] && echo "quick sizes" || echo "full scenarios"))"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $commit; command: \`$cmdline\`"
    echo "- machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM, kernel $(uname -r), scratch on $(df -PT "$root" | awk 'NR == 2 { print $2 }')"
    echo "- $qemu_version; $java_version"
    echo "- load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: read medians and ratios)"
    echo "- $runs timed runs per tool after one warm-up (S5 pre-existing variants: $existing_runs), tools alternating in rotating order, images in the page cache"
    echo
    echo "Times are wall seconds of the whole process(es). \`×rebase+convert\` and \`×convert\` are the rebase+convert workflow's and"
    echo "\`convert -m 16 -W\`'s median divided by this row's (above 1 = this row is faster). *Durable* adds an"
    echo "\`fsync\` of the output after the process exits (\`sync FILE\`); qcow2-restore already forces before it"
    echo "reports success. Peak RSS is the largest over the timed runs (rebase+convert: its largest process)."
    echo "\"its convert alone\" is the rebase+convert workflow's \`qemu-img convert -f qcow2 -O raw\` on the chain rebased once."
    echo "The write floor writes the bytes our restore wrote (the allocated size of its output) from /dev/zero"
    echo "with \`dd bs=4M\` into a new file: no reading, no composing. The device floor writes them with"
    echo "\`oflag=direct\`, past the page cache, one 4 MiB write in flight; the 4-stream device floor runs four"
    echo "such \`dd\` at once, a quarter of the bytes each, into files of their own (four writes in flight, as a"
    echo "restore's writeback keeps several). The lowest of the three durable medians is taken as the least time"
    echo "this run's device needed to store the bytes: a restore that forces its output cannot finish sooner"
    echo "(its own start-up and reading come on top). Where our restore still finished under it, the result"
    echo "says so and does not call the ratio out of reach. Before every run, as much memory as the output needs is"
    echo "touched and freed (see prefault in the script: on a VM with free page reporting, writing into memory"
    echo "the host took back costs several times more). \`qcow2-restore --direct\` is the same restore writing"
    echo "with O_DIRECT (its opt-in option); the reference ratios below judge the default, page-cache restore."
    echo
    echo "| scenario | tool | median s | min–max s | durable median s | ×rebase+convert | ×convert | durable ×rebase+convert | durable ×convert | peak RSS MiB |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Scenarios (64 KiB clusters; random data unless said; incrementals change runs of 1–16 clusters at random"
    echo "places, a tenth of them zero writes):"
    for sc in "${list[@]}"; do
        scenario "$sc"
        printf -- '- %s: %s virtual, full %s allocated%s, %d incrementals × %s%s\n' "$sc" \
            "$(awk -v n=$vsize 'BEGIN { print (n >= 2^40 ? n / 2^40 " TiB" : n >= 2^30 ? n / 2^30 " GiB" : n / 2^20 " MiB") }')" \
            "$(awk -v p=$full_ppm 'BEGIN { printf "%g%%", p / 10000 }')" \
            "$([ $comp = none ] || echo " with text-like data, every cluster $comp-compressed (qemu-img convert -c)")" \
            $incs "$(awk -v p=$change_ppm 'BEGIN { printf "%g%%", p / 10000 }')" \
            "$([ $existing = 0 ] || echo "; also onto a pre-existing same-size sparse raw file (qemu: convert -n)")"
    done
    echo
    echo "Reference ratios, from this run's medians$([ $quick = 0 ] || echo " (quick sizes: the ratios are set for the full scenarios)"):"
    echo
    echo "| reference ratio | measured | result |"
    echo "|---|---|---|"
    targets
    echo
    echo "Output checks ($([ $have_python = 1 ] && echo "byte comparison of the union of both files' data ranges, holes being zeros" || echo cmp)):"
    for c in "${checks[@]}"; do echo "- $c"; done
} | tee "$root/results-$(date +%Y%m%d-%H%M%S).md"
