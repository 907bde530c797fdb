package io.qcow2j.core.check;

/**
 * One finding of {@link ImageChecker}: what kind of problem, in which on-disk structure, where.
 *
 * @param severity  whether it counts as a corruption, a leak or an error of the check itself
 * @param structure the structure as the qcow2 specification names it ({@code "L2 table"},
 *                  {@code "refcount block"}, {@code "cluster"}, ...)
 * @param offset    byte offset in the image file the finding is about, or -1
 * @param message   a human description with the numbers involved
 */
public record CheckProblem(Severity severity, String structure, long offset, String message) {

    /** How a finding is counted, in the terms of {@code qemu-img check}. */
    public enum Severity {
        /** Metadata is wrong; data may be lost or a write may destroy data (qemu's "errors"). */
        CORRUPTION,
        /** A cluster's refcount is higher than its references: wasted space, no harm to data. */
        LEAK,
        /** The check itself could not examine something (qemu's "internal errors"). */
        CHECK_ERROR
    }

    @Override
    public String toString() {
        String what = switch (severity) {
            case CORRUPTION -> "corruption";
            case LEAK -> "leak";
            case CHECK_ERROR -> "check error";
        };
        return what + ": " + structure + (offset >= 0 ? " at offset " + offset : "") + ": " + message;
    }
}
