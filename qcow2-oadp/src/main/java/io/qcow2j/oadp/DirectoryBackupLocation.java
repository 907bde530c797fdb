package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.restore.InsufficientMemoryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backup location copied to a directory: key {@code a/b/c} is the file {@code DIR/a/b/c}. Every
 * segment of a key must be a plain file name ({@link OadpLayout#isPlainComponent}), so no key reads
 * a file outside the directory through {@code ..}.
 */
public final class DirectoryBackupLocation implements BackupLocation {
    private final Path root;

    /** @param root the location's top directory (it has {@code manifests/} and {@code checkpoints/}) */
    public DirectoryBackupLocation(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** The top directory. */
    public Path root() {
        return root;
    }

    /**
     * The file of {@code key}.
     *
     * @throws IllegalArgumentException when a segment of the key is not a plain file name
     */
    public Path resolve(String key) {
        Path p = root;
        for (String segment : key.split("/", -1)) {
            if (!OadpLayout.isPlainComponent(segment)) {
                throw new IllegalArgumentException("key \"" + OadpJson.oneLine(key)
                        + "\" has a segment that is not a plain file name");
            }
            p = p.resolve(segment);
        }
        return p;
    }

    @Override
    public String name() {
        return root.toString();
    }

    @Override
    public String nameOf(String key) {
        return resolve(key).toString();
    }

    @Override
    public Optional<byte[]> read(String key, long maxBytes) throws IOException {
        Path file = resolve(key);
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new InvalidBackupLayoutException(name, null, "is a directory, expected a JSON file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new InvalidBackupLayoutException(name, null, "file is " + size
                        + " bytes, larger than any plausible metadata file (limit " + maxBytes + ")");
            }
            BackupLocation.requireHeapToRead(name, size);
            // a file growing meanwhile must not get past the limit either
            byte[] content = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (content.length > maxBytes) {
                throw new InvalidBackupLayoutException(name, null, "file grew past " + maxBytes + " bytes while read");
            }
            return Optional.of(content);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (InvalidBackupLayoutException | InsufficientMemoryException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidBackupLayoutException(name, null, "cannot read: " + OadpJson.oneLine(String.valueOf(e)), e);
        }
    }

    @Override
    public Optional<ByteSource> open(String key) throws IOException {
        Path file = resolve(key);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) || !Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(FileByteSource.open(file));
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(Files.size(resolve(key)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public List<String> list(String dirKey) throws IOException {
        Path dir = resolve(dirKey);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var children = Files.list(dir)) {
            return children.map(c -> c.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(root);
    }

    @Override
    public String toString() {
        return name();
    }
}
