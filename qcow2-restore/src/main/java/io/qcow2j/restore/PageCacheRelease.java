package io.qcow2j.restore;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * Drops a target's clean page-cache pages ({@code posix_fadvise(POSIX_FADV_DONTNEED)}) once the
 * restore's fdatasync has written them. Nobody reads a restored disk back through this node's page
 * cache soon (the VM starts elsewhere, or reads through its own cache), yet a buffered restore left
 * all of it cached: gigabytes charged to the restore pod's memory cgroup and evicted from other
 * tenants. Dropped after each background flush, the same few tens of MiB of pages are reused
 * while still hot, which also spares the restore the slow path of allocating fresh pages (on a VM
 * whose host takes freed guest memory back, a fault per new page; see benchmarks/RESULTS.md).
 * Advice only: a kernel that ignores it or refuses it changes nothing the restore promises, so
 * failures are not reported. Uses its own file descriptor because Java does not expose a
 * channel's; the advice acts on the file's (or block device's) page cache, whoever opened it.
 */
final class PageCacheRelease implements Closeable {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int POSIX_FADV_DONTNEED = 4;

    /** The libc calls we need; posix_fadvise returns the error number instead of setting errno. */
    interface CLib extends Library {
        int open(String path, int flags);

        int close(int fd);

        int posix_fadvise(int fd, long offset, long len, int advice);
    }

    private final CLib libc;
    private final int fd;

    private PageCacheRelease(CLib libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** A releaser for {@code path}, or null when native access is unavailable. */
    static PageCacheRelease open(Path path) {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return null;
        }
        try {
            CLib libc = Native.load("c", CLib.class);
            int fd = libc.open(path.toString(), O_RDONLY | O_CLOEXEC);
            return fd < 0 ? null : new PageCacheRelease(libc, fd);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return null;
        }
    }

    /**
     * Asks the kernel to drop the whole file's clean cached pages; dirty ones stay (the kernel only
     * starts their writeback). Cost follows the pages cached, not the file size: a 64 GiB sparse
     * target with 32 MiB cached walks 32 MiB of pages.
     */
    void releaseClean() {
        libc.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }

    @Override
    public void close() {
        libc.close(fd);
    }
}
