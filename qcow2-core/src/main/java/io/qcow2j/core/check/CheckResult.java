package io.qcow2j.core.check;

import java.util.List;

/**
 * What {@link ImageChecker} found, with the counters {@code qemu-img check --output=json} reports
 * under the same names.
 *
 * @param filename           the image as the caller named it
 * @param checkErrors        things the check could not examine ({@code check-errors})
 * @param corruptions        metadata errors ({@code corruptions})
 * @param leaks              clusters whose refcount exceeds their references ({@code leaks})
 * @param allocatedClusters  clusters the active L2 tables map, compressed ones included
 * @param totalClusters      clusters of the virtual disk
 * @param fragmentedClusters mapped clusters not host-contiguous with the previous entry of their
 *                           L2 table, plus every compressed cluster
 * @param compressedClusters compressed clusters in the active L2 tables
 * @param imageEndOffset     end of the last cluster that is referenced or has a refcount
 * @param problems           the first findings, in the order found
 * @param problemsOmitted    findings counted but not listed in {@code problems}
 */
public record CheckResult(
        String filename,
        long checkErrors,
        long corruptions,
        long leaks,
        long allocatedClusters,
        long totalClusters,
        long fragmentedClusters,
        long compressedClusters,
        long imageEndOffset,
        List<CheckProblem> problems,
        long problemsOmitted) {

    /** Exit code of {@code qemu-img check}: 0 clean, 1 check errors, 2 corruptions, 3 leaks only. */
    public static final int CLEAN = 0;
    /** Exit code 1: the check could not examine something. */
    public static final int CHECK_FAILED = 1;
    /** Exit code 2: corruptions found. */
    public static final int CORRUPT = 2;
    /** Exit code 3: leaks found, no corruption. */
    public static final int LEAKED = 3;

    /** Keeps an unmodifiable copy of {@code problems}. */
    public CheckResult {
        problems = List.copyOf(problems);
    }

    /** The format name qemu reports; this checker knows only qcow2. */
    public String format() {
        return "qcow2";
    }

    /** True when nothing at all was found. */
    public boolean clean() {
        return checkErrors == 0 && corruptions == 0 && leaks == 0;
    }

    /** The exit code {@code qemu-img check} gives for this result. */
    public int exitCode() {
        if (checkErrors > 0) {
            return CHECK_FAILED;
        }
        if (corruptions > 0) {
            return CORRUPT;
        }
        return leaks > 0 ? LEAKED : CLEAN;
    }
}
