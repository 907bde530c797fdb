# Sourced by the checks of the distribution (check-distribution.sh, check-dispatcher.sh): sets
# $archive to the absolute path of the archive given ($2) or made by mvn package
# (qcow2-cli/target/qcow2j-*-linux-x86_64.tar.gz). Without one, exits the calling script: 0 with a
# "skipped" line where this JDK cannot make it (no jmods for jlink), else 1. $1 prefixes the line.
distribution_archive() {
    local who=$1
    archive=${2:-}
    if [ -z "$archive" ]; then
        archive=$(ls qcow2-cli/target/qcow2j-*-linux-x86_64.tar.gz 2>/dev/null | head -n 1 || true)
    fi
    if [ -z "$archive" ] || [ ! -f "$archive" ]; then
        local java_home
        java_home=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.home = //p')
        if [ ! -f "$java_home/jmods/java.base.jmod" ]; then
            echo "$who: skipped: no archive, and $java_home has no jmods to build one with jlink"
            exit 0
        fi
        echo "error: no qcow2-cli/target/qcow2j-*-linux-x86_64.tar.gz; build it with mvn -B package" >&2
        exit 1
    fi
    archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
}
