package io.qcow2j.restore;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the restored disk goes: a new regular file (created sparse at exactly the virtual size, so
 * zero ranges need no writes), an existing regular file (resized to the virtual size, zero ranges
 * zeroed except where the file is already a hole) or a block device (at least the virtual size,
 * zero ranges zeroed). On either existing kind, the caller's promise that the target reads as
 * zeros skips the zero ranges. {@link #inspect} looks without touching; {@link #open} is the first
 * write.
 */
public final class Target implements Closeable {
    /** What kind of target a path is. */
    public enum Kind {
        NEW_FILE, EXISTING_FILE, BLOCK_DEVICE
    }

    /** Result of looking at a target path before anything is written. */
    public record Inspection(Path path, Kind kind, long currentSize) {
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    /**
     * Alignment of the buffers {@link #alignedBuffer} hands out: a multiple of every logical block
     * size {@code O_DIRECT} asks for (512 bytes to 4 KiB on devices, the file system block on files).
     */
    static final int BUFFER_ALIGN = 64 << 10;
    /** Read-only zeros for zero writes here and zero-filled gaps in {@link Restore}'s blocks. */
    static final ByteBuffer ZEROS = alignedBuffer(Restore.BLOCK).asReadOnlyBuffer();
    /** Shortest zero run inside a block worth a hole in a file (see {@link #minKernelZero}). */
    private static final int MIN_FILE_HOLE = 64 << 10;
    /** Shortest zero run inside a block worth zeroing a device's range (see {@link #minKernelZero}). */
    private static final int MIN_DEVICE_ZEROOUT = 1 << 20;

    private final Path path;
    private final Kind kind;
    private final FileChannel channel;
    private final boolean writeZeros;
    private final KernelZeroer zeroer;
    /**
     * Taken around each write to a file, null for a block device. Linux file systems (ext4, xfs,
     * btrfs) serialize buffered writes to one file on its inode lock anyway, and a writer waiting for
     * that lock spins on the CPU while the holder copies: with two workers on two cores, a fifth of
     * a slow restore's CPU went to that spin, taken from the other worker's reading and inflating and
     * from the flusher. Waiting here parks the thread instead (benchmarks/RESULTS.md).
     */
    private final ReentrantLock fileWriteLock;
    /** The same file opened with {@code O_DIRECT}, or null; aligned writes go through it. */
    private final FileChannel direct;
    /** Opened by {@link #openPageCacheRelease}, on the restore's flush thread; null until then. */
    private volatile PageCacheRelease release;

    private Target(Path path, Kind kind, FileChannel channel, boolean writeZeros, KernelZeroer zeroer,
            FileChannel direct) {
        this.path = path;
        this.kind = kind;
        this.channel = channel;
        this.writeZeros = writeZeros;
        this.zeroer = zeroer;
        this.fileWriteLock = kind == Kind.BLOCK_DEVICE ? null : new ReentrantLock();
        this.direct = direct;
    }

    /**
     * Classifies {@code path} and checks it can hold {@code virtualSize} bytes, without modifying it.
     *
     * @throws InvalidChainException when the target is unusable (a directory, a too small device)
     */
    public static Inspection inspect(Path path, long virtualSize) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new InvalidChainException(path.toString(), "target directory " + parent + " does not exist");
            }
            return new Inspection(path, Kind.NEW_FILE, 0);
        }
        if (Files.isDirectory(path)) {
            throw new InvalidChainException(path.toString(), "target is a directory");
        }
        if (Files.isRegularFile(path)) {
            return new Inspection(path, Kind.EXISTING_FILE, Files.size(path));
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        if ((mode & S_IFMT) != S_IFBLK) {
            throw new InvalidChainException(path.toString(), "target is neither a regular file nor a block device");
        }
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
        }
        if (size < virtualSize) {
            throw new InvalidChainException(path.toString(), "block device holds " + size
                    + " bytes, the restored disk needs " + virtualSize);
        }
        return new Inspection(path, Kind.BLOCK_DEVICE, size);
    }

    /**
     * Opens (and for files creates or resizes) the target for a disk of {@code virtualSize} bytes.
     *
     * @param targetIsZero the caller's promise that an existing target already reads as zeros
     */
    public static Target open(Inspection inspection, long virtualSize, boolean targetIsZero) throws IOException {
        return open(inspection, virtualSize, targetIsZero, false);
    }

    /**
     * As {@link #open(Inspection, long, boolean)}; with {@code directIo} the target is also opened
     * with {@code O_DIRECT} and aligned writes bypass the page cache. When the file system or device
     * refuses {@code O_DIRECT}, fails before anything was changed (a new file is removed again).
     */
    public static Target open(Inspection inspection, long virtualSize, boolean targetIsZero, boolean directIo)
            throws IOException {
        Path path = inspection.path();
        Kind kind = inspection.kind();
        FileChannel ch = null;
        FileChannel dio = null;
        boolean created = false;
        try {
            if (kind == Kind.NEW_FILE) {
                ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                created = true;
            } else {
                ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
            }
            // before the first change: a target that refuses O_DIRECT is left as it was
            dio = directIo ? openDirect(path) : null;
            if (kind != Kind.BLOCK_DEVICE) {
                setLength(path, ch, virtualSize);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(dio);
            closeQuietly(ch);
            if (created) {
                try {
                    Files.deleteIfExists(path); // ours: created just above
                } catch (IOException x) {
                    e.addSuppressed(x);
                }
            }
            if (e instanceof NoSuchFileException && kind == Kind.EXISTING_FILE) {
                throw new InvalidChainException(path.toString(), "target disappeared");
            }
            throw e;
        }
        boolean writeZeros = kind != Kind.NEW_FILE && !targetIsZero;
        KernelZeroer zeroer = !writeZeros ? null : kind == Kind.BLOCK_DEVICE
                ? KernelZeroer.open(path, true, inspection.currentSize())
                : KernelZeroer.open(path, false, virtualSize);
        return new Target(path, kind, ch, writeZeros, zeroer, dio);
    }

    private static FileChannel openDirect(Path path) throws IOException {
        FileChannel dio;
        try {
            dio = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            // ramfs, tmpfs before Linux 6.6 and some network file systems refuse O_DIRECT (EINVAL)
            throw new InvalidChainException(path.toString(), "direct I/O (O_DIRECT) is not supported for the target: "
                    + e.getMessage());
        }
        // the JDK checks direct writes against the file system's block size (statvfs f_frsize)
        long align = Files.getFileStore(path).getBlockSize();
        if (align > BUFFER_ALIGN || Long.bitCount(align) != 1) {
            dio.close();
            throw new InvalidChainException(path.toString(), "direct I/O needs " + align
                    + "-byte alignment here, more than the " + BUFFER_ALIGN + " qcow2j aligns to");
        }
        return dio;
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing: the first error is the one to report
            }
        }
    }

    /** A direct buffer of {@code size} bytes whose address is a multiple of {@link #BUFFER_ALIGN}. */
    static ByteBuffer alignedBuffer(int size) {
        return ByteBuffer.allocateDirect(size + BUFFER_ALIGN).alignedSlice(BUFFER_ALIGN).limit(size).slice();
    }

    /**
     * Wraps an already open channel, for embedders with their own storage and for tests that inject
     * faults. {@code writeZeros} says whether zero ranges must be written.
     */
    public static Target of(Path path, Kind kind, FileChannel channel, boolean writeZeros) {
        return new Target(path, kind, channel, writeZeros, null, null);
    }

    private static void setLength(Path path, FileChannel ch, long size) throws IOException {
        if (ch.size() > size) {
            ch.truncate(size);
        } else if (ch.size() < size) {
            // RandomAccessFile.setLength extends with a hole (ftruncate); FileChannel cannot grow a file
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(size);
            }
        }
    }

    public Path path() {
        return path;
    }

    public Kind kind() {
        return kind;
    }

    /** True when zero ranges must be written because the target may hold old data there. */
    public boolean writeZeros() {
        return writeZeros;
    }

    /** True when aligned writes bypass the page cache ({@code O_DIRECT}). */
    public boolean direct() {
        return direct != null;
    }

    /**
     * Writes all of {@code src} at {@code position}; safe from several threads. On a direct target
     * the part made of whole {@link #BUFFER_ALIGN} units, in file and in memory, goes past the page
     * cache (no lock: the device takes several at once); an unaligned head or tail (a disk's odd
     * end, clusters smaller than the unit) goes through the page cache. The unit is at least a page,
     * so no page is ever written both ways, which the kernel cannot keep coherent.
     *
     * @throws WriteFailedException naming the byte where the write stopped (a full disk fails mid-buffer)
     */
    public void write(ByteBuffer src, long position) throws IOException {
        if (direct != null) {
            int head = (int) Math.min(src.remaining(), Math.floorMod(-position, (long) BUFFER_ALIGN));
            int body = (src.remaining() - head) / BUFFER_ALIGN * BUFFER_ALIGN;
            if (body > 0 && src.alignmentOffset(src.position() + head, BUFFER_ALIGN) == 0) {
                int end = src.limit();
                int at = src.position();
                if (head > 0) {
                    buffered(src.limit(at + head), position);
                }
                writeFully(direct, src.limit(at + head + body).position(at + head), position + head);
                if (at + head + body < end) {
                    buffered(src.limit(end).position(at + head + body), position + head + body);
                }
                return;
            }
        }
        buffered(src, position);
    }

    private void buffered(ByteBuffer src, long position) throws IOException {
        if (fileWriteLock == null) {
            writeFully(channel, src, position);
            return;
        }
        fileWriteLock.lock();
        try {
            writeFully(channel, src, position);
        } finally {
            fileWriteLock.unlock();
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            try {
                pos += ch.write(src, pos);
            } catch (IOException e) {
                throw new WriteFailedException(pos, e);
            }
        }
    }

    /** A write to the target failed; {@link #position()} is the first byte not written (a guest offset). */
    public static final class WriteFailedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long position;

        WriteFailedException(long position, IOException cause) {
            super(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName(), cause);
            this.position = position;
        }

        public long position() {
            return position;
        }
    }

    /**
     * Makes [{@code offset}, {@code offset + length}) read as zeros: parts where a file is already a
     * hole are left alone; the rest goes through the kernel (fallocate punch-hole or zero-range on
     * files, write-zeroes or BLKZEROOUT on block devices) when it can, else zeros are written.
     * Safe from several threads.
     *
     * @return how many bytes of the range already read as zeros and were left alone
     */
    public long zero(long offset, long length) throws IOException {
        long end = offset + length;
        if (zeroer == null) {
            writeZeros(offset, end);
            return 0;
        }
        long[] data = zeroer.dataIn(offset, end);
        long changed = 0;
        for (int i = 0; i < data.length; i += 2) {
            if (!zeroer.zero(data[i], data[i + 1] - data[i])) {
                writeZeros(data[i], data[i + 1]);
            }
            changed += data[i + 1] - data[i];
        }
        return length - changed;
    }

    private void writeZeros(long from, long to) throws IOException {
        for (long pos = from; pos < to; ) {
            int n = (int) Math.min(ZEROS.capacity(), to - pos);
            write(ZEROS.duplicate().limit(n), pos);
            pos += n;
        }
    }

    /**
     * The shortest zero run inside a block of data worth a {@link #zero} call rather than being
     * written along with its neighbours. On files a hole costs a metadata update and no writeback,
     * so runs of 64 KiB (a default cluster) and up are punched. A device's write-zeroes (or
     * {@code BLKZEROOUT}) waits for the device, so there a call must save at least a MiB of writes.
     * Without kernel zeroing, writing the zeros with the data is always cheaper than a separate
     * write.
     */
    public int minKernelZero() {
        if (zeroer == null || !zeroer.usable()) {
            return Integer.MAX_VALUE;
        }
        return kind == Kind.BLOCK_DEVICE ? MIN_DEVICE_ZEROOUT : MIN_FILE_HOLE;
    }

    /** Flushes data only (fdatasync), to start writeback early; {@link #force} still ends the run. */
    public void flushData() throws IOException {
        channel.force(false);
    }

    /**
     * Prepares {@link #releaseCleanPages}: loads native access (tens of ms on a cold JVM), so a
     * restore calls it off its critical path. Does nothing where native access is unavailable.
     */
    public synchronized void openPageCacheRelease() {
        if (release == null) {
            release = PageCacheRelease.open(path);
        }
    }

    /**
     * Drops the target's clean pages from the page cache, after a flush wrote them; a no-op unless
     * {@link #openPageCacheRelease} succeeded. Only advice: the data on the target is unchanged.
     */
    public void releaseCleanPages() {
        PageCacheRelease r = release;
        if (r != null) {
            r.releaseClean();
        }
    }

    /** Flushes data and metadata to stable storage. */
    public void force() throws IOException {
        channel.force(true);
    }

    public FileChannel channel() {
        return channel;
    }

    @Override
    public void close() throws IOException {
        if (zeroer != null) {
            zeroer.close();
        }
        PageCacheRelease r = release;
        if (r != null) {
            r.close();
        }
        closeQuietly(direct);
        channel.close();
    }
}
