package io.qcow2j.oadp;

import io.qcow2j.restore.InsufficientMemoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The checkpoint index of one VM, {@code DIR/checkpoints/<ns>/<vm>/index.json}: every checkpoint
 * the datamover has stored for the VM, across all backups. A backup's manifest picks its chain out
 * of this list.
 *
 * @param vmName      the VM's name
 * @param namespace   the VM's namespace
 * @param checkpoints every stored checkpoint, in file order; immutable
 */
public record CheckpointIndex(String vmName, String namespace, List<Checkpoint> checkpoints) {

    /** @throws NullPointerException if any component or list element is null */
    public CheckpointIndex {
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(namespace, "namespace");
        checkpoints = List.copyOf(checkpoints);
    }

    /**
     * The checkpoints with the given id, in file order: normally zero or one, but a damaged index
     * may repeat an id and callers must be able to see that rather than silently get the first.
     */
    public List<Checkpoint> findAll(String id) {
        Objects.requireNonNull(id, "id");
        return checkpoints.stream().filter(c -> c.id().equals(id)).toList();
    }

    /**
     * Reads and parses an index file. Unknown fields are ignored; missing or mistyped required
     * fields are refused.
     *
     * @throws InvalidBackupLayoutException if the file is missing, unreadable, not JSON, or lacks a
     *                                      required field; the message names the file and the field
     * @throws InsufficientMemoryException  if its tree cannot fit in the free heap (names the file)
     */
    public static CheckpointIndex read(Path file) throws InvalidBackupLayoutException, InsufficientMemoryException {
        return OadpJson.readIndex(file);
    }
}
