#!/usr/bin/env bash
# Build step, run by `mvn package` (the distribution profile in qcow2-cli/pom.xml): lays out the
# self-contained distribution and packs it as target/qcow2j-VERSION-linux-x86_64.tar.gz.
#
#   qcow2j-VERSION/
#     bin/qcow2-restore        the launcher (the same file as the build tree's)
#     lib/qcow2-restore.jar    the CLI jar
#     lib/qcow2-restore.jsa    its class-data-sharing archive, recorded with runtime/
#     lib/native/              zstd-jni, lz4-java and JNA for linux-x86_64 (nothing unpacks to /tmp)
#     runtime/                 a jlink Java runtime with MODULES only, and its own base CDS archive
#     docs/                    the contract (cli-contract.md), deploy.md and the rest of docs/
#     LICENSE NOTICE licenses/
#
# usage: distribution.sh VERSION JDK TARGET_DIR PROJECT_DIR MODULES
set -euo pipefail
version=$1 jdk=$2 target=$3 project=$4 modules=$5
name=qcow2j-$version
out=$target/dist
stage=$out/$name
archive=$target/$name-linux-x86_64.tar.gz

rm -rf "$out" "$archive"
mkdir -p "$stage/bin" "$stage/lib"

# The runtime: only the modules the CLI uses, no debug attributes, headers or man pages.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$stage/runtime"
# Its base class-data-sharing archive (the JDK's own is not carried over by jlink): the archive of
# the application's classes below is recorded on top of it, and start-up needs both. One archive,
# for compressed object pointers (any heap under 32 GiB); classes_nocoops.jsa would add 11 MiB.
"$stage/runtime/bin/java" -Xshare:dump -Xlog:disable -Xlog:all=error:stderr

cp "$project/bin/qcow2-restore" "$stage/bin/"
cp "$target/qcow2-restore.jar" "$stage/lib/"
cp -R "$target/native" "$stage/lib/native"
cp "$project/LICENSE" "$project/NOTICE" "$stage/"
cp -R "$project/licenses" "$stage/licenses"
# datamover-restore --help points to docs/cli-contract.md: it travels with the program
cp -R "$project/docs" "$stage/docs"

# The archive of the application's classes, recorded by the distribution's own launcher and
# runtime restoring the sample chain onto an existing file (as the build tree's, qcow2-cli/pom.xml).
# The launcher names the jar /proc/self/fd/9, so the archive stays valid wherever the directory
# is unpacked; scripts/check-distribution.sh checks that it is used there.
training=$target/dist-training
rm -rf "$training"
mkdir -p "$training"
: > "$training/disk.raw"
(cd "$training" && env -u JAVA_OPTS QCOW2_RESTORE_CDS=record "$stage/bin/qcow2-restore" restore --json \
    --output "$training/disk.raw" "$project/testdata/chain/full.qcow2" "$project/testdata/chain/inc1.qcow2" \
    "$project/testdata/chain/inc2.qcow2") > "$training/restore.log" 2>&1 || {
    cat "$training/restore.log" >&2
    echo "error: the distribution's training restore failed" >&2
    exit 1
}
if [ ! -s "$stage/lib/qcow2-restore.jsa" ]; then
    cat "$training/restore.log" >&2
    echo "error: no class-data-sharing archive was recorded" >&2
    exit 1
fi
# The archive gets the jar's time (the JVM checks the jar's, not the archive's): tar keeps whole
# seconds, so the two would unpack with equal times or not depending on the build's speed; equal
# every time, the launcher's "not older than the jar" test is exercised by every check.
touch -r "$stage/lib/qcow2-restore.jar" "$stage/lib/qcow2-restore.jsa"

# Owner and group 0 in the archive: unpacked by anyone, the files are theirs.
tar --owner=0 --group=0 --numeric-owner -C "$out" -czf "$archive" "$name"
echo "distribution: $archive ($(du -k "$archive" | cut -f1) KiB; runtime $(du -sk "$stage/runtime" | cut -f1) KiB" \
    "with $modules; unpacked $(du -sk "$stage" | cut -f1) KiB)"
