package io.qcow2j.core;

/**
 * Guest data could not be produced although the metadata was valid: a compressed cluster that does
 * not inflate to exactly one cluster, or a read that came back short. {@link #guestOffset()} says
 * which guest byte was being produced.
 */
public class CorruptDataException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    private final long guestOffset;
    private final String detail;

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
