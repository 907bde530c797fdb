package io.qcow2j.restore;

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

    /** Read-only zeros for zero writes here and zero-filled gaps in {@link Restore}'s blocks. */
    static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(Restore.BLOCK).asReadOnlyBuffer();
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

    private Target(Path path, Kind kind, FileChannel channel, boolean writeZeros, KernelZeroer zeroer) {
        this.path = path;
        this.kind = kind;
        this.channel = channel;
        this.writeZeros = writeZeros;
        this.zeroer = zeroer;
        this.fileWriteLock = kind == Kind.BLOCK_DEVICE ? null : new ReentrantLock();
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
        Path path = inspection.path();
        switch (inspection.kind()) {
            case NEW_FILE -> {
                FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                setLength(path, ch, virtualSize);
                return new Target(path, Kind.NEW_FILE, ch, false, null);
            }
            case EXISTING_FILE -> {
                FileChannel ch;
                try {
                    ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
                } catch (NoSuchFileException e) {
                    throw new InvalidChainException(path.toString(), "target disappeared");
                }
                setLength(path, ch, virtualSize);
                return new Target(path, Kind.EXISTING_FILE, ch, !targetIsZero,
                        targetIsZero ? null : KernelZeroer.open(path, false, virtualSize));
            }
            case BLOCK_DEVICE -> {
                FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
                return new Target(path, Kind.BLOCK_DEVICE, ch, !targetIsZero,
                        targetIsZero ? null : KernelZeroer.open(path, true, inspection.currentSize()));
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Wraps an already open channel, for embedders with their own storage and for tests that inject
     * faults. {@code writeZeros} says whether zero ranges must be written.
     */
    public static Target of(Path path, Kind kind, FileChannel channel, boolean writeZeros) {
        return new Target(path, kind, channel, writeZeros, null);
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

    /**
     * Writes all of {@code src} at {@code position}; safe from several threads.
     *
     * @throws WriteFailedException naming the byte where the write stopped (a full disk fails mid-buffer)
     */
    public void write(ByteBuffer src, long position) throws IOException {
        if (fileWriteLock == null) {
            writeFully(src, position);
            return;
        }
        fileWriteLock.lock();
        try {
            writeFully(src, position);
        } finally {
            fileWriteLock.unlock();
        }
    }

    private void writeFully(ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            try {
                pos += channel.write(src, pos);
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
        channel.close();
    }
}
