package io.qcow2j.restore;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * Makes a range of an existing target read as zeros through the kernel instead of writing zero
 * bytes: {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} (then {@code ZERO_RANGE}) on regular files, the
 * {@code BLKZEROOUT} ioctl on block devices. Holes first, as {@code qemu-img convert -n} does: a hole
 * costs no space and no writeback, while {@code ZERO_RANGE} allocates unwritten extents, so zeroing a
 * 64 GiB sparse file that way needs 64 GiB free. A preallocated file target thus ends up sparse where
 * the disk is zero. Uses its own file descriptor (Java does not
 * expose a channel's), which is fine: both calls act on the inode or device, and the restore's final
 * fsync makes them durable. When the kernel or filesystem says no, {@link #zero} returns false and
 * the caller writes zeros.
 */
final class KernelZeroer implements Closeable {
    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final long BLKZEROOUT = 0x127f;

    /** The libc calls we need. */
    interface CLib extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

        int ioctl(int fd, NativeLong request, long[] range) throws LastErrorException;
    }

    private final CLib libc;
    private final int fd;
    private final boolean blockDevice;
    private volatile int fileMode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    private volatile boolean disabled;

    private KernelZeroer(CLib libc, int fd, boolean blockDevice) {
        this.libc = libc;
        this.fd = fd;
        this.blockDevice = blockDevice;
    }

    /** A zeroer for {@code path}, or null when native access is unavailable (the caller writes zeros). */
    static KernelZeroer open(Path path, boolean blockDevice) {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")
                || Boolean.getBoolean("qcow2j.noKernelZero")) {
            return null;
        }
        try {
            CLib libc = Native.load("c", CLib.class);
            int fd = libc.open(path.toString(), O_WRONLY | O_CLOEXEC);
            return new KernelZeroer(libc, fd, blockDevice);
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return null;
        }
    }

    /**
     * Zeroes [{@code offset}, {@code offset + length}) if the kernel can; false means nothing was
     * done and zeros must be written instead.
     */
    boolean zero(long offset, long length) {
        if (disabled) {
            return false;
        }
        try {
            if (blockDevice) {
                if ((offset | length) % 512 != 0) {
                    return false;
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
    boolean usable() {
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
