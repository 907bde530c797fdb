#!/usr/bin/env bash
# Records the public API of every published library module in api/<artifactId>.jar: the jar the
# build made, without the internal packages (which module-info does not export). `mvn verify`
# compares each module's new jar with its record (japicmp-maven-plugin, see the parent pom) and
# fails on a source or binary incompatible change. Run after `mvn -B -DskipTests package` when an
# API change is deliberate, and commit the result with the CHANGELOG's "Breaking changes" entry.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
mkdir -p api
for module in qcow2-core qcow2-restore qcow2-oadp qcow2-s3 qcow2-azure qcow2-gcs; do
    jar=$module/target/$module-$version.jar
    [ -f "$jar" ] || { echo "api-baseline: $jar not found; build first: mvn -B -DskipTests package" >&2; exit 2; }
    work=$(mktemp -d)
    (cd "$work" && unzip -q "$OLDPWD/$jar" 'io/*' && find io -path '*/internal' -type d -prune -exec rm -rf {} +)
    rm -f "api/$module.jar"
    # sorted entries and a fixed time: the same API gives the same bytes
    (cd "$work" && find io -type f | LC_ALL=C sort | TZ=UTC zip -q -X -D "$OLDPWD/api/$module.jar" -@)
    rm -rf "$work"
    echo "api/$module.jar: $(unzip -l "api/$module.jar" | tail -n 1 | awk '{print $2}') classes"
done
