package io.qcow2j.core;

/**
 * Guest data could not be produced although the metadata was valid: a compressed cluster that does
 * not inflate to exactly one cluster, or a read that came back short. {@link #guestOffset()} says
 * which guest byte was being produced.
 */
public class CorruptDataException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    /** Guest offset of the cluster whose data is bad. */
    private final long guestOffset;
    /** The reason without the guest offset. */
    private final String detail;

    /**
     * @param resource    the file or object the image is read from
     * @param structure   the structure whose data is bad ({@code "compressed cluster"})
     * @param offset      its byte offset in the file
     * @param guestOffset guest offset of the cluster being produced
     * @param reason      what is wrong with the data
     * @param cause       the underlying error, or null
     */
    public CorruptDataException(String resource, String structure, long offset, long guestOffset, String reason,
            Throwable cause) {
        super(resource, structure, offset, reason + " (guest offset " + guestOffset + ")", cause);
        this.guestOffset = guestOffset;
        this.detail = reason;
    }

    /**
     * The message without the guest offset, for callers that report the offset themselves (the
     * restore names it once in its own error).
     */
    public String messageWithoutGuestOffset() {
        String m = getMessage();
        return m.substring(0, m.length() - reason().length()) + detail;
    }

    /** Guest (virtual disk) offset of the cluster whose data is bad. */
    public long guestOffset() {
        return guestOffset;
    }
}
