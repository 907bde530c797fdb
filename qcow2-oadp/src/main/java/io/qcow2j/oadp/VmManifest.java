package io.qcow2j.oadp;

import io.qcow2j.restore.InsufficientMemoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The per-VM manifest of one backup, {@code DIR/manifests/<backup>/<vm>.json}: which VM it belongs
 * to and the checkpoints that make up the backup, oldest (the full checkpoint) first. The chain's
 * order is authoritative: images are composed in this order and never in an order derived from
 * timestamps or from backing-file names stored in the images.
 *
 * @param namespace       the VM's namespace
 * @param name            the VM's name
 * @param checkpointChain checkpoint ids, oldest first; immutable
 */
public record VmManifest(String namespace, String name, List<String> checkpointChain) {

    /** @throws NullPointerException if any component or chain element is null */
    public VmManifest {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        checkpointChain = List.copyOf(checkpointChain);
    }

    /**
     * Reads and parses a manifest file. Unknown fields are ignored so newer datamover versions still
     * restore; missing or mistyped required fields are refused.
     *
     * @throws InvalidBackupLayoutException if the file is missing, unreadable, not JSON, or lacks a
     *                                      required field; the message names the file and the field
     * @throws InsufficientMemoryException  if its tree cannot fit in the free heap (names the file)
     */
    public static VmManifest read(Path file) throws InvalidBackupLayoutException, InsufficientMemoryException {
        return OadpJson.readManifest(file);
    }
}
