package io.qcow2j.core;

import io.qcow2j.core.internal.PrintableText;
import java.io.IOException;

/**
 * Root of every error qcow2j reports about its input or output. Each carries the resource (file
 * name), the structure being read (e.g. {@code "header"}, {@code "L2 table"}), the byte offset where
 * the problem lies (or -1 when no single offset applies) and a human reason, so a message can be
 * printed on one line without a stack trace. The message is that line: control characters in any
 * part of it (a path, a stored name) are escaped ({@link PrintableText}).
 */
public class Qcow2Exception extends IOException {
    private static final long serialVersionUID = 1L;

    /** See {@link #resource()}. */
    private final String resource;
    /** See {@link #structure()}. */
    private final String structure;
    /** See {@link #offset()}. */
    private final long offset;
    /** See {@link #reason()}. */
    private final String reason;

    /**
     * @param resource  the file or object the problem was found in, or null
     * @param structure the on-disk structure involved, named as in the specification, or null
     * @param offset    byte offset of the problem in the resource, or -1
     * @param reason    what is wrong, with the numbers involved
     */
    public Qcow2Exception(String resource, String structure, long offset, String reason) {
        this(resource, structure, offset, reason, null);
    }

    /** As {@link #Qcow2Exception(String, String, long, String)}, with the underlying error. */
    public Qcow2Exception(String resource, String structure, long offset, String reason, Throwable cause) {
        super(format(resource, structure, offset, reason), cause);
        this.resource = resource;
        this.structure = structure;
        this.offset = offset;
        this.reason = reason;
    }

    private static String format(String resource, String structure, long offset, String reason) {
        StringBuilder sb = new StringBuilder();
        if (resource != null) {
            sb.append(PrintableText.escape(resource)).append(": ");
        }
        if (structure != null) {
            sb.append(PrintableText.escape(structure));
            if (offset >= 0) {
                sb.append(" at offset ").append(offset);
            }
            sb.append(": ");
        }
        return sb.append(PrintableText.escape(reason)).toString();
    }

    /** The file (or other byte source) the problem was found in; may be null. */
    public String resource() {
        return resource;
    }

    /** The on-disk structure involved, named as in the qcow2 specification; may be null. */
    public String structure() {
        return structure;
    }

    /** Byte offset of the problem in the resource, or -1. */
    public long offset() {
        return offset;
    }

    /** The reason without the resource/structure prefix. */
    public String reason() {
        return reason;
    }
}
