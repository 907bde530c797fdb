package io.qcow2j.restore.internal.target;

import io.qcow2j.restore.target.TargetKind;
import java.nio.file.Path;

/**
 * A target path as found by {@link Targets#inspect}, before anything is written.
 *
 * @param path        the target path as given
 * @param kind        what the path is
 * @param currentSize its size now (0 for a new file)
 */
public record TargetInspection(Path path, TargetKind kind, long currentSize) {
}
