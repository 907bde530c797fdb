package io.qcow2j.restore.internal.target;

import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.WriteFailedException;
import com.sun.nio.file.ExtendedOpenOption;
import io.qcow2j.restore.internal.linux.KernelZeroer;
import io.qcow2j.restore.internal.linux.PageCacheRelease;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Sink} for a regular file or a block device: a new file is created sparse at exactly
 * the virtual size (zero ranges need no writes), an existing file is resized and zeroed where it
 * holds data, a block device is zeroed in place. Zeroing goes through the kernel where it can
 * ({@link KernelZeroer}).
 */
final class FileTarget implements Sink {
    /** Shortest zero run inside a block worth a hole in a file (see {@link #minZeroRun}). */
    private static final int MIN_FILE_HOLE = 64 << 10;
    /** Shortest zero run inside a block worth zeroing a device's range (see {@link #minZeroRun}). */
    private static final int MIN_DEVICE_ZEROOUT = 1 << 20;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path path;
    /** What messages call it: the path, or a staging file's final path. */
    private final String name;
    private final TargetKind kind;
    private final FileChannel channel;
    private final boolean writeZeros;
    private final KernelZeroer zeroer;
    /**
     * Taken around each buffered write to a file, null for a block device. Linux file systems
     * serialize buffered writes to one file on its inode lock anyway, and a writer waiting for that
     * lock spins on the CPU while the holder copies; waiting here parks the thread instead.
     */
    private final ReentrantLock fileWriteLock;
    /** The same file opened with {@code O_DIRECT}, or null; aligned writes go through it. */
    private final FileChannel direct;
    /** Drops clean cached pages after each flush; null when disabled or unavailable. */
    private final PageCacheRelease release;
    /** The exclusive claim on a block device (nothing may mount it meanwhile), or null. */
    private final DeviceClaim claim;
    /** Zero ranges written as zeros because the kernel could not zero them. */
    private final AtomicLong zerosWritten = new AtomicLong();

    private FileTarget(Path path, String name, TargetKind kind, FileChannel channel, boolean writeZeros,
            KernelZeroer zeroer, FileChannel direct, PageCacheRelease release, DeviceClaim claim) {
        this.path = path;
        this.name = name;
        this.kind = kind;
        this.channel = channel;
        this.writeZeros = writeZeros;
        this.zeroer = zeroer;
        this.fileWriteLock = kind == TargetKind.BLOCK_DEVICE ? null : new ReentrantLock();
        this.direct = direct;
        this.release = release;
        this.claim = claim;
    }

    /** Opens (and for files creates or resizes) the target; see {@link Targets#open}. */
    static FileTarget open(TargetInspection inspection, long virtualSize, TargetOptions options, String name)
            throws IOException {
        Path path = inspection.path();
        TargetKind kind = inspection.kind();
        FileChannel ch = null;
        FileChannel dio = null;
        DeviceClaim claim = null;
        boolean created = false;
        try {
            if (kind == TargetKind.BLOCK_DEVICE) {
                claim = DeviceClaim.claim(path); // before the first write: a mounted device is refused
            }
            if (kind == TargetKind.NEW_FILE) {
                // owner-only from the start: a disk's content is nobody else's while it is written, or after
                ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                created = true;
            } else {
                ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
            }
            // before the first change: a target that refuses O_DIRECT is left as it was
            dio = options.directIo() ? openDirect(path, name) : null;
            if (kind != TargetKind.BLOCK_DEVICE) {
                setLength(path, ch, virtualSize);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(dio);
            closeQuietly(ch);
            if (claim != null) {
                claim.close();
            }
            if (created) {
                try {
                    Files.deleteIfExists(path); // ours: created just above
                } catch (IOException x) {
                    e.addSuppressed(x);
                }
            }
            if (e instanceof NoSuchFileException && kind == TargetKind.EXISTING_FILE) {
                throw new InvalidTargetException(name, "target disappeared");
            }
            throw e;
        }
        boolean writeZeros = kind != TargetKind.NEW_FILE && !options.targetIsZero();
        KernelZeroer zeroer = !writeZeros ? null : kind == TargetKind.BLOCK_DEVICE
                ? KernelZeroer.open(path, true, inspection.currentSize())
                : KernelZeroer.open(path, false, virtualSize);
        PageCacheRelease release = options.releasePageCache() ? PageCacheRelease.open(path) : null;
        return new FileTarget(path, name, kind, ch, writeZeros, zeroer, dio, release, claim);
    }

    private static FileChannel openDirect(Path path, String name) throws IOException {
        FileChannel dio;
        try {
            dio = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            // ramfs, tmpfs before Linux 6.6 and some network file systems refuse O_DIRECT (EINVAL)
            throw new InvalidTargetException(name, "direct I/O (O_DIRECT) is not supported for the target: "
                    + e.getMessage());
        }
        // the JDK checks direct writes against the file system's block size (statvfs f_frsize)
        long align = Files.getFileStore(path).getBlockSize();
        if (align > Buffers.ALIGN || Long.bitCount(align) != 1) {
            dio.close();
            throw new InvalidTargetException(name, "direct I/O needs " + align
                    + "-byte alignment here, more than the " + Buffers.ALIGN + " qcow2j aligns to");
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

    @Override
    public String name() {
        return name;
    }

    @Override
    public TargetKind kind() {
        return kind;
    }

    @Override
    public boolean readsAsZeros() {
        return !writeZeros;
    }

    @Override
    public boolean direct() {
        return direct != null;
    }

    /**
     * On a direct target the part made of whole {@link Buffers#ALIGN} units, in file and in memory,
     * goes past the page cache (no lock: the device takes several at once); an unaligned head or
     * tail (a disk's odd end, clusters smaller than the unit) goes through the page cache. The unit
     * is at least a page, so no page is ever written both ways, which the kernel cannot keep
     * coherent.
     */
    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        if (direct != null) {
            int head = (int) Math.min(src.remaining(), Math.floorMod(-position, (long) Buffers.ALIGN));
            int body = (src.remaining() - head) / Buffers.ALIGN * Buffers.ALIGN;
            if (body > 0 && src.alignmentOffset(src.position() + head, Buffers.ALIGN) == 0) {
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

    /**
     * Parts where a file is already a hole are left alone; the rest goes through the kernel
     * (fallocate punch-hole or zero-range on files, write-zeroes or BLKZEROOUT on block devices)
     * when it can, else zeros are written.
     */
    @Override
    public long zero(long offset, long length) throws IOException {
        long end = offset + length;
        if (zeroer == null) {
            writeZeros(offset, end);
            zerosWritten.addAndGet(length);
            return 0;
        }
        long[] data = zeroer.dataIn(offset, end);
        long changed = 0;
        for (int i = 0; i < data.length; i += 2) {
            if (!zeroer.zero(data[i], data[i + 1] - data[i])) {
                writeZeros(data[i], data[i + 1]);
                zerosWritten.addAndGet(data[i + 1] - data[i]);
            }
            changed += data[i + 1] - data[i];
        }
        return length - changed;
    }

    private void writeZeros(long from, long to) throws IOException {
        for (long pos = from; pos < to; ) {
            int n = (int) Math.min(Buffers.ZEROS_SIZE, to - pos);
            write(Buffers.zeros(n), pos);
            pos += n;
        }
    }

    /**
     * On files a hole costs a metadata update and no writeback, so runs of 64 KiB (a default
     * cluster) and up are punched. A device's write-zeroes (or {@code BLKZEROOUT}) waits for the
     * device, so there a call must save at least a MiB of writes. Without kernel zeroing, writing
     * the zeros with the data is always cheaper than a separate write.
     */
    @Override
    public int minZeroRun() {
        if (zeroer == null || !zeroer.usable()) {
            return Integer.MAX_VALUE;
        }
        return kind == TargetKind.BLOCK_DEVICE ? MIN_DEVICE_ZEROOUT : MIN_FILE_HOLE;
    }

    @Override
    public long zeroBytesWritten() {
        return zerosWritten.get();
    }

    /** fdatasync, then drop the pages it wrote from the page cache (when configured). */
    @Override
    public void flush() throws IOException {
        channel.force(false);
        releaseCleanPages();
    }

    /**
     * fsync, then for a file this restore created, fsync its directory too: without it a crash
     * right after "success" can lose the whole new file's directory entry.
     */
    @Override
    public void force() throws IOException {
        channel.force(true);
        if (kind == TargetKind.NEW_FILE) {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);
                }
            }
        }
        releaseCleanPages();
    }

    private void releaseCleanPages() {
        if (release != null) {
            release.releaseClean();
        }
    }

    @Override
    public void close() throws IOException {
        if (zeroer != null) {
            zeroer.close();
        }
        if (release != null) {
            release.close();
        }
        closeQuietly(direct);
        channel.close();
        if (claim != null) {
            claim.close();
        }
    }
}
