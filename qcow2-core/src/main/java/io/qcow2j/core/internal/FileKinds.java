package io.qcow2j.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of file a path names, beyond what {@code BasicFileAttributes} tells. */
public final class FileKinds {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private FileKinds() {
    }

    /**
     * Whether {@code path} (links followed) is a block device: Java's attributes call one "other",
     * like a FIFO or a socket, so the mode's file type decides. False where the file system has no
     * unix attributes.
     */
    public static boolean isBlockDevice(Path path) throws IOException {
        try {
            return ((Integer) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFBLK;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
