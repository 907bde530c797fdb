package io.qcow2j.cli;

import io.qcow2j.restore.internal.NativeLibraries;

/**
 * Runs {@link NativeLibraries#preload()} on a daemon thread while the main thread parses arguments
 * and validates the chain. On a cold JVM lz4-java's xxHash, zstd-jni and JNA's libc each take tens
 * of milliseconds to load, which otherwise sat between the target's creation and its first write
 * (for an existing target, JNA is needed to open it). Start-up leaves the second core mostly idle,
 * so the work is nearly free; class initialisation is thread-safe, so a restore that gets there
 * first just waits.
 */
final class NativePreload {
    private NativePreload() {
    }

    static void start() {
        Thread t = new Thread(NativeLibraries::preload, "qcow2j-preload");
        t.setDaemon(true);
        t.start();
    }
}
