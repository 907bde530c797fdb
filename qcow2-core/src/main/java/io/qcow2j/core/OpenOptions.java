package io.qcow2j.core;

/**
 * How strict {@link Qcow2Image#open} is.
 *
 * @param allowCorrupt  read an image whose corrupt bit qemu has set (the data may be wrong)
 * @param l2CacheBytes  budget of the L2 table cache of one image; tables beyond it are re-read (a
 *                      chain divides it between its images, so memory does not grow with its length)
 */
public record OpenOptions(boolean allowCorrupt, long l2CacheBytes) {
    public static final long DEFAULT_L2_CACHE_BYTES = 16L << 20;

    public static OpenOptions defaults() {
        return new OpenOptions(false, DEFAULT_L2_CACHE_BYTES);
    }

    public OpenOptions withAllowCorrupt(boolean allow) {
        return new OpenOptions(allow, l2CacheBytes);
    }

    public OpenOptions withL2CacheBytes(long bytes) {
        return new OpenOptions(allowCorrupt, bytes);
    }
}
