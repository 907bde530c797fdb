package io.qcow2j.restore.internal.target;

import io.qcow2j.restore.target.InvalidTargetException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A regular file restored beside its final path and renamed into place only when complete: whoever
 * looks at the final path sees what was there before or the whole restored disk, never part of one,
 * and a failed restore leaves nothing behind. The staging file is {@code .<name>.tmp-<random>} in the
 * same directory (a rename never crosses file systems); it is not created here: restore into
 * {@link #staging()} as a new file, which the restore forces to stable storage before it reports
 * success, then {@link #publish()}.
 *
 * <p>A restore that was killed (SIGKILL, the node lost) leaves its staging file behind; the next
 * restore to the same path removes such leftovers ({@link #removeLeftovers}), recognised by that
 * name alone, and only when no live restore holds them locked ({@link TargetLock}).
 */
public final class StagedFile implements Closeable {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The random part of a staging name: {@link Long#toUnsignedString(long, int)} in base 36. */
    private static final Pattern RANDOM_PART = Pattern.compile("[0-9a-z]{1,13}");

    private final Path target;
    private final Path staging;
    private boolean published;

    private StagedFile(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** A staging name beside {@code target} that no file has now. */
    public static StagedFile beside(Path target) {
        Path abs = absolute(target);
        Path dir = abs.getParent();
        while (true) {
            Path staging = dir.resolve(prefix(abs) + Long.toUnsignedString(RANDOM.nextLong(), 36));
            if (!Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                return new StagedFile(abs, staging);
            }
        }
    }

    private static Path absolute(Path target) {
        Objects.requireNonNull(target, "target");
        Path abs = target.toAbsolutePath();
        if (abs.getParent() == null || abs.getFileName() == null) {
            throw new IllegalArgumentException("target " + target + " has no directory to stage in");
        }
        return abs;
    }

    private static String prefix(Path abs) {
        return "." + abs.getFileName() + ".tmp-";
    }

    /**
     * The staging files of earlier restores to {@code target} that were killed before they could
     * remove them: regular files named as {@link #beside} names them, in the target's directory.
     *
     * @throws InvalidTargetException one of them is locked: a restore to the same path is running now
     */
    public static List<Path> leftovers(Path target) throws IOException {
        Path abs = absolute(target);
        String prefix = prefix(abs);
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(abs.getParent())) {
            return found;
        }
        // a filter, not a glob: the target's name may hold glob characters
        DirectoryStream.Filter<Path> ours = p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && RANDOM_PART.matcher(name.substring(prefix.length())).matches();
        };
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(abs.getParent(), ours)) {
            for (Path p : dir) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (TargetLock.heldByOther(p)) {
                        throw new InvalidTargetException(target.toString(), "another restore to this path is running"
                                + " (its staging file " + p.getFileName() + " is locked); refusing to write it at the"
                                + " same time");
                    }
                    found.add(p);
                }
            }
        }
        found.sort(null);
        return found;
    }

    /**
     * Removes the {@linkplain #leftovers leftovers} of killed restores to {@code target}; each one
     * removed is locked first, so a restore starting at the same moment cannot lose its own.
     *
     * @return one line per file removed, for the restore's notes
     */
    public static List<String> removeLeftovers(Path target) throws IOException {
        List<String> removed = new ArrayList<>();
        for (Path p : leftovers(target)) {
            long size;
            try (TargetLock lock = TargetLock.acquire(p, target.toString())) {
                size = Files.size(p);
                Files.delete(p);
            } catch (java.nio.file.NoSuchFileException | InvalidTargetException raced) {
                continue; // another restore removed it, or has just created and locked it
            } catch (IOException | RuntimeException e) {
                removed.add("could not remove " + p + ", the staging file of an earlier restore: " + e.getMessage());
                continue;
            }
            removed.add(String.format(Locale.ROOT, "removed %s (%.1f MiB), the staging file of an earlier restore"
                    + " to %s that was killed before it finished", p, size / 1048576.0, target));
        }
        return removed;
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

    /** True once {@link #publish()} renamed the staging file into place. */
    public boolean published() {
        return published;
    }

    /** Deletes the staging file unless it was published. */
    @Override
    public void close() throws IOException {
        if (!published) {
            Files.deleteIfExists(staging);
        }
    }
}
