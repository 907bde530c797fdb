package io.qcow2j.core.internal;

/**
 * Text that did not come from qcow2j itself (names stored in images, fields of a bucket's JSON,
 * environment values, paths from the command line, other libraries' messages) made safe for a
 * human-readable line: a terminal must not interpret it and it must not start a line of its own,
 * so it can neither clear a screen nor forge an {@code error:} line. Control characters become
 * {@code \e}, {@code \r}, {@code \n} or {@code \xNN} (C0, DEL and C1), and the Unicode line
 * separators and bidirectional overrides {@code \}{@code uNNNN}; everything else, backslashes
 * included, stays as it is. The one place this is decided: messages, notes and output use it.
 */
public final class PrintableText {
    /** Longest stored name printed, in characters: longer ones end in "…". */
    public static final int MAX_NAME = 256;
    /** Longest foreign message printed, in characters. */
    public static final int MAX_MESSAGE = 1000;

    private PrintableText() {
    }

    /** {@code s} with every control character escaped; "" for null. */
    public static String escape(String s) {
        return escape(s, Integer.MAX_VALUE);
    }

    /**
     * {@code s} escaped, at most {@code max} characters of it: what does not fit is cut before a
     * whole character or escape and replaced by "…".
     */
    private static String escape(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String piece = !unsafe(c) ? null : c == 0x1b ? "\\e" : c == '\r' ? "\\r" : c == '\n' ? "\\n"
                    : c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c);
            int width = piece == null ? (Character.isHighSurrogate(c) && i + 1 < s.length() ? 2 : 1) : piece.length();
            if (b.length() + width > max) {
                return b.append('…').toString();
            }
            if (piece != null) {
                b.append(piece);
            } else {
                b.append(s, i, i + width);
                i += width - 1;
            }
        }
        return b.toString();
    }

    /** A stored name (a backing file name, an index field): escaped and cut to {@link #MAX_NAME}. */
    public static String name(String s) {
        return escape(s, MAX_NAME);
    }

    /**
     * Another program's or library's message: runs of white space (its line breaks) folded into one
     * space, then escaped and cut to {@code max} characters.
     */
    public static String message(String s, int max) {
        return s == null ? "" : escape(s.replaceAll("\\s+", " ").strip(), max);
    }

    /**
     * {@link String#format} for a line that quotes input: every argument that is not a number or a
     * boolean (a name, a path) is {@linkplain #escape escaped} first.
     */
    public static String format(String format, Object... args) {
        Object[] safe = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            safe[i] = a == null || a instanceof Number || a instanceof Boolean || a instanceof Character ? a
                    : escape(String.valueOf(a));
        }
        return String.format(format, safe);
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || c >= 0x7f && c <= 0x9f // C0 (tab and newline included), DEL, C1
                || c == 0x2028 || c == 0x2029 // line and paragraph separators
                || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069; // bidirectional overrides
    }
}
