#!/usr/bin/env bash
# Compares the AWS SDK's HTTP clients for qcow2-s3 against S3Proxy on loopback (docs/s3-http-client.md).
#
#   benchmarks/s3-http-client/run.sh [RUNS] [CLIENTS]    defaults: 5 "url apache apache5 netty"
#
# Starts S3Proxy 2.6.0 (filesystem backend, in a temporary directory), uploads a 256 MiB object,
# then RUNS times, for each client in rotating order, starts a fresh JVM that measures time to first
# byte (from just before java starts), 2,000 ranged 64 KiB GETs and 200 ranged 4 MiB GETs with 16
# threads, and its peak RSS. Prints every run, then a table of medians. 5 to 10 minutes for 5 runs
# of 4 clients on 2 cores; needs ~300 MiB in $TMPDIR and a free port (PORT, default 18090).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=${1:-5}
read -r -a clients <<< "${2:-url apache apache5 netty}"
port=${PORT:-18090}
cd "$here"

mvn -B -q -Purl,apache,apache5,netty compile
for c in "${clients[@]}" url; do
    # one class path per client: the SDK plus that client only
    [ -s "target/cp-$c.txt" ] || mvn -B -q -P"$c" dependency:build-classpath -Dmdep.outputFile="target/cp-$c.txt"
done
jar=target/s3proxy/s3proxy-2.6.0-jar-with-dependencies.jar
[ -s "$jar" ] || mvn -B -q dependency:copy -Dartifact=org.gaul:s3proxy:2.6.0:jar:jar-with-dependencies \
    -DoutputDirectory=target/s3proxy

work=$(mktemp -d)
cleanup() {
    if [ -f "$work/pid" ]; then kill "$(cat "$work/pid")" 2>/dev/null || true; wait "$(cat "$work/pid")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data"
cat > "$work/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench-key
s3proxy.credential=bench-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$work/data
CONF
java -Xmx512m -jar "$jar" --properties "$work/s3proxy.conf" > "$work/s3proxy.log" 2>&1 < /dev/null &
echo $! > "$work/pid"
for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.5
done
endpoint=http://127.0.0.1:$port
java -cp "target/classes:$(cat target/cp-url.txt)" io.qcow2j.bench.s3.HttpClientBench setup "$endpoint"

results=target/results.txt
: > "$results"
n=${#clients[@]}
for ((r = 0; r < runs; r++)); do
    for ((i = 0; i < n; i++)); do
        c=${clients[(i + r) % n]}
        t0=$(date +%s%3N)
        java -Xmx1g -cp "target/classes:$(cat "target/cp-$c.txt")" io.qcow2j.bench.s3.HttpClientBench \
            run "$c" "$endpoint" "$t0" | tee -a "$results"
    done
done
echo
java -cp target/classes io.qcow2j.bench.s3.HttpClientBench report "$results"
