package io.qcow2j.restore.internal.target;

import io.qcow2j.restore.target.InvalidTargetException;
import com.sun.jna.LastErrorException;
import io.qcow2j.restore.internal.linux.Libc;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a regular file that a restore writes, held until the file is complete (forced,
 * and renamed into place when staged), so two restores, or a restore and qemu, never write one file
 * at once.
 *
 * <p>It is an open-file-description lock ({@code F_OFD_SETLK}), as qemu takes on images: not tied
 * to the process like a classic POSIX lock, which any other descriptor of the same file closing in
 * this JVM would drop. It covers qemu's lock bytes ({@code RAW_LOCK_PERM_BASE} 100 and
 * {@code RAW_LOCK_SHARED_BASE} 200 in block/file-posix.c, one byte per permission), exclusively: an
 * image qemu holds (for reading or writing) cannot be locked, and qemu cannot open a file being
 * restored ("Failed to get ... lock"). Without libc (JNA) it falls back to
 * {@link FileChannel#tryLock}, a POSIX lock on the same bytes, which the kernel checks against OFD
 * locks too.
 */
public final class TargetLock implements Closeable {
    /** The first of qemu's lock bytes and how many: its permission bytes 100.. and shared bytes 200... */
    static final long START = 100;
    static final long LENGTH = 200;
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    private static final int EACCES = 13;
    private static final int EAGAIN = 11;

    private final Libc libc;
    private final int fd;
    private final FileChannel channel;

    private TargetLock(Libc libc, int fd, FileChannel channel) {
        this.libc = libc;
        this.fd = fd;
        this.channel = channel;
    }

    /**
     * Locks {@code file}, an existing regular file.
     *
     * @param name the target as messages name it (a staging file's final path)
     * @throws InvalidTargetException another process holds a lock on it
     */
    public static TargetLock acquire(Path file, String name) throws IOException {
        Libc libc = Libc.loadOrNull();
        if (libc != null) {
            int fd;
            try {
                fd = libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC);
            } catch (LastErrorException e) {
                throw new InvalidTargetException(name, "cannot open the target: " + (e.getErrorCode() == EACCES
                        ? TargetAccess.denied(file) : e.getMessage()), e);
            }
            try {
                libc.fcntl(fd, F_OFD_SETLK, request(F_WRLCK));
                return new TargetLock(libc, fd, null);
            } catch (LastErrorException e) {
                closeQuietly(libc, fd);
                if (e.getErrorCode() == EAGAIN || e.getErrorCode() == EACCES) {
                    throw held(name);
                }
                // no OFD locks (a kernel before 3.15, EINVAL; a file system without them): a POSIX lock below
            }
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new InvalidTargetException(name, "cannot open the target: " + TargetAccess.denied(file), e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock(START, LENGTH, false);
        } catch (OverlappingFileLockException e) { // this JVM holds it already
            lock = null;
        } catch (IOException e) {
            // a file system with no record locks at all (ENOLCK, some network ones): nothing can be locked
            // there, by qemu either; the restore goes on as before locks existed
            return new TargetLock(null, -1, ch);
        }
        if (lock == null) {
            ch.close();
            throw held(name);
        }
        return new TargetLock(null, -1, ch);
    }

    /**
     * True when another open file (of any process) holds a lock that conflicts with this one; false
     * also when it cannot be told (no libc): {@link #acquire} still refuses then.
     */
    public static boolean heldByOther(Path file) {
        Libc libc = Libc.loadOrNull();
        if (libc == null) {
            return false;
        }
        int fd;
        try {
            fd = libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            return false; // gone, or unreadable: acquiring it will say why
        }
        try {
            Libc.Flock probe = request(F_WRLCK);
            libc.fcntl(fd, F_OFD_GETLK, probe);
            return probe.l_type != F_UNLCK;
        } catch (LastErrorException e) {
            return false;
        } finally {
            closeQuietly(libc, fd);
        }
    }

    /** The refusal when another process holds the lock: the target is untouched. */
    public static InvalidTargetException held(String name) {
        return new InvalidTargetException(name, "the target is locked by another process (another restore, or"
                + " qemu using it as an image); refusing to write it at the same time");
    }

    private static Libc.Flock request(short type) {
        Libc.Flock f = new Libc.Flock();
        f.l_type = type;
        f.l_whence = 0; // SEEK_SET
        f.l_start = START;
        f.l_len = LENGTH;
        f.l_pid = 0; // required for OFD locks
        return f;
    }

    private static void closeQuietly(Libc libc, int fd) {
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // nothing was written through it
        }
    }

    /** Releases the lock (closing the descriptor that holds it). */
    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        } else {
            closeQuietly(libc, fd);
        }
    }
}
