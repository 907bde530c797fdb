#!/usr/bin/env bash
# Builds scripts/embedder-sample, an application that imports the BOM and requires io.qcow2j.core,
# io.qcow2j.restore and io.qcow2j.s3 as a named JPMS module, against the jars of this checkout
# (run `mvn -B package` first), then runs it on the module path: it restores testdata/chain and
# checks the digest. Fails on any warning that names a qcow2j artifact as an automatic module.
# Nothing is installed into the shared local repository: qcow2j's artifacts go to a private one,
# which gets the third-party artifacts as hard links into the shared one (read only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
shared=${MAVEN_LOCAL_REPOSITORY:-$HOME/.m2/repository}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repository
mkdir -p "$repo"
for entry in "$shared"/*; do
    cp -al "$entry" "$repo/" 2>/dev/null || cp -a "$entry" "$repo/"
done
rm -rf "$repo/io/qcow2j"
mvn_private=(mvn -B -q -o -Dmaven.repo.local="$repo")
install=org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file
"${mvn_private[@]}" "$install" -Dfile=pom.xml -DpomFile=pom.xml -Dpackaging=pom
"${mvn_private[@]}" "$install" -Dfile=qcow2j-bom/pom.xml -DpomFile=qcow2j-bom/pom.xml -Dpackaging=pom
for module in qcow2-core qcow2-restore qcow2-s3; do
    jar=$module/target/$module-$version.jar
    [ -f "$jar" ] || { echo "check-embedder-sample: $jar not found; build first: mvn -B -DskipTests package" >&2; exit 2; }
    "${mvn_private[@]}" "$install" -Dfile="$jar" -DpomFile="$module/pom.xml"
done

cp -r scripts/embedder-sample "$work/sample"
log=$work/build.log
if ! (cd "$work/sample" && mvn -B -o -Dmaven.repo.local="$repo" -Dqcow2j.version="$version" package) >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-embedder-sample: the sample does not build" >&2
    exit 1
fi
if grep -iE 'automodule|automatic module' "$log" | grep -iq qcow2; then
    grep -iE 'automodule|automatic module' "$log" >&2
    echo "check-embedder-sample: a qcow2j artifact is an automatic module" >&2
    exit 1
fi
grep -E '^\[WARNING\]' "$log" | sed 's/^/sample build: /' >&2 || true

out=$(java --module-path "$work/sample/target/embedder-sample-1.jar:$work/sample/target/lib" \
    --module io.qcow2j.sample/io.qcow2j.sample.Main "$work/restored.raw" \
    "$root"/testdata/chain/full.qcow2 "$root"/testdata/chain/inc1.qcow2 "$root"/testdata/chain/inc2.qcow2)
echo "$out" | sed 's/^/sample: /'
expected=$(cat testdata/expected/chain.sha256)
actual=$(sha256sum "$work/restored.raw" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
    echo "check-embedder-sample: restored disk sha256 $actual, expected $expected (testdata/expected/chain.sha256)" >&2
    exit 1
fi
echo "check-embedder-sample: ok (named module, module path, restored disk as qemu's)"
