package io.qcow2j.restore.internal.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Makes a range of an existing target read as zeros through the kernel instead of writing zero
 * bytes: {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} (then {@code ZERO_RANGE}) on regular files, and on
 * block devices {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} (a write-zeroes command that may unmap,
 * never falling back to writing) then the {@code BLKZEROOUT} ioctl. Holes first, as
 * {@code qemu-img convert -n} does: a hole costs no space and no writeback, while {@code ZERO_RANGE}
 * allocates unwritten extents, so zeroing a 64 GiB sparse file that way needs 64 GiB free. A
 * preallocated file target thus ends up sparse where the disk is zero, and a thin-provisioned
 * device (LVM thin, Ceph RBD, a loop device over a sparse file) stays thin: {@code BLKZEROOUT}
 * forbids unmapping and allocates every zeroed block. Uses its own file descriptor (Java does not
 * expose a channel's), which is fine: these calls act on the inode or device, and the restore's
 * final fsync makes them durable. When the kernel or filesystem says no, {@link #zero} returns false
 * and the caller writes zeros.
 */
public final class KernelZeroer implements Closeable {
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final long BLKZEROOUT = 0x127f;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    /** Bounds the hole map of a fragmented file to 1 MiB. */
    private static final int MAX_DATA_RANGES = 1 << 16;
    private static final int ENXIO = 6;

    private final Libc libc;
    private final int fd;
    private final boolean blockDevice;
    private volatile int fileMode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    private volatile boolean disabled;
    private volatile boolean deviceUnmaps = true;
    /** Data ranges of a file target before the restore (see {@link #isHole}); null: unknown. */
    private final long[] dataRanges;

    private KernelZeroer(Libc libc, int fd, boolean blockDevice, long[] dataRanges) {
        this.libc = libc;
        this.fd = fd;
        this.blockDevice = blockDevice;
        this.dataRanges = dataRanges;
    }

    /**
     * A zeroer for {@code path}, or null when native access is unavailable (the caller writes
     * zeros). For a file, {@code size} is its length now, and where it holds data is mapped here,
     * before the restore writes anything.
     */
    public static KernelZeroer open(Path path, boolean blockDevice, long size) {
        Libc libc = Boolean.getBoolean("qcow2j.noKernelZero") ? null : Libc.loadOrNull();
        if (libc == null) {
            return null;
        }
        try {
            int fd = libc.open(path.toString(), Libc.O_WRONLY | Libc.O_CLOEXEC);
            return new KernelZeroer(libc, fd, blockDevice, blockDevice ? null : scanData(libc, fd, size));
        } catch (LastErrorException e) {
            return null;
        }
    }

    /**
     * The parts of [{@code from}, {@code to}) where a file target held data when the zeroer was
     * opened, as sorted {@code [start, end)} pairs; the rest are holes, which read as zeros already
     * and need no call. A restore onto an existing sparse file (a fresh PVC image, a file made by
     * {@code truncate}) thus leaves its holes alone. Answered from the map taken by {@link #open}:
     * nothing is asked of the kernel while the workers write, and a restore never zeroes where it
     * wrote data, so the map stays true for every range it asks about. The whole range for block
     * devices and where the filesystem could not tell.
     */
    public long[] dataIn(long from, long to) {
        long[] ranges = dataRanges;
        if (ranges == null) {
            return new long[] {from, to};
        }
        // first range ending after from: ranges are sorted, disjoint [start, end) pairs
        int lo = 0;
        int hi = ranges.length / 2;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ranges[2 * mid + 1] <= from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int last = lo;
        while (last < ranges.length / 2 && ranges[2 * last] < to) {
            last++;
        }
        long[] out = new long[2 * (last - lo)];
        for (int i = lo; i < last; i++) {
            out[2 * (i - lo)] = Math.max(from, ranges[2 * i]);
            out[2 * (i - lo) + 1] = Math.min(to, ranges[2 * i + 1]);
        }
        return out;
    }

    /**
     * Where the file holds data, by {@code lseek(SEEK_DATA / SEEK_HOLE)}: sorted {@code [start, end)}
     * pairs, or null when the filesystem cannot say. Past {@link #MAX_DATA_RANGES} the rest of the
     * file counts as data, which only costs kernel calls, never correctness.
     */
    private static long[] scanData(Libc libc, int fd, long size) {
        long[] ranges = new long[32];
        int n = 0;
        long pos = 0;
        try {
            while (pos < size) {
                long data;
                try {
                    data = libc.lseek(fd, pos, SEEK_DATA);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == ENXIO) {
                        break; // no data at or after pos
                    }
                    throw e;
                }
                if (data >= size) {
                    break;
                }
                long hole = n / 2 == MAX_DATA_RANGES - 1 ? size : Math.min(size, libc.lseek(fd, data, SEEK_HOLE));
                if (n == ranges.length) {
                    ranges = Arrays.copyOf(ranges, n * 2);
                }
                ranges[n++] = data;
                ranges[n++] = hole;
                pos = hole;
            }
        } catch (LastErrorException e) {
            return null; // EINVAL: no SEEK_DATA here
        }
        return Arrays.copyOf(ranges, n);
    }

    /**
     * Zeroes [{@code offset}, {@code offset + length}) if the kernel can; false means nothing was
     * done and zeros must be written instead.
     */
    public boolean zero(long offset, long length) {
        if (disabled) {
            return false;
        }
        try {
            if (blockDevice) {
                if ((offset | length) % 512 != 0) {
                    return false;
                }
                if (deviceUnmaps) {
                    try {
                        // REQ_OP_WRITE_ZEROES with unmapping allowed and no fallback to writing
                        libc.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                        return true;
                    } catch (LastErrorException e) {
                        deviceUnmaps = false; // EOPNOTSUPP: the device has no write-zeroes command
                    }
                }
                libc.ioctl(fd, new NativeLong(BLKZEROOUT), new long[] {offset, length});
                return true;
            }
            try {
                libc.fallocate(fd, fileMode, offset, length);
                return true;
            } catch (LastErrorException e) {
                if (fileMode != FALLOC_FL_ZERO_RANGE) {
                    // a filesystem without holes may still zero a range without writing it
                    fileMode = FALLOC_FL_ZERO_RANGE;
                    libc.fallocate(fd, fileMode, offset, length);
                    return true;
                }
                throw e;
            }
        } catch (LastErrorException e) {
            disabled = true; // not supported here: stop asking, write zeros
            return false;
        }
    }

    /** False once the kernel refused: every zero range is then written. */
    public boolean usable() {
        return !disabled;
    }

    @Override
    public void close() {
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // nothing was written through this descriptor that a close could lose
        }
    }
}
