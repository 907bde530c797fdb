package io.qcow2j.restore.internal.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file behind a loop device: restoring onto a loop device whose backing file is one of the
 * chain's images would overwrite that image while it is being read, as restoring onto the image's
 * path would. The kernel gives the backing file's device and inode ({@code LOOP_GET_STATUS64}), which
 * identify it whatever path it was attached by; sysfs gives its name as the attaching process saw it,
 * the fallback without libc.
 */
public final class LoopDevice {
    /** The loop driver's block major. */
    private static final int LOOP_MAJOR = 7;
    private static final int LOOP_GET_STATUS64 = 0x4C05;
    /** sizeof(struct loop_info64). */
    private static final int LOOP_INFO64_SIZE = 232;

    /**
     * A loop device's backing file.
     *
     * @param device its file system's device number ({@code st_dev}), or -1 when unknown
     * @param inode  its inode number, or -1 when unknown
     * @param name   its path as the kernel recorded it (possibly another mount namespace's), or null
     */
    public record Backing(long device, long inode, String name) {
        /** True when {@code file} is this backing file: same device and inode, or else the same real path. */
        public boolean is(Path file) {
            try {
                if (device >= 0 && inode >= 0) {
                    long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
                    long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
                    if (dev == device && ino == inode) {
                        return true;
                    }
                }
                return name != null && Files.exists(Path.of(name)) && Files.isSameFile(Path.of(name), file);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }

    private LoopDevice() {
    }

    /** The backing file of {@code device}, or null when it is no loop device (or has no file attached). */
    public static Backing backing(Path device) {
        long rdev;
        try {
            rdev = ((Number) Files.getAttribute(device, "unix:rdev")).longValue();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        // glibc's major()/minor() of a dev_t
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        if (major != LOOP_MAJOR) {
            return null;
        }
        Backing fromKernel = status(device);
        String name = sysfsName(major, minor);
        if (fromKernel != null) {
            return new Backing(fromKernel.device(), fromKernel.inode(), name != null ? name : fromKernel.name());
        }
        return name == null ? null : new Backing(-1, -1, name);
    }

    private static Backing status(Path device) {
        Libc libc = Libc.loadOrNull();
        if (libc == null) {
            return null;
        }
        int fd;
        try {
            fd = libc.open(device.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            return null;
        }
        try {
            byte[] info = new byte[LOOP_INFO64_SIZE];
            libc.ioctl(fd, new NativeLong(LOOP_GET_STATUS64), info);
            ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.nativeOrder());
            byte[] file = new byte[64];
            b.get(56, file);
            int len = 0;
            while (len < file.length && file[len] != 0) {
                len++;
            }
            return new Backing(b.getLong(0), b.getLong(8), new String(file, 0, len, StandardCharsets.UTF_8));
        } catch (LastErrorException e) {
            return null; // ENXIO: no file attached
        } finally {
            try {
                libc.close(fd);
            } catch (LastErrorException ignored) {
                // read-only descriptor
            }
        }
    }

    private static String sysfsName(long major, long minor) {
        Path p = Path.of("/sys/dev/block/" + major + ":" + minor + "/loop/backing_file");
        try {
            String s = Files.readString(p).strip();
            return s.isEmpty() ? null : s.replaceFirst(" \\(deleted\\)$", "");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
