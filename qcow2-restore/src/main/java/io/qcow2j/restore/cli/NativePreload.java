package io.qcow2j.restore.cli;

import io.qcow2j.core.ClusterDecompressor;
import io.qcow2j.core.Header;
import io.qcow2j.restore.DiskDigest;

/**
 * Loads the native libraries a restore needs (lz4-java's xxHash, zstd-jni) on a daemon thread while
 * the main thread parses arguments and validates the chain. On a cold JVM each library is extracted
 * to a temporary file and loaded, ~50 ms and ~17 ms measured here, which otherwise sat between the
 * target's creation and its first write. Start-up leaves the second core mostly idle, so the work
 * is nearly free; class initialisation is thread-safe, so a restore that gets there first just waits.
 */
final class NativePreload {
    private NativePreload() {
    }

    static void start() {
        Thread t = new Thread(NativePreload::run, "qcow2j-preload");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        try {
            DiskDigest.preload();
            ClusterDecompressor.forType(Header.COMPRESSION_ZSTD).close();
        } catch (Throwable ignored) {
            // a library that cannot load fails again, with its error reported, where it is used
        }
    }
}
