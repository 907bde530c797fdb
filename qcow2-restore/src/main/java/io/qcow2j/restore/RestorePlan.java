package io.qcow2j.restore;

import io.qcow2j.restore.target.TargetKind;
import java.util.List;

/**
 * What a restore will do, decided before anything is written ({@link Restore#prepare()}).
 *
 * @param target           the target's name
 * @param targetKind       new file, existing file or block device
 * @param virtualSize      bytes of the restored disk
 * @param images           the chain's images, oldest first
 * @param workers          worker threads, sized from the free memory
 * @param perWorkerBytes   native memory one worker holds at most
 * @param zeroOffload      zero ranges of an existing target go through the kernel (hole punching,
 *                         write-zeroes); false when libc cannot be reached, so they are written as
 *                         zeros; true where nothing needs zeroing
 * @param pageCacheRelease written pages are dropped from the page cache once flushed; false when
 *                         libc cannot be reached (or the option is off)
 * @param warnings         one line per capability that is missing and what it costs
 */
public record RestorePlan(String target, TargetKind targetKind, long virtualSize, List<String> images, int workers,
        long perWorkerBytes, boolean zeroOffload, boolean pageCacheRelease, List<String> warnings) {
    public RestorePlan {
        images = List.copyOf(images);
        warnings = List.copyOf(warnings);
    }
}
