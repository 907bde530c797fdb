package io.qcow2j.restore;

import io.qcow2j.restore.target.TargetKind;
import java.util.List;
import java.util.Objects;

/**
 * What a restore will do, decided before anything is written ({@link Restore#prepare()}).
 */
public final class RestorePlan {
    private final String target;
    private final TargetKind targetKind;
    private final long virtualSize;
    private final List<String> images;
    private final int workers;
    private final long perWorkerBytes;
    private final boolean zeroOffload;
    private final boolean pageCacheRelease;
    private final List<String> warnings;

    RestorePlan(String target, TargetKind targetKind, long virtualSize, List<String> images,
            int workers, long perWorkerBytes, boolean zeroOffload, boolean pageCacheRelease,
            List<String> warnings) {
        images = List.copyOf(images);
        warnings = List.copyOf(warnings);
        this.target = target;
        this.targetKind = targetKind;
        this.virtualSize = virtualSize;
        this.images = images;
        this.workers = workers;
        this.perWorkerBytes = perWorkerBytes;
        this.zeroOffload = zeroOffload;
        this.pageCacheRelease = pageCacheRelease;
        this.warnings = warnings;
    }

    /** The target's name. */
    public String target() {
        return target;
    }

    /** New file, existing file or block device. */
    public TargetKind targetKind() {
        return targetKind;
    }

    /** Bytes of the restored disk. */
    public long virtualSize() {
        return virtualSize;
    }

    /** The chain's images, oldest first. */
    public List<String> images() {
        return images;
    }

    /** Worker threads, sized from the free memory. */
    public int workers() {
        return workers;
    }

    /** Native memory one worker holds at most. */
    public long perWorkerBytes() {
        return perWorkerBytes;
    }

    /**
     * Zero ranges of an existing target go through the kernel (hole punching, write-zeroes); false
     * when libc cannot be reached, so they are written as zeros; true where nothing needs zeroing.
     */
    public boolean zeroOffload() {
        return zeroOffload;
    }

    /**
     * Written pages are dropped from the page cache once flushed; false when libc cannot be reached
     * (or the option is off).
     */
    public boolean pageCacheRelease() {
        return pageCacheRelease;
    }

    /** One line per capability that is missing and what it costs. */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RestorePlan o)) {
            return false;
        }
        return Objects.equals(target, o.target)
                && Objects.equals(targetKind, o.targetKind)
                && virtualSize == o.virtualSize
                && Objects.equals(images, o.images)
                && workers == o.workers
                && perWorkerBytes == o.perWorkerBytes
                && zeroOffload == o.zeroOffload
                && pageCacheRelease == o.pageCacheRelease
                && Objects.equals(warnings, o.warnings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(target, targetKind, virtualSize, images, workers, perWorkerBytes,
                zeroOffload, pageCacheRelease, warnings);
    }

    @Override
    public String toString() {
        return "RestorePlan[target=" + target + ", targetKind=" + targetKind +
                ", virtualSize=" + virtualSize + ", images=" + images + ", workers=" + workers +
                ", perWorkerBytes=" + perWorkerBytes + ", zeroOffload=" + zeroOffload +
                ", pageCacheRelease=" + pageCacheRelease + ", warnings=" + warnings + "]";
    }

}
