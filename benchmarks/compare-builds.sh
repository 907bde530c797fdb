#!/usr/bin/env bash
# Two builds of qcow2-restore on the same chains, alternating, to see whether a change made the
# restore faster or slower: wall seconds (whole process, the output forced to disk by the restore
# itself) and peak RSS, medians of N runs, and the ratio of the medians.
#
# usage: benchmarks/compare-builds.sh OLD_LAUNCHER NEW_LAUNCHER CHAIN_DIR [CHAIN_DIR...] [--runs N]
#   OLD_LAUNCHER, NEW_LAUNCHER  bin/qcow2-restore of each build (e.g. a git worktree at the old commit)
#   CHAIN_DIR                   a directory of qcow2 images, full.qcow2 then inc*.qcow2 (compare-qemu.sh
#                               --generate-only makes them: SCRATCH/qcow2j-compare/<scenario>/chain)
# Each run writes a new file beside the chain's directory (deleted before, untimed), after the inputs
# were read into the page cache, a global sync, and the same amount of memory touched and freed as
# the output will take (see prefault in compare-qemu.sh: the first writes into memory a VM's host
# took back are slow, and that must not depend on which build ran last).
set -euo pipefail
export LC_ALL=C
runs=5
launchers=()
chains=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) if [ ${#launchers[@]} -lt 2 ]; then launchers+=("$1"); else chains+=("$1"); fi; shift ;;
    esac
done
[ ${#launchers[@]} -eq 2 ] && [ ${#chains[@]} -ge 1 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ -x /usr/bin/time ] || { echo "error: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 1; }

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

prefault() { # MiB
    local mib=$1 free_mib shm=/dev/shm
    free_mib=$(awk '/MemAvailable/ { print int($2 / 1024 / 2) }' /proc/meminfo)
    [ "$mib" -le "$free_mib" ] || mib=$free_mib
    [ -d $shm ] && [ -w $shm ] || shm=/tmp
    head -c $((mib << 20)) /dev/zero >"$shm/qcow2j-prefault.$$" 2>/dev/null || true
    rm -f "$shm/qcow2j-prefault.$$"
}

echo "| chain | build | median s | min–max s | median peak RSS MiB | new ÷ old (time) |"
echo "|---|---|---:|---:|---:|---:|"
for chain in "${chains[@]}"; do
    images=("$chain"/full.qcow2)
    for f in "$chain"/inc*.qcow2; do [ -e "$f" ] && images+=("$f"); done
    out=$(dirname "$chain")/compare-builds.raw
    vsize=$(qemu-img info --output=json "${images[-1]}" | awk -F'[:,]' '/"virtual-size"/ { print $2; exit }')
    declare -A times=() rss=()
    for ((i = 0; i < runs + 1; i++)); do # the first round warms up and is not counted
        for b in 0 1; do
            which=$(((i + b) % 2)) # alternate which build goes first
            rm -f "$out"
            cat "${images[@]}" >/dev/null
            sync
            prefault $((vsize / 1048576 / 4 + 64))
            stats=$( { /usr/bin/time -f '%e %M' "${launchers[$which]}" restore --progress=none --output "$out" \
                "${images[@]}" >/dev/null; } 2>&1 | tail -n 1)
            if [ "$i" -gt 0 ]; then
                times[$which]+="${stats% *} "
                rss[$which]+="$((${stats#* } / 1024)) "
            fi
        done
    done
    rm -f "$out"
    m0=$(echo "${times[0]}" | tr ' ' '\n' | grep . | median)
    m1=$(echo "${times[1]}" | tr ' ' '\n' | grep . | median)
    for b in 0 1; do
        name=$([ $b = 0 ] && echo old || echo new)
        t=$(echo "${times[$b]}" | tr ' ' '\n' | grep . | sort -n)
        m=$([ $b = 0 ] && echo "$m0" || echo "$m1")
        r=$(echo "${rss[$b]}" | tr ' ' '\n' | grep . | median)
        ratio=$([ $b = 1 ] && awk -v a="$m1" -v o="$m0" 'BEGIN { printf "%.2f", a / o }' || echo "")
        echo "| $(basename "$(dirname "$chain")") | $name | $m | $(echo "$t" | head -1)–$(echo "$t" | tail -1) | $r | $ratio |"
    done
    unset times rss
done
