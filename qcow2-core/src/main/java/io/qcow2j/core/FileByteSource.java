package io.qcow2j.core;

import io.qcow2j.core.internal.FileKinds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A {@link ByteSource} over a local file (or block device), opened read-only. Every failure names
 * the file: opening one that is missing, a directory, a FIFO or another special file, or
 * unreadable, and any read that fails.
 */
public final class FileByteSource implements ByteSource {
    private final Path path;
    private final FileChannel channel;

    private FileByteSource(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Opens {@code path} read-only. Only regular files and block devices are opened: opening a FIFO
     * would wait for a writer, and a directory or character device holds no image.
     *
     * @throws SourceAccessException naming the file when it cannot be opened
     */
    public static FileByteSource open(Path path) throws SourceAccessException {
        String name = path.toString();
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            if (a.isDirectory()) {
                throw new SourceAccessException(name, null, -1, "is a directory, not an image file", null);
            }
            if (!a.isRegularFile() && !FileKinds.isBlockDevice(path)) {
                throw new SourceAccessException(name, null, -1,
                        "is not a regular file (a FIFO, socket or character device), not an image file", null);
            }
            return new FileByteSource(path, FileChannel.open(path, StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            throw new SourceAccessException(name, null, -1, "no such file", null);
        } catch (AccessDeniedException e) {
            throw new SourceAccessException(name, null, -1, "permission denied", null);
        } catch (SourceAccessException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceAccessException(name, null, -1, "cannot open: " + reason(e), e);
        }
    }

    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
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
        try {
            return channel.size();
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceAccessException(name(), null, -1, "cannot get the file's size: " + reason(e), e);
        }
    }

    /**
     * Reads at {@code position}. An I/O error becomes a {@link SourceAccessException} naming the file
     * and the offset; a closed channel (an interrupt, a concurrent close) stays what it is, so the
     * caller can tell a cancellation from a failing disk.
     */
    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        try {
            return channel.read(dst, position);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceAccessException(name(), null, position, "read failed: " + reason(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
