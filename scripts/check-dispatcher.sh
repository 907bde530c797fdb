#!/usr/bin/env bash
# Dispatcher check: deploy/controller-image/manager, the /manager of Containerfile.controller, run in
# a layout like the image's (ROOT/manager, ROOT/manager.orig, ROOT/opt/qcow2j) in both directions:
# - anything but `download` must reach the controller's binary unchanged: a stand-in compiled here
#   records its argv (argv[0] included), its environment and its pid, and exits with the code or
#   waits for the signal it is told to;
# - `download` must reach the real distribution's datamover-restore (the archive mvn package made in
#   qcow2-cli/target) with its arguments and environment, its exit code coming back and the
#   kubelet's SIGTERM reaching the JVM itself (exec all the way: the pid is the JVM's).
# Not checked here: the image build itself (no container engine on this machine).
#
# usage: scripts/check-dispatcher.sh [ARCHIVE]
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/distribution-archive.sh
distribution_archive dispatcher "${1:-}"
for tool in cc python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is needed (the stand-in, the silent endpoint)" >&2; exit 1; }
done
name=$(basename "$archive" -linux-x86_64.tar.gz)

work=$(mktemp -d "${TMPDIR:-/tmp}/qcow2j-dispatcher.XXXXXX")
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/opt"
tar -xzf "$archive" -C "$root/opt"
ln -s "$name" "$root/opt/qcow2j"
cp deploy/controller-image/manager "$root/manager"

# The stand-in for the controller's binary. A program, not a script: the kernel replaces a
# script's argv[0] with its interpreter's, and argv[0] is part of what must arrive unchanged.
cat > "$work/standin.c" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
static volatile sig_atomic_t caught;
static void on_signal(int s) { caught = s; }
/* writes argv, the environment (NUL-separated) and the pid beside the executable */
static void record(const char *exe, const char *what, char **list, int n) {
    char path[4096];
    snprintf(path, sizeof path, "%s.%s", exe, what);
    FILE *f = fopen(path, "w");
    for (int i = 0; n < 0 ? list[i] != NULL : i < n; i++) fwrite(list[i], 1, strlen(list[i]) + 1, f);
    fclose(f);
}
int main(int argc, char **argv) {
    char exe[4000], path[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len < 0) return 99;
    exe[len] = 0;
    record(exe, "argv", argv, argc);
    record(exe, "env", environ, -1);
    snprintf(path, sizeof path, "%s.pid", exe);
    FILE *f = fopen(path, "w");
    fprintf(f, "%d\n", (int) getpid());
    fclose(f);
    if (argc > 1 && strncmp(argv[1], "exit=", 5) == 0) return atoi(argv[1] + 5);
    if (argc > 1 && strcmp(argv[1], "wait") == 0) {
        signal(SIGTERM, on_signal);
        snprintf(path, sizeof path, "%s.ready", exe);
        fclose(fopen(path, "w"));
        while (!caught) pause();
        snprintf(path, sizeof path, "%s.signal", exe);
        f = fopen(path, "w");
        fprintf(f, "%d\n", (int) caught);
        fclose(f);
        return 128 + caught;
    }
    return 0;
}
EOF
cc -O -o "$root/manager.orig" "$work/standin.c"

passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# What the kubelet gives the controller's pods: no PWD or SHLVL, and values with spaces, newlines,
# '=', an empty one and a name no shell accepts (passed through all the same).
pod_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=dm-pod-1
    KUBERNETES_SERVICE_HOST=10.0.0.1 KUBEVIRT_DM_BSL_PROVIDER=aws KUBEVIRT_DM_BSL_PREFIX=
    "KUBEVIRT_DM_BSL_CA_CERT=-----BEGIN CERTIFICATE-----
AAAA==
-----END CERTIFICATE-----" "KUBEVIRT_DM_VM_NAME=vm a=b" "weird-name=1")

sorted() { sort -z | tr '\0' '\n'; }
same_env() { # $1: case, $2: recorded file, rest: expected entries
    local case=$1 file=$2
    shift 2
    if ! diff <(printf '%s\0' "$@" | sorted) <(sorted < "$file") > "$work/env.diff"; then
        fail "$case" "environment differs (< expected, > received): $(tr '\n' ' ' < "$work/env.diff" | cut -c1-400)"
        return 1
    fi
}
same_argv() { # $1: case, rest: expected argv
    local case=$1
    shift
    if [ "$(printf '%s\0' "$@" | od -c)" != "$(od -c < "$root/manager.orig.argv")" ]; then
        fail "$case" "argv $(tr '\0' ' ' < "$root/manager.orig.argv"), expected $*"
        return 1
    fi
}
reset() { rm -f "$root"/manager.orig.*; }

# 1-3: anything but download reaches the original, argv and environment unchanged, exit code back
for args in "upload" "--leader-elect --health-probe-bind-address=:8081 --metrics-secure=true" "" "exit=7" ; do
    reset
    read -r -a argv <<< "$args"
    rc=0
    env -i "${pod_env[@]}" "$root/manager" ${argv[@]+"${argv[@]}"} || rc=$?
    case="original: /manager${args:+ $args}"
    want=0
    [ "$args" = exit=7 ] && want=7
    if [ "$rc" != "$want" ]; then fail "$case" "exit $rc, expected $want"; continue; fi
    same_argv "$case" "$root/manager" ${argv[@]+"${argv[@]}"} || continue
    same_env "$case" "$root/manager.orig.env" "${pod_env[@]}" || continue
    pass "$case (argv, environment, exit $rc)"
done

# 4: an environment that already has PWD and SHLVL (a shell started it) keeps their values
reset
( cd "$work" && env -i "${pod_env[@]}" PWD=/not/the/cwd SHLVL=4 "$root/manager" upload )
if same_argv "original: inherited PWD and SHLVL" "$root/manager" upload \
    && same_env "original: inherited PWD and SHLVL" "$root/manager.orig.env" "${pod_env[@]}" PWD=/not/the/cwd SHLVL=4; then
    pass "original: inherited PWD and SHLVL kept as they were"
fi

# 5: the controller's binary gets the kubelet's SIGTERM itself: same pid, its own exit status
reset
env -i "${pod_env[@]}" "$root/manager" wait &
pid=$!
for _ in $(seq 100); do [ -f "$root/manager.orig.ready" ] && break; sleep 0.05; done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
standin=$(cat "$root/manager.orig.pid" 2>/dev/null || true)
if [ -n "$standin" ] && [ "$standin" != "$pid" ]; then
    kill -TERM "$standin" 2>/dev/null || true # a dispatcher that did not exec left it running
    sleep 0.2
fi
if [ ! -f "$root/manager.orig.signal" ]; then
    fail "original: SIGTERM" "the stand-in got no SIGTERM (exit $rc)"
elif [ "$(cat "$root/manager.orig.pid")" != "$pid" ]; then
    fail "original: SIGTERM" "the stand-in ran as pid $(cat "$root/manager.orig.pid"), not as the dispatcher's $pid: no exec"
elif [ "$rc" != 143 ]; then
    fail "original: SIGTERM" "exit $rc, expected the stand-in's 143"
else
    pass "original: SIGTERM reached it (same pid $pid, exit 143)"
fi

# 6: download: arguments reach datamover-restore
rc=0
env -i "${pod_env[@]}" "$root/manager" download --help > "$work/help.out" 2> "$work/help.err" || rc=$?
if [ "$rc" = 0 ] && grep -q 'datamover-restore' "$work/help.out" && grep -q 'KUBEVIRT_DM_BSL_BUCKET' "$work/help.out"; then
    pass "download --help: datamover-restore's help (exit 0)"
else
    fail "download --help" "exit $rc: $(head -c 300 "$work/help.out" "$work/help.err")"
fi

# 7: download: the environment reaches it and its exit code comes back (a malformed boolean: 2)
dm_env=("${pod_env[@]}" KUBEVIRT_DM_BSL_BUCKET=b KUBEVIRT_DM_VM_NAMESPACE=ns KUBEVIRT_DM_VELERO_BACKUP_NAME=b1
    KUBEVIRT_DM_TARGET_VOLUME=rootdisk KUBEVIRT_DM_TARGET_PATH="$work/scratch/disk.img")
rc=0
env -i "${dm_env[@]}" KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE=maybe "$root/manager" download > "$work/bool.out" 2> "$work/bool.err" || rc=$?
errors=$(grep -c '^error:' "$work/bool.err" || true)
if [ "$rc" = 2 ] && [ "$errors" = 1 ] && grep -q '^error: .*KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE=maybe' "$work/bool.err"; then
    pass "download: environment in, exit 2 out ($(grep '^error:' "$work/bool.err" | cut -c1-100))"
else
    fail "download: environment in, exit code out" "exit $rc, $errors error lines: $(head -c 300 "$work/bool.err")"
fi

# 8: download: SIGTERM reaches the JVM. The endpoint accepts connections and never answers, so the
# restore waits in its first request until the signal.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept())
' > "$work/port" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
printf '[default]\naws_access_key_id=k\naws_secret_access_key=s\n' > "$work/cloud"
env -i "${dm_env[@]}" KUBEVIRT_DM_BSL_S3_URL="http://127.0.0.1:$(cat "$work/port")" \
    KUBEVIRT_DM_BSL_CA_CERT= KUBEVIRT_DM_CREDENTIALS_FILE="$work/cloud" "$root/manager" download > "$work/term.out" 2> "$work/term.err" &
pid=$!
exe=
for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    # the JVM is up and has sent its first request: it is waiting for the endpoint
    if [[ $exe == */runtime/bin/java ]] && [ -n "$(ss -Htn state established "( dport = :$(cat "$work/port") )" 2>/dev/null)" ]; then
        break
    fi
    sleep 0.1
done
java_env=$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -c '^KUBEVIRT_DM_' || true)
want_env=$(printf '%s\n' "${dm_env[@]}" | grep -c '^KUBEVIRT_DM_')
kill -TERM "$pid" 2>/dev/null || true
start=$SECONDS
rc=0
wait "$pid" || rc=$?
took=$((SECONDS - start))
errors=$(grep -c '^error:' "$work/term.err" || true)
if [[ $exe != */runtime/bin/java ]]; then
    fail "download: SIGTERM" "pid $pid was not the JVM (exe ${exe:-gone}): no exec all the way"
elif [ "$java_env" -lt "$((want_env + 2))" ]; then
    fail "download: SIGTERM" "the JVM had $java_env KUBEVIRT_DM_* variables, expected $((want_env + 2))"
elif [ "$rc" = 0 ] || [ "$took" -gt 15 ]; then
    fail "download: SIGTERM" "exit $rc after ${took}s: $(head -c 300 "$work/term.err")"
else
    # what the restore reports on a signal is datamover-restore's contract (docs/cli-contract.md),
    # checked by its own tests; here: that the signal got there
    pass "download: SIGTERM reached the JVM (pid $pid, exit $rc after ${took}s, $errors error line(s))"
fi

echo "dispatcher: $passed passed, $failed failed"
[ "$failed" = 0 ]
