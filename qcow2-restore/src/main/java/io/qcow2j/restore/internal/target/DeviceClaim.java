package io.qcow2j.restore.internal.target;

import io.qcow2j.restore.target.InvalidTargetException;
import com.sun.jna.LastErrorException;
import io.qcow2j.restore.internal.linux.Libc;
import java.nio.file.Path;

/**
 * An exclusive claim on a block device: {@code open(O_EXCL)} on a device fails with {@code EBUSY}
 * while it is mounted or held by another exclusive opener (an LVM volume in use, a RAID member), so
 * a restore cannot overwrite the file system the backup lives on. Held for the whole restore, so
 * nothing can mount the device meanwhile. Without libc (JNA) the check cannot be made; the restore
 * says so in its plan's warnings.
 */
final class DeviceClaim implements AutoCloseable {
    private static final int EBUSY = 16;

    private final Libc libc;
    private final int fd;

    private DeviceClaim(Libc libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** Claims the device, or returns null when libc is unavailable. */
    static DeviceClaim claim(Path device) throws InvalidTargetException {
        Libc libc = Libc.loadOrNull();
        if (libc == null) {
            return null;
        }
        try {
            return new DeviceClaim(libc, libc.open(device.toString(), Libc.O_RDONLY | Libc.O_EXCL | Libc.O_CLOEXEC));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EBUSY) {
                throw new InvalidTargetException(device.toString(), "block device is in use: mounted, or held"
                        + " exclusively by another program (EBUSY); refusing to overwrite it");
            }
            throw new InvalidTargetException(device.toString(), "cannot open the block device: " + e.getMessage());
        }
    }

    /** Checks the device could be claimed now, without keeping the claim. */
    static void check(Path device) throws InvalidTargetException {
        DeviceClaim c = claim(device);
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void close() {
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // a read-only descriptor: nothing to lose
        }
    }
}
