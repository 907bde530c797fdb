package io.qcow2j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link ByteSource} over a local file, opened read-only. */
public final class FileByteSource implements ByteSource {
    private final Path path;
    private final FileChannel channel;

    private FileByteSource(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Opens {@code path} read-only.
     *
     * @throws Qcow2Exception naming the file when it is missing or unreadable
     */
    public static FileByteSource open(Path path) throws Qcow2Exception {
        try {
            return new FileByteSource(path, FileChannel.open(path, StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            throw new InvalidImageException(path.toString(), null, -1, "no such file");
        } catch (AccessDeniedException e) {
            throw new InvalidImageException(path.toString(), null, -1, "permission denied");
        } catch (IOException e) {
            throw new InvalidImageException(path.toString(), null, -1, "cannot open: " + e.getMessage(), e);
        }
    }

    /** The file this source reads. */
    public Path path() {
        return path;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return channel.read(dst, position);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
