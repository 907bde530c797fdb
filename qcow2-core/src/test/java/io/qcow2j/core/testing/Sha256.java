package io.qcow2j.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 as lower-case hex, the format of {@code testdata/expected/*.sha256}. */
public final class Sha256 {

    private Sha256() {}

    /** The SHA-256 of a whole file. */
    public static String of(Path file) throws IOException {
        MessageDigest md = digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return hex(md);
    }

    /** The SHA-256 of everything {@code in} yields (the stream is read to its end, not closed). */
    public static String of(InputStream in) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
        }
        return hex(md);
    }

    /** The SHA-256 of {@code data}. */
    public static String of(byte[] data) {
        MessageDigest md = digest();
        md.update(data);
        return hex(md);
    }

    /** A fresh SHA-256 digest, for callers that stream bytes themselves; see {@link #hex}. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** Finishes {@code md} and returns the digest as lower-case hex. */
    public static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }
}
