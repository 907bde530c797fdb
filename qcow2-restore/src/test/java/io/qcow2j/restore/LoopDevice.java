package io.qcow2j.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A loop block device over a file, for block-device target tests; detached on close. Tests skip
 * (with losetup's reason) where loop devices cannot be set up: not root, no /dev/loop-control, a
 * container without the capability.
 */
public final class LoopDevice implements AutoCloseable {
    private final Path device;

    private LoopDevice(Path device) {
        this.device = device;
    }

    /** Attaches {@code backing}; aborts the calling test (skipped, with the reason) if losetup cannot. */
    public static LoopDevice attachOrSkip(Path backing) throws IOException {
        Shell.Result r = Shell.run("losetup", "--find", "--show", backing.toAbsolutePath().toString());
        Assumptions.assumeTrue(r.code() == 0 && r.out().strip().startsWith("/dev/"),
                () -> "loop devices unavailable (losetup exit " + r.code() + ": " + r.err().strip() + ")");
        Path dev = Path.of(r.out().strip());
        if (!Files.isWritable(dev)) {
            Shell.run("losetup", "--detach", dev.toString());
            Assumptions.abort("loop device " + dev + " is not writable by this user");
        }
        return new LoopDevice(dev);
    }

    public Path path() {
        return device;
    }

    @Override
    public void close() throws IOException {
        Shell.Result r = Shell.run("losetup", "--detach", device.toString());
        if (r.code() != 0) {
            throw new IOException("losetup --detach " + device + " failed: " + r.err());
        }
    }
}
