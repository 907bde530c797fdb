package io.qcow2j.s3;

import io.qcow2j.core.internal.HttpRange;
import java.io.IOException;

/** Whether a GET's answer is the range asked for, of the object opened: both transports check the same. */
final class ResponseChecks {
    private ResponseChecks() {
    }

    /** The answer is the requested range (no Content-Range is the whole object: right only from offset 0). */
    static void range(String contentRange, long position, int length) throws IOException {
        String expected = HttpRange.answerPrefix(position, length);
        if (contentRange == null ? position != 0 : !contentRange.startsWith(expected)) {
            throw new Failure.BadResponseException("server answered " + (contentRange == null ? "the whole object"
                    : contentRange) + " to a request for " + HttpRange.header(position, length));
        }
    }

    /**
     * The response is from the object opened: the same entity tag (a store that ignores
     * {@code If-Match} answers from a new version), and the same total size.
     */
    static void sameObject(ObjectInfo info, String eTag, String contentRange, Long contentLength) throws IOException {
        if (info.eTag() != null && !sameTag(info.eTag(), eTag)) {
            throw new Failure.ChangedException("the object changed since it was opened: ETag " + info.eTag()
                    + " at HEAD, " + (eTag == null ? "none" : Failure.oneLine(eTag)) + " in the response (a store"
                    + " that ignores If-Match)");
        }
        int slash = contentRange == null ? -1 : contentRange.lastIndexOf('/');
        String total = contentRange != null ? contentRange.substring(slash + 1).trim() : contentLength == null ? "*"
                : String.valueOf(contentLength);
        if (!total.equals("*") && !total.equals(String.valueOf(info.size()))) {
            throw new Failure.ChangedException("the object changed since it was opened: " + info.size()
                    + " bytes at HEAD, " + total + " in the response");
        }
    }

    /** Entity tags compared as opaque strings, quotes and a weak prefix aside. */
    private static boolean sameTag(String a, String b) {
        return b != null && bare(a).equals(bare(b));
    }

    private static String bare(String tag) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
            t = t.substring(2);
        }
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }
}
