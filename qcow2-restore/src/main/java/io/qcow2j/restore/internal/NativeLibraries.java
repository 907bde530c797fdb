package io.qcow2j.restore.internal;

import io.qcow2j.restore.Chain;
import io.qcow2j.core.internal.Compression;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.internal.linux.Libc;

/**
 * Loads the native code a restore uses (lz4-java's xxHash for the digest, zstd-jni, and libc
 * through JNA) ahead of time. On a cold JVM each costs tens of milliseconds (JNA's first load also
 * builds its library search path, which on Linux runs {@code ldconfig -p} unless
 * {@code jna.platform.library.path} is set); an application can call {@link #preload()} on a spare
 * thread while it parses arguments and validates the chain, so none of it lands between the
 * target's creation and its first write. Calling it is never needed for correctness.
 */
public final class NativeLibraries {
    private NativeLibraries() {
    }

    /**
     * Loads every library, ignoring failures: a library that cannot load fails again, with its error
     * reported, where it is used (zstd: {@link Chain#requireDecompressors()}), or its user falls back
     * to plain Java (the digest's hash, the target's zeroing and page-cache advice).
     */
    public static void preload() {
        try {
            DiskDigest.preload();
        } catch (LinkageError | RuntimeException ignored) {
            // lz4-java falls back to its Java hash by itself
        }
        Compression.preloadNative(); // ignores failures: Chain.requireDecompressors reports them
        try {
            Libc.loadOrNull();
        } catch (LinkageError | RuntimeException ignored) {
            // the target's users load it again and fall back to plain Java
        }
    }
}
