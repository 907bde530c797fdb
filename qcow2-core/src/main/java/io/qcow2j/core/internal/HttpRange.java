package io.qcow2j.core.internal;

/** The HTTP range of a ranged GET, as the three stores send it and check their answers. */
public final class HttpRange {
    private HttpRange() {
    }

    /** The {@code Range} header's value for {@code length} bytes at {@code position}: {@code bytes=a-b}. */
    public static String header(long position, long length) {
        return "bytes=" + position + "-" + (position + length - 1);
    }

    /** How a {@code Content-Range} answering that header starts: {@code bytes a-b/}, the total after it. */
    public static String answerPrefix(long position, long length) {
        return "bytes " + position + "-" + (position + length - 1) + "/";
    }
}
