#!/usr/bin/env bash
# Distribution check: unpacks qcow2j-VERSION-linux-x86_64.tar.gz outside the repository and, in
# conditions like the restore pod's (docs/deploy.md), restores the sample chain and compares it
# with testdata/expected/chain.sha256, checks --version (the version and the commit) and that the
# class-data-sharing archive is used where the archive was unpacked.
#
# usage: scripts/check-distribution.sh [ARCHIVE]   (default: qcow2-cli/target/qcow2j-*-linux-x86_64.tar.gz,
#                                                  made by mvn package on Linux x86-64 with jlink)
#
# What is real and what is simulated:
# - always: the archive is unpacked into a new directory under /tmp; the restore reads copies of
#   the images there; the environment is emptied (env -i): no JAVA_HOME, no HOME, and a PATH that
#   holds bash and nothing else, so no java.
# - as root: the restore runs as uid/gid 65532 with no supplementary groups and no passwd entry (as
#   in the image), in a mount namespace (unshare -m) where / is remounted read-only and a tmpfs,
#   standing in for the pod's emptyDir, is the only writable place: it holds the restored disk and
#   is mounted where the pod mounts its emptyDir for temporary files (/tmp, as java.io.tmpdir).
#   The unpacked files are owned by root and not writable by the user, as in the image.
# - not root: no other user and no namespace; the unpacked directory is made read-only (chmod)
#   and a directory under /tmp stands in for the emptyDir. Said so in the output.
# - not checked here: the image itself (no base image or container engine here), the Block-mode
#   volume (the CLI tests cover block devices), cgroup memory limits.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

. scripts/distribution-archive.sh
distribution_archive check-distribution "${1:-}"
name=$(basename "$archive" -linux-x86_64.tar.gz)
version=${name#qcow2j-}
expected=$(cut -d ' ' -f 1 testdata/expected/chain.sha256)
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)

# Not under /tmp when root: the namespace mounts an emptyDir stand-in over /tmp.
if [ "$(id -u)" = 0 ]; then base=/var/tmp; else base=${TMPDIR:-/tmp}; fi
work=$(mktemp -d "$base/qcow2j-distribution.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/opt" "$work/data" "$work/emptydir" "$work/tmp" "$work/path"
chmod 1777 "$work/emptydir" "$work/tmp"
tar -xzf "$archive" -C "$work/opt"
dist=$work/opt/$name
cp testdata/chain/full.qcow2 testdata/chain/inc1.qcow2 testdata/chain/inc2.qcow2 "$work/data/"
chmod 644 "$work/data/"*
# PATH for the restore: bash (the launcher's interpreter) and nothing else
ln -s "$(command -v bash)" "$work/path/bash"
images=("$work/data/full.qcow2" "$work/data/inc1.qcow2" "$work/data/inc2.qcow2")
echo "check-distribution: $archive ($(du -k "$archive" | cut -f1) KiB) unpacked in $dist"

# The libraries the runtime and the native libraries need from the system, and the newest glibc
# symbol version they use: UBI 9, the image's base, has glibc 2.34.
if command -v objdump >/dev/null 2>&1; then
    glibc=$(find "$dist/runtime" "$dist/lib/native" -name '*.so' -o -path '*/bin/java' | while read -r f; do
        objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' || true; done | sort -u -t . -k 2,2n -k 3,3n | tail -n 1)
    needed=$(find "$dist/runtime" "$dist/lib/native" -name '*.so' -o -path '*/bin/java' | while read -r f; do
        objdump -p "$f" | awk '/NEEDED/ { print $2 }'; done | sort -u | grep -v -e '^libj' -e '^libnet' -e '^libnio' \
        -e '^libverify' -e '^libzip' -e '^libmanagement' | tr '\n' ' ')
    echo "check-distribution: needs from the system: $needed(newest symbol $glibc)"
    case $glibc in
        GLIBC_2.3[5-9]* | GLIBC_2.[4-9]*) echo "error: $glibc is newer than UBI 9's glibc 2.34" >&2; exit 1 ;;
    esac
else
    echo "check-distribution: objdump not found: glibc symbol versions not checked"
fi

# What runs in the pod-like environment, as the pod's user: $1 is the emptyDir, $2 "ro" when the
# root file system is read-only.
inner=$work/inner.sh
cat > "$inner" <<EOF
set -euo pipefail
out=\$1
if touch "$dist/probe" 2>/dev/null; then echo "error: the distribution is writable" >&2; exit 1; fi
if [ "\$2" = ro ] && touch "$work/probe" 2>/dev/null; then echo "error: the root file system is writable" >&2; exit 1; fi
if command -v java >/dev/null 2>&1; then echo "error: java on PATH" >&2; exit 1; fi
if [ -n "\${HOME:-}" ] || [ -n "\${JAVA_HOME:-}" ]; then echo "error: HOME or JAVA_HOME is set" >&2; exit 1; fi
"$dist/bin/qcow2-restore" --version > "\$out/version.txt"
"$dist/bin/qcow2-restore" restore --json --output "\$out/disk.img" ${images[*]} > "\$out/summary.json" 2> "\$out/stderr.txt"
# --version once more, with the archive required: -Xshare:on stops the JVM if it cannot map it
JAVA_OPTS="-Xshare:on -Xlog:class+load=info:file=\$out/classes.log" "$dist/bin/qcow2-restore" --version > /dev/null
# web identity from the credentials file: the STS module must be bundled and work in this runtime;
# nothing listens at the STS endpoint, so the run fails at STS (exit 3), not on a missing module
printf 'token' > "\$out/token"
printf '[default]\\nrole_arn = arn:aws:iam::123456789012:role/r\\nweb_identity_token_file = %s\\n' "\$out/token" > "\$out/cloud"
rc=0
KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_BUCKET=b KUBEVIRT_DM_BSL_S3_URL=http://127.0.0.1:9 \\
    AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 KUBEVIRT_DM_CREDENTIALS_FILE="\$out/cloud" \\
    KUBEVIRT_DM_VM_NAME=vm KUBEVIRT_DM_VM_NAMESPACE=ns KUBEVIRT_DM_VELERO_BACKUP_NAME=b KUBEVIRT_DM_TARGET_VOLUME=d \\
    KUBEVIRT_DM_TARGET_PATH="\$out/sts/disk.img" "$dist/bin/qcow2-restore" datamover-restore > /dev/null 2> "\$out/sts.txt" || rc=\$?
echo "\$rc" > "\$out/sts-exit.txt"
EOF

if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    mode="uid/gid 65532 without supplementary groups or passwd entry; root file system read-only (mount namespace); writable: the emptyDir stand-in and /tmp (bind mounts)"
    chown -R 0:0 "$dist"
    chmod -R go-w "$dist"
    unshare -m --propagation private bash -euo pipefail -c '
        work=$1 inner=$2
        mount --bind "$work/emptydir" "$work/emptydir" # a mount of its own stays writable
        mount --bind "$work/tmp" /tmp                   # the Job mounts an emptyDir at /tmp as well
        mount -o remount,bind,ro /
        exec setpriv --reuid 65532 --regid 65532 --clear-groups \
            env -i PATH="$work/path" bash "$inner" "$work/emptydir" ro
        ' _ "$work" "$inner"
else
    if [ "$(id -u)" = 0 ]; then why="unshare -m is not permitted here"; else why="not root"; fi
    mode="SIMULATED ($why): this user; the root file system stays writable, the unpacked distribution is made read-only (chmod); $work/emptydir stands in for the emptyDir"
    chmod -R a-w "$dist"
    env -i PATH="$work/path" bash "$inner" "$work/emptydir" rw
    chmod -R u+w "$dist"
fi

out=$work/emptydir
echo "check-distribution: ran as $mode"
failed=0
version_line=$(cat "$out/version.txt")
echo "check-distribution: --version: $version_line"
if [ "$commit" = unknown ]; then # no git here: any commit, but one
    want="qcow2-restore $version \\(commit [0-9a-f]{7,}\\)"
else
    want="qcow2-restore $version \(commit $commit\)"
fi
if ! [[ $version_line =~ ^$want$ ]]; then
    echo "error: --version printed '$version_line', expected '$want'" >&2
    failed=1
fi
if [ -s "$out/stderr.txt" ]; then
    echo "error: the restore wrote to stderr:" >&2
    cat "$out/stderr.txt" >&2
    failed=1
fi
actual=$(sha256sum "$out/disk.img" | cut -d ' ' -f 1)
if [ "$actual" = "$expected" ]; then
    echo "check-distribution: restored testdata/chain byte-identically (sha256 $actual)"
else
    echo "error: restored disk sha256 $actual, expected $expected" >&2
    failed=1
fi
archived=$(grep -c 'source: shared objects file (top)' "$out/classes.log" || true)
if [ "$archived" -ge 100 ]; then
    echo "check-distribution: $archived classes came from the application class-data-sharing archive"
else
    echo "error: only $archived classes came from the application's class-data-sharing archive" >&2
    failed=1
fi
sts_error=$(grep '^error:' "$out/sts.txt" || true)
if [ "$(cat "$out/sts-exit.txt")" = 3 ] && [[ $sts_error == *"STS AssumeRoleWithWebIdentity"* ]]; then
    echo "check-distribution: web identity reaches STS (the sts module is bundled): $sts_error"
else
    echo "error: web identity from the credentials file: exit $(cat "$out/sts-exit.txt"), expected 3 at STS:" >&2
    cat "$out/sts.txt" >&2
    failed=1
fi
# the help of datamover-restore names docs/cli-contract.md: the archive carries it
if [ -f "$dist/docs/cli-contract.md" ] && [ -f "$dist/docs/deploy.md" ]; then
    echo "check-distribution: docs/ shipped (cli-contract.md, deploy.md)"
else
    echo "error: the archive has no docs/cli-contract.md or docs/deploy.md" >&2
    failed=1
fi
if [ "$failed" != 0 ]; then
    exit 1
fi
echo "check-distribution: 6 passed, 0 failed"
