package io.qcow2j.core;

/**
 * How strict {@link Qcow2Image#open} is.
 *
 * @param allowCorrupt  read an image whose corrupt bit qemu has set (the data may be wrong)
 * @param l2CacheBytes  budget of the L2 cache of one image, which keeps slices of L2 tables (at
 *                      least one, 4 KiB or more); slices beyond it are re-read (a chain divides it
 *                      between its images, so memory does not grow with its length)
 */
public record OpenOptions(boolean allowCorrupt, long l2CacheBytes) {
    /** The default L2 cache budget of one image: 16 MiB. */
    public static final long DEFAULT_L2_CACHE_BYTES = 16L << 20;

    /** Strict (a corrupt image is refused), with the default L2 cache budget. */
    public static OpenOptions defaults() {
        return new OpenOptions(false, DEFAULT_L2_CACHE_BYTES);
    }

    /** These options, reading images marked corrupt when {@code allow}. */
    public OpenOptions withAllowCorrupt(boolean allow) {
        return new OpenOptions(allow, l2CacheBytes);
    }

    /** These options, with an L2 cache budget of {@code bytes}. */
    public OpenOptions withL2CacheBytes(long bytes) {
        return new OpenOptions(allowCorrupt, bytes);
    }
}
