package io.qcow2j.restore.target.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

/**
 * The Linux libc calls the restore makes on a target through JNA (hole punching, zeroing, page
 * cache advice), which Java has no API for. One interface, loaded one way, for every user.
 */
public interface Libc extends Library {
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_CLOEXEC = 0x80000;

    /**
     * libc, or null off Linux or where JNA cannot load (its native part missing, no writable
     * temporary directory): callers then fall back to plain Java.
     */
    static Libc loadOrNull() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return null;
        }
        try {
            return Native.load("c", Libc.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return null;
        }
    }

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

    int ioctl(int fd, NativeLong request, long[] range) throws LastErrorException;

    long lseek(int fd, long offset, int whence) throws LastErrorException;

    /** Returns the error number instead of setting errno. */
    int posix_fadvise(int fd, long offset, long len, int advice);
}
