package io.qcow2j.core;

import java.util.Objects;

/**
 * How strict {@link Qcow2Image#open} is and what it may hold: {@link #defaults()}, then the
 * {@code with...} methods.
 */
public final class OpenOptions {
    private final boolean allowCorrupt;
    private final long l2CacheBytes;
    private final int openingReadAheadBytes;

    private OpenOptions(boolean allowCorrupt, long l2CacheBytes, int openingReadAheadBytes) {
        if (openingReadAheadBytes < 0) {
            throw new IllegalArgumentException("openingReadAheadBytes " + openingReadAheadBytes + " is negative");
        }
        this.allowCorrupt = allowCorrupt;
        this.l2CacheBytes = l2CacheBytes;
        this.openingReadAheadBytes = openingReadAheadBytes;
    }

    /** Read an image whose corrupt bit qemu has set (the data may be wrong). */
    public boolean allowCorrupt() {
        return allowCorrupt;
    }

    /**
     * Budget of the L2 cache of one image, which keeps slices of L2 tables (at least one, 4 KiB or
     * more); slices beyond it are re-read (a chain divides it between its images, so memory does
     * not grow with its length).
     */
    public long l2CacheBytes() {
        return l2CacheBytes;
    }

    /**
     * Bytes at the start of a remote image (a source with {@link ByteSource#preferredConcurrency()}
     * above 0) fetched in the first request of its open, which serves every later read of the open
     * inside them; reads past them are requests of their own. Not used for local files.
     */
    public int openingReadAheadBytes() {
        return openingReadAheadBytes;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof OpenOptions o)) {
            return false;
        }
        return allowCorrupt == o.allowCorrupt
                && l2CacheBytes == o.l2CacheBytes
                && openingReadAheadBytes == o.openingReadAheadBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(allowCorrupt, l2CacheBytes, openingReadAheadBytes);
    }

    @Override
    public String toString() {
        return "OpenOptions[allowCorrupt=" + allowCorrupt + ", l2CacheBytes=" + l2CacheBytes +
                ", openingReadAheadBytes=" + openingReadAheadBytes + "]";
    }

    /** The default L2 cache budget of one image: 16 MiB. */
    public static final long DEFAULT_L2_CACHE_BYTES = 16L << 20;
    /**
     * Four 64 KiB clusters: header, refcount table, refcount block and L1 table as qemu-img lays
     * them out, so opening a remote image costs one round trip instead of four.
     */
    public static final int DEFAULT_OPENING_READ_AHEAD_BYTES = 256 << 10;
    /**
     * The first 64 KiB cluster only (the header and its extensions, which the open reads whole): the
     * refcount and L1 tables are then fetched as they are, a request each, and nothing else is. For
     * a check that reads metadata only, where bytes matter more than a round trip per image.
     */
    public static final int HEADER_CLUSTER_READ_AHEAD_BYTES = 64 << 10;

    /** Strict (a corrupt image is refused), with the default L2 cache budget and read-ahead. */
    public static OpenOptions defaults() {
        return new OpenOptions(false, DEFAULT_L2_CACHE_BYTES, DEFAULT_OPENING_READ_AHEAD_BYTES);
    }

    /** These options, reading images marked corrupt when {@code allow}. */
    public OpenOptions withAllowCorrupt(boolean allow) {
        return new OpenOptions(allow, l2CacheBytes, openingReadAheadBytes);
    }

    /** These options, with an L2 cache budget of {@code bytes}. */
    public OpenOptions withL2CacheBytes(long bytes) {
        return new OpenOptions(allowCorrupt, bytes, openingReadAheadBytes);
    }

    /** These options, fetching the first {@code bytes} of a remote image at once when opening it. */
    public OpenOptions withOpeningReadAheadBytes(int bytes) {
        return new OpenOptions(allowCorrupt, l2CacheBytes, bytes);
    }
}
