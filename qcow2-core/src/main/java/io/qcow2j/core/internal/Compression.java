package io.qcow2j.core.internal;

import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.internal.compress.ZstdAvailability;

/**
 * The native code behind compressed clusters. zlib clusters need none; zstd clusters need
 * zstd-jni's native library, which is unpacked and loaded on first use.
 */
public final class Compression {
    private Compression() {
    }

    /**
     * Loads zstd-jni's native library now, ignoring any failure. Loading costs tens of milliseconds
     * on a cold JVM; an application can call this on a spare thread so the cost does not land in
     * the middle of its first read. Never needed for correctness: if the library cannot load, the
     * error is reported where it matters, by {@link Qcow2Image#requireDecompressor()} or by the
     * first read of a zstd cluster.
     */
    public static void preloadNative() {
        ZstdAvailability.loadError(); // a failure is reported by requireDecompressor when a zstd image needs it
    }
}
