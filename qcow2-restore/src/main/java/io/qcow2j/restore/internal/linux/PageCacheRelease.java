package io.qcow2j.restore.internal.linux;

import com.sun.jna.LastErrorException;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * Drops a target's clean page-cache pages ({@code posix_fadvise(POSIX_FADV_DONTNEED)}) once the
 * restore's fdatasync has written them. Nobody reads a restored disk back through this node's page
 * cache soon (the VM starts elsewhere, or reads through its own cache), yet a buffered restore left
 * all of it cached: gigabytes charged to the restore pod's memory cgroup and evicted from other
 * tenants. Dropped after each background flush, the same few tens of MiB of pages are reused
 * while still hot, which also spares the restore the slow path of allocating fresh pages (on a VM
 * whose host takes freed guest memory back, a fault per new page).
 * Advice only: a kernel that ignores it or refuses it changes nothing the restore promises, so
 * failures are not reported. Uses its own file descriptor because Java does not expose a
 * channel's; the advice acts on the file's (or block device's) page cache, whoever opened it.
 */
public final class PageCacheRelease implements Closeable {
    private static final int POSIX_FADV_DONTNEED = 4;

    private final Libc libc;
    private final int fd;

    private PageCacheRelease(Libc libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** A releaser for {@code path}, or null when native access is unavailable. */
    public static PageCacheRelease open(Path path) {
        Libc libc = Libc.loadOrNull();
        if (libc == null) {
            return null;
        }
        try {
            return new PageCacheRelease(libc, libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC));
        } catch (LastErrorException e) {
            return null;
        }
    }

    /**
     * Asks the kernel to drop the whole file's clean cached pages; dirty ones stay (the kernel only
     * starts their writeback). Cost follows the pages cached, not the file size: a 64 GiB sparse
     * target with 32 MiB cached walks 32 MiB of pages.
     */
    public void releaseClean() {
        libc.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }

    @Override
    public void close() {
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // a read-only descriptor: nothing was written through it that a failed close could lose
        }
    }
}
