package io.qcow2j.restore.internal.target;

import io.qcow2j.core.internal.FileKinds;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Regular-file and block-device targets: {@link #inspect} looks without touching, {@link #open}
 * is the first change.
 */
public final class Targets {
    private Targets() {
    }

    /**
     * Classifies {@code path} and checks it can hold {@code virtualSize} bytes, without modifying it.
     *
     * @throws InvalidTargetException when the target is unusable (a directory, a too small device)
     */
    public static TargetInspection inspect(Path path, long virtualSize) throws IOException {
        String name = path.toString();
        TargetKind kind = kindOf(path).orElse(null);
        if (kind == TargetKind.NEW_FILE) {
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidTargetException(name, "is a symbolic link to " + Files.readSymbolicLink(path)
                        + ", which does not exist");
            }
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new InvalidTargetException(name, "target directory " + parent + " does not exist");
            }
            if (parent != null && !Files.isWritable(parent)) {
                throw new InvalidTargetException(name, "cannot create the target: directory " + parent
                        + " is not writable: " + TargetAccess.denied(parent));
            }
            return new TargetInspection(path, TargetKind.NEW_FILE, 0);
        }
        if (kind == null) {
            throw new InvalidTargetException(name, Files.isDirectory(path) ? "target is a directory"
                    : "target is neither a regular file nor a block device");
        }
        if (kind == TargetKind.EXISTING_FILE) {
            if (!Files.isWritable(path)) {
                throw new InvalidTargetException(name, "target is not writable: " + TargetAccess.denied(path));
            }
            return new TargetInspection(path, TargetKind.EXISTING_FILE, Files.size(path));
        }
        // access(2) first: opening a device for writing just to find out would make udev re-probe it
        if (!Files.isReadable(path) || !Files.isWritable(path)) {
            throw new InvalidTargetException(name, "cannot open the block device for writing: "
                    + TargetAccess.denied(path));
        }
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
        } catch (AccessDeniedException e) {
            throw new InvalidTargetException(name, "cannot open the block device: " + TargetAccess.denied(path), e);
        } catch (IOException e) {
            throw new InvalidTargetException(name, "cannot open the block device: " + e.getMessage(), e);
        }
        if (size < virtualSize) {
            throw new InvalidTargetException(name, "block device holds " + size
                    + " bytes, the restored disk needs " + virtualSize);
        }
        DeviceClaim.check(path);
        return new TargetInspection(path, TargetKind.BLOCK_DEVICE, size);
    }

    /**
     * What is at {@code path} now, links followed, without opening or changing it: nothing (a
     * {@link TargetKind#NEW_FILE}), a regular file, a block device, or empty for anything else (a
     * directory, a FIFO, a character device). The one place a target's kind is decided:
     * {@link #inspect} classifies with it, then checks the target can take the disk.
     */
    public static Optional<TargetKind> kindOf(Path path) throws IOException {
        if (!Files.exists(path)) {
            return Optional.of(TargetKind.NEW_FILE);
        }
        if (Files.isRegularFile(path)) {
            return Optional.of(TargetKind.EXISTING_FILE);
        }
        return FileKinds.isBlockDevice(path) ? Optional.of(TargetKind.BLOCK_DEVICE) : Optional.empty();
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
        return open(inspection, virtualSize, options, inspection.path().toString());
    }

    /**
     * As {@link #open(TargetInspection, long, TargetOptions)}, the sink and its errors named
     * {@code name}: a staging file's final path, which is what the caller knows it by.
     */
    public static Sink open(TargetInspection inspection, long virtualSize, TargetOptions options, String name)
            throws IOException {
        try {
            return FileTarget.open(inspection, virtualSize, options, name);
        } catch (InvalidTargetException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new InvalidTargetException(name, "cannot open the target: " + TargetAccess.denied(
                    inspection.kind() == TargetKind.NEW_FILE ? inspection.path().toAbsolutePath().getParent()
                            : inspection.path()), e);
        } catch (IOException e) {
            // nothing was written (a new file is removed again): the target is unusable, not incomplete
            throw new InvalidTargetException(name, "cannot open the target: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        }
    }
}
