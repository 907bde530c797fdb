#!/usr/bin/env bash
# Reproducible-build check: builds the committed sources twice, from clean copies in two different
# directories, and compares the published jars byte for byte (sha256): the library jars with their
# sources, javadoc and test jars, and the CLI's shaded jar. Exits 1 naming the jars that differ.
#
# usage: scripts/check-reproducible.sh [MAVEN_ARG...]    e.g. -o for an offline build
#
# The copies hold the files git tracks (as they are in the work tree), so the check also proves
# that a fresh clone builds. Tests, the class-data-sharing archive and the distribution are not
# part of it (-DskipTests, -Dqcow2j.dist.skip): the archive and the jlink runtime are not
# reproducible, and neither is published to Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-reproducible.XXXXXX")
trap 'rm -rf "$work"' EXIT

build() {
    local name=$1 dir=$work/$1
    shift
    mkdir -p "$dir"
    git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$dir"
    echo "reproducible: build $name in $dir"
    (cd "$dir" && mvn -B -q -DskipTests -Dqcow2j.dist.skip -pl '!benchmarks' "$@" package) > "$work/$name.log" 2>&1 || {
        tail -n 40 "$work/$name.log" >&2
        echo "error: build $name failed (log above)" >&2
        exit 1
    }
    # the published jars: each module's main, sources, javadoc and tests jars, and the CLI jar
    (cd "$dir" && sha256sum */target/*.jar | sort -k 2) > "$work/$name.sha256"
}

build first "$@"
build second "$@"

count=$(wc -l < "$work/first.sha256")
if [ "$count" -lt 10 ]; then
    cat "$work/first.sha256" >&2
    echo "error: only $count jars were built" >&2
    exit 1
fi
if ! diff -u "$work/first.sha256" "$work/second.sha256"; then
    echo "error: the two builds differ (jars above)" >&2
    exit 1
fi
cat "$work/first.sha256"
echo "reproducible: $count jars identical in two clean builds"
