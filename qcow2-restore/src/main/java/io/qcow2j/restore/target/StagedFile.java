package io.qcow2j.restore.target;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * A regular file restored beside its final path and renamed into place only when complete: whoever
 * looks at the final path sees what was there before or the whole restored disk, never part of one,
 * and a failed restore leaves nothing behind. The staging file is {@code .<name>.tmp-<random>} in the
 * same directory (a rename never crosses file systems); it is not created here: restore into
 * {@link #staging()} as a new file, which the restore forces to stable storage before it reports
 * success, then {@link #publish()}.
 */
public final class StagedFile implements Closeable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path target;
    private final Path staging;
    private boolean published;

    private StagedFile(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** A staging name beside {@code target} that no file has now. */
    public static StagedFile beside(Path target) {
        Objects.requireNonNull(target, "target");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) {
            throw new IllegalArgumentException("target " + target + " has no directory to stage in");
        }
        while (true) {
            Path staging = dir.resolve("." + abs.getFileName() + ".tmp-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
            if (!Files.exists(staging, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return new StagedFile(abs, staging);
            }
        }
    }

    /** The final path. */
    public Path target() {
        return target;
    }

    /** Where to restore to. */
    public Path staging() {
        return staging;
    }

    /**
     * Renames the staging file over the target (an existing file is replaced atomically), then
     * forces the directory so the rename itself survives a crash.
     */
    public void publish() throws IOException {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        published = true;
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Deletes the staging file unless it was published. */
    @Override
    public void close() throws IOException {
        if (!published) {
            Files.deleteIfExists(staging);
        }
    }
}
