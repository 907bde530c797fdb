package io.qcow2j.restore.internal.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Structure;

/**
 * The Linux libc calls the restore makes on a target through JNA (hole punching, zeroing, page
 * cache advice), which Java has no API for. One interface, loaded once, for every user.
 */
public interface Libc extends Library {
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_EXCL = 0200;
    int O_CLOEXEC = 0x80000;

    /**
     * libc, or null off Linux or where JNA cannot load (its native part missing, no writable
     * temporary directory to unpack it into): callers then fall back to plain Java, and
     * {@link #loadError()} says why.
     */
    static Libc loadOrNull() {
        return Loaded.LIBC;
    }

    /** Why {@link #loadOrNull()} is null, or null when libc is usable. */
    static String loadError() {
        return Loaded.ERROR;
    }

    int open(String path, int flags) throws LastErrorException;

    /** {@code fcntl(fd, cmd, struct flock *)}: the record-lock commands. */
    int fcntl(int fd, int cmd, Flock lock) throws LastErrorException;

    /** {@code ioctl(fd, request, buffer)}: a request that fills a structure of longs. */
    int ioctl(int fd, NativeLong request, byte[] buffer) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

    int ioctl(int fd, NativeLong request, long[] range) throws LastErrorException;

    long lseek(int fd, long offset, int whence) throws LastErrorException;

    /** Returns the error number instead of setting errno. */
    int posix_fadvise(int fd, long offset, long len, int advice);

    /** {@code struct flock} (Linux, 64-bit {@code off_t}); JNA adds the platform's padding. */
    @Structure.FieldOrder({"l_type", "l_whence", "l_start", "l_len", "l_pid"})
    class Flock extends Structure {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    /**
     * The one load, with its reason when it failed: JNA's classes stay unusable after a failed
     * initialisation, and asking again would only say "Could not initialize class".
     */
    final class Loaded {
        static final Libc LIBC;
        static final String ERROR;

        static {
            Libc libc = null;
            String error;
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                error = "not Linux";
            } else {
                try {
                    libc = Native.load("c", Libc.class);
                    // a call through the binding proves it works: fd -1 is EBADF, harmless
                    libc.posix_fadvise(-1, 0, 0, 0);
                    error = null;
                } catch (LinkageError | RuntimeException e) {
                    libc = null;
                    error = e.getMessage() != null ? e.getMessage() : e.toString();
                }
            }
            LIBC = libc;
            ERROR = error;
        }

        private Loaded() {
        }
    }
}
