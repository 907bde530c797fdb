package io.qcow2j.core.check;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ImageChecker} found, with the counters {@code qemu-img check --output=json} reports
 * under the same names.
 */
public final class CheckResult {
    private final String filename;
    private final long checkErrors;
    private final long corruptions;
    private final long leaks;
    private final long allocatedClusters;
    private final long totalClusters;
    private final long fragmentedClusters;
    private final long compressedClusters;
    private final long imageEndOffset;
    private final List<CheckProblem> problems;
    private final long problemsOmitted;

    CheckResult(String filename, long checkErrors, long corruptions, long leaks,
            long allocatedClusters, long totalClusters, long fragmentedClusters,
            long compressedClusters, long imageEndOffset, List<CheckProblem> problems,
            long problemsOmitted) {
        problems = List.copyOf(problems);
        this.filename = filename;
        this.checkErrors = checkErrors;
        this.corruptions = corruptions;
        this.leaks = leaks;
        this.allocatedClusters = allocatedClusters;
        this.totalClusters = totalClusters;
        this.fragmentedClusters = fragmentedClusters;
        this.compressedClusters = compressedClusters;
        this.imageEndOffset = imageEndOffset;
        this.problems = problems;
        this.problemsOmitted = problemsOmitted;
    }

    /** The image as the caller named it. */
    public String filename() {
        return filename;
    }

    /** Things the check could not examine ({@code check-errors}). */
    public long checkErrors() {
        return checkErrors;
    }

    /** Metadata errors ({@code corruptions}). */
    public long corruptions() {
        return corruptions;
    }

    /** Clusters whose refcount exceeds their references ({@code leaks}). */
    public long leaks() {
        return leaks;
    }

    /** Clusters the active L2 tables map, compressed ones included. */
    public long allocatedClusters() {
        return allocatedClusters;
    }

    /** Clusters of the virtual disk. */
    public long totalClusters() {
        return totalClusters;
    }

    /**
     * Mapped clusters not host-contiguous with the previous entry of their L2 table, plus every
     * compressed cluster.
     */
    public long fragmentedClusters() {
        return fragmentedClusters;
    }

    /** Compressed clusters in the active L2 tables. */
    public long compressedClusters() {
        return compressedClusters;
    }

    /** End of the last cluster that is referenced or has a refcount. */
    public long imageEndOffset() {
        return imageEndOffset;
    }

    /** The first findings, in the order found. */
    public List<CheckProblem> problems() {
        return problems;
    }

    /** Findings counted but not listed in {@code problems}. */
    public long problemsOmitted() {
        return problemsOmitted;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof CheckResult o)) {
            return false;
        }
        return Objects.equals(filename, o.filename)
                && checkErrors == o.checkErrors
                && corruptions == o.corruptions
                && leaks == o.leaks
                && allocatedClusters == o.allocatedClusters
                && totalClusters == o.totalClusters
                && fragmentedClusters == o.fragmentedClusters
                && compressedClusters == o.compressedClusters
                && imageEndOffset == o.imageEndOffset
                && Objects.equals(problems, o.problems)
                && problemsOmitted == o.problemsOmitted;
    }

    @Override
    public int hashCode() {
        return Objects.hash(filename, checkErrors, corruptions, leaks, allocatedClusters,
                totalClusters, fragmentedClusters, compressedClusters, imageEndOffset, problems,
                problemsOmitted);
    }

    @Override
    public String toString() {
        return "CheckResult[filename=" + filename + ", checkErrors=" + checkErrors +
                ", corruptions=" + corruptions + ", leaks=" + leaks +
                ", allocatedClusters=" + allocatedClusters + ", totalClusters=" + totalClusters +
                ", fragmentedClusters=" + fragmentedClusters +
                ", compressedClusters=" + compressedClusters +
                ", imageEndOffset=" + imageEndOffset + ", problems=" + problems +
                ", problemsOmitted=" + problemsOmitted + "]";
    }

    /** Exit code of {@code qemu-img check}: 0 clean, 1 check errors, 2 corruptions, 3 leaks only. */
    public static final int CLEAN = 0;
    /** Exit code 1: the check could not examine something. */
    public static final int CHECK_FAILED = 1;
    /** Exit code 2: corruptions found. */
    public static final int CORRUPT = 2;
    /** Exit code 3: leaks found, no corruption. */
    public static final int LEAKED = 3;

    /** Keeps an unmodifiable copy of {@code problems}. */

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
