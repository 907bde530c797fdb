package io.qcow2j.core;

/**
 * A native library qcow2j needs for this work could not be loaded or did not work in this JVM
 * (zstd-jni for a zstd image; libc through JNA where the caller required it). Nothing is wrong
 * with the image; the environment lacks something. Raised before a restore touches its target.
 */
public class NativeLibraryUnavailableException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the image or target that needs the library
     * @param structure the structure involved (e.g. {@code "header"}), or null
     * @param offset    where, or -1
     * @param reason    which library, why it is missing and how to provide it
     */
    public NativeLibraryUnavailableException(String resource, String structure, long offset, String reason) {
        super(resource, structure, offset, reason);
    }
}
