package io.qcow2j.s3.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * A small local file named by the configuration (a credentials or config file, a web identity
 * token, an SSE-C key, a CA bundle), read whole with a bound: the file type is checked before it is
 * opened, so a FIFO (whose open would block until a writer comes), a device ({@code /dev/zero}
 * never ends) or a directory is refused at once, and no more than the bound is ever read. Every
 * refusal is an {@link IllegalArgumentException} naming what named the file and its path.
 */
public final class ConfigFile {
    /** Bound for credentials, config and token files: real ones are a few KiB. */
    public static final int MAX_PROFILE_BYTES = 1 << 20;
    /** Bound for a PEM bundle: a whole system CA bundle is about 220 KiB. */
    public static final int MAX_PEM_BYTES = 4 << 20;

    private ConfigFile() {
    }

    /**
     * The content of {@code file}, at most {@code maxBytes}.
     *
     * @param origin what named the file, for the message: a variable ({@code AWS_CONFIG_FILE}), a
     *               flag, a profile property
     * @throws IllegalArgumentException "{@code origin: file: problem}" when it does not exist, is not
     *                                  a regular file, is larger than {@code maxBytes} or cannot be read
     */
    public static byte[] read(Path file, String origin, int maxBytes) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class); // follows links, as Secret mounts need
        } catch (NoSuchFileException e) {
            throw refused(file, origin, "does not exist", e);
        } catch (IOException e) {
            throw refused(file, origin, "cannot be read: " + reason(e), e);
        }
        if (a.isDirectory()) {
            throw refused(file, origin, "is a directory, not a file", null);
        }
        if (!a.isRegularFile()) {
            throw refused(file, origin, "is not a regular file (a FIFO, a device or a socket)", null);
        }
        if (a.size() > maxBytes) {
            throw refused(file, origin, "is " + a.size() + " bytes, more than the " + maxBytes + " accepted", null);
        }
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
            // one byte more than allowed: a file that grew since the check is refused, not cut
            ByteBuffer buf = ByteBuffer.allocate(maxBytes + 1);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // until the end or the bound
            }
            if (buf.position() > maxBytes) {
                throw refused(file, origin, "is more than the " + maxBytes + " bytes accepted", null);
            }
            return Arrays.copyOf(buf.array(), buf.position());
        } catch (IOException e) {
            throw refused(file, origin, "cannot be read: " + reason(e), e);
        }
    }

    /** {@link #read} as UTF-8 text. */
    public static String readString(Path file, String origin, int maxBytes) {
        return new String(read(file, origin, maxBytes), StandardCharsets.UTF_8);
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static IllegalArgumentException refused(Path file, String origin, String problem, Throwable cause) {
        return new IllegalArgumentException(origin + ": " + file + " " + problem, cause);
    }
}
