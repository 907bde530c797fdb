package io.qcow2j.core;

import io.qcow2j.core.ImageOpening;
import static io.qcow2j.core.internal.format.Layout.HDR_COMPRESSION_TYPE;

import io.qcow2j.core.internal.compress.ZstdAvailability;
import io.qcow2j.core.internal.format.ClusterMap;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * One open, validated qcow2 image: header, L1 table and refcount table checked at open, L2 tables
 * loaded lazily, a slice at a time, through a bounded cache and checked as they are loaded. Callers
 * see guest {@link Extent}s, never L2 tables.
 *
 * <p>Thread-safety: safe for any number of threads querying extents and reading at once (the L2
 * cache is shared and synchronized). {@link #close()} ends every use. A thread interrupted while it
 * reads a local file closes that file for every thread ({@code FileChannel}'s rule): run reads that
 * may be interrupted on threads of their own, as a restore does.
 */
public final class Qcow2Image implements Closeable {
    private final ByteSource source;
    private final Header header;
    private final long fileSize;
    private final ClusterMap map;

    Qcow2Image(ByteSource source, Header header, long fileSize, ClusterMap map) {
        this.source = source;
        this.header = header;
        this.fileSize = fileSize;
        this.map = map;
    }

    /** Opens a local file with default options. */
    public static Qcow2Image open(Path path) throws IOException {
        return open(path, OpenOptions.defaults());
    }

    /** Opens a local file. */
    public static Qcow2Image open(Path path, OpenOptions options) throws IOException {
        return open(FileByteSource.open(path), options);
    }

    /**
     * Opens an image from any byte source; the image owns the source and closes it.
     *
     * @throws InvalidImageException when the header, L1 table or refcount table is invalid (the
     *         source is closed then)
     */
    public static Qcow2Image open(ByteSource source, OpenOptions options) throws IOException {
        return ImageOpening.start(source, options).open();
    }

    /** The file (or object) name, for messages. */
    public String name() {
        return source.name();
    }

    /** The header, as read and checked at open. */
    public Header header() {
        return header;
    }

    /** Where the image's bytes come from; owned by this image. */
    public ByteSource source() {
        return source;
    }

    /** The virtual disk size in bytes: whole sectors, as qemu sees the disk ({@link Header#virtualSize()}). */
    public long virtualSize() {
        return header.virtualSize();
    }

    /** Bytes per cluster. */
    public long clusterSize() {
        return header.clusterSize();
    }

    /** The smallest unit with its own state: the subcluster with extended L2, else the cluster. */
    public long granularity() {
        return map.granularity();
    }

    /** File size as seen at open. */
    public long fileSize() {
        return fileSize;
    }

    /** Number of L1 entries that point to an L2 table. */
    public int allocatedL2Tables() {
        return map.allocatedL2Tables();
    }

    /**
     * The first guest offset at or after {@code offset} that may be allocated in this image (the
     * start of the range of its next L2 table), or the virtual size: every byte in between is
     * unallocated here, known without reading an L2 table. Lets a walk over a huge, nearly empty
     * disk cost its allocated entries, not its size.
     */
    public long nextMapped(long offset) {
        return map.nextMapped(offset);
    }

    /**
     * Heap bytes this image's metadata can take while it is read: its L1 entries and refcount block
     * offsets, held since open, and its L2 cache when full ({@link OpenOptions#l2CacheBytes()}, or
     * less when its tables need less). A restore adds these up to know, before it writes, whether
     * a chain fits in the heap.
     */
    public long metadataBytes() {
        return map.metadataBytes();
    }

    /**
     * Loads and validates every L2 table once (keeping them in the cache only when they all fit its
     * budget), so a restore can refuse a bad image before it writes anything. Cost: one read of all
     * L2 metadata.
     */
    public void validateAllTables() throws IOException {
        map.validateAllTables();
    }

    /**
     * As {@link #validateAllTables()}; from a remote source ({@link ByteSource#preferredConcurrency()}
     * above 0) the tables are fetched on {@code reads} all at once, up to the image's L2 budget
     * ahead of the checks, instead of one after another (a round trip each). {@code reads}' thread
     * count bounds the requests in flight; null reads one table after another.
     */
    public void validateAllTables(ExecutorService reads) throws IOException {
        map.validateAllTables(reads);
    }

    /**
     * The extents of guest range [{@code offset}, {@code offset + length}) clamped to the virtual
     * size, in order, with neighbours of the same kind merged (DATA only when host-contiguous).
     */
    public List<Extent> extents(long offset, long length) throws IOException {
        List<Extent> out = new ArrayList<>();
        extents(offset, length, out);
        return out;
    }

    /** As {@link #extents(long, long)}, appending to {@code out} (merging with its last element). */
    public void extents(long offset, long length, List<Extent> out) throws IOException {
        map.extents(offset, length, out, false);
    }

    /**
     * Extents merged the way {@code qemu-img map} merges them: zero and unallocated extents keep the
     * host offset of a preallocated cluster and merge only when those offsets are contiguous, and
     * neighbouring compressed clusters merge (their host offsets are not reported).
     */
    public List<Extent> mapExtents(long offset, long length) throws IOException {
        List<Extent> out = new ArrayList<>();
        map.extents(offset, length, out, true);
        return out;
    }

    /**
     * Checks that this image's compressed clusters can be inflated in this JVM. zlib always can; zstd
     * needs zstd-jni's native library, which may fail to load (a read-only or noexec temp directory).
     * A restore calls this before it touches its target, so such an environment is reported once,
     * naming the image, instead of as a failed write halfway through the disk. Like qemu, which
     * refuses to open a zstd image when it was built without zstd, this looks at the header's
     * compression type, not at whether compressed clusters are present.
     *
     * @throws NativeLibraryUnavailableException naming the image, when its compression type cannot be
     *         decompressed here
     */
    public void requireDecompressor() throws Qcow2Exception {
        if (header.compressionType() == Header.COMPRESSION_ZSTD) {
            String error = ZstdAvailability.loadError();
            if (error != null) {
                throw new NativeLibraryUnavailableException(name(), "header", HDR_COMPRESSION_TYPE, zstdUnavailable(error));
            }
        }
    }

    /** Why a zstd image cannot be read here, and what to do: {@code error} from {@link ZstdAvailability#loadError()}. */
    static String zstdUnavailable(String error) {
        if (!ZstdAvailability.present()) {
            return "compression type zstd, but " + error + " (an optional dependency of qcow2-core: add"
                    + " com.github.luben:zstd-jni; on the module path also requires or --add-modules"
                    + " com.github.luben.zstd_jni)";
        }
        return "compression type zstd, but zstd-jni's native library cannot be loaded (" + error
                + "); give the JVM -DZstdNativePath=<path of libzstd-jni .so> or a writable,"
                + " executable java.io.tmpdir";
    }

    /**
     * Reads guest bytes of this image alone (unallocated reads as zeros, like {@code qemu-img
     * convert} of this one file) into {@code dst}, from guest offset {@code offset}. Reading past the
     * virtual size is an error.
     */
    public void read(ByteBuffer dst, long offset) throws IOException {
        long len = dst.remaining();
        if (offset < 0 || offset + len > virtualSize()) {
            throw new IllegalArgumentException("read [" + offset + ", " + (offset + len) + ") outside the virtual size "
                    + virtualSize());
        }
        try (ExtentReader r = new ExtentReader()) {
            for (Extent e : extents(offset, len)) {
                r.read(this, e, dst);
            }
        }
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    @Override
    public String toString() {
        return "Qcow2Image[" + name() + "]";
    }
}
