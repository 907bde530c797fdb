package io.qcow2j.restore.target;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Regular-file and block-device targets: {@link #inspect} looks without touching, {@link #open}
 * is the first change.
 */
public final class Targets {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private Targets() {
    }

    /**
     * Classifies {@code path} and checks it can hold {@code virtualSize} bytes, without modifying it.
     *
     * @throws InvalidTargetException when the target is unusable (a directory, a too small device)
     */
    public static TargetInspection inspect(Path path, long virtualSize) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new InvalidTargetException(path.toString(), "target directory " + parent + " does not exist");
            }
            return new TargetInspection(path, TargetKind.NEW_FILE, 0);
        }
        if (Files.isDirectory(path)) {
            throw new InvalidTargetException(path.toString(), "target is a directory");
        }
        if (Files.isRegularFile(path)) {
            return new TargetInspection(path, TargetKind.EXISTING_FILE, Files.size(path));
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        if ((mode & S_IFMT) != S_IFBLK) {
            throw new InvalidTargetException(path.toString(), "target is neither a regular file nor a block device");
        }
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
        }
        if (size < virtualSize) {
            throw new InvalidTargetException(path.toString(), "block device holds " + size
                    + " bytes, the restored disk needs " + virtualSize);
        }
        return new TargetInspection(path, TargetKind.BLOCK_DEVICE, size);
    }

    /**
     * Opens the inspected target for a disk of {@code virtualSize} bytes: creates a new file sparse
     * at that size, resizes an existing file to it, opens a block device as it is. With
     * {@code directIo}, a target that refuses {@code O_DIRECT} fails before anything changed (a new
     * file is removed again).
     *
     * @throws InvalidTargetException when the target turned out unusable; nothing was changed
     */
    public static Sink open(TargetInspection inspection, long virtualSize, TargetOptions options) throws IOException {
        return FileTarget.open(inspection, virtualSize, options);
    }
}
