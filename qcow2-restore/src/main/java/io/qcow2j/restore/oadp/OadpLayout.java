package io.qcow2j.restore.oadp;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A downloaded OADP kubevirt-datamover backup location rooted at a directory {@code DIR}:
 * <pre>
 *   DIR/manifests/&lt;backup&gt;/&lt;vm&gt;.json                      {@link VmManifest}
 *   DIR/checkpoints/&lt;ns&gt;/&lt;vm&gt;/index.json                 {@link CheckpointIndex}
 *   DIR/checkpoints/&lt;ns&gt;/&lt;vm&gt;/&lt;checkpoint id&gt;/&lt;file&gt;    qcow2 images
 * </pre>
 * Every name that becomes a path component must be a single plain component, because the names come
 * from command-line arguments and from the index: a {@code ".."} or {@code "/"} in them would make
 * the restore read files outside the backup location.
 */
public final class OadpLayout {

    private final Path root;

    /** @param root the backup location's top directory ({@code DIR}) */
    public OadpLayout(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** The backup location's top directory. */
    public Path root() {
        return root;
    }

    /**
     * {@code DIR/manifests/<backup>/<vm>.json}.
     *
     * @throws IllegalArgumentException if {@code backup} or {@code vm} is not a plain path component
     */
    public Path manifestFile(String backup, String vm) {
        return root.resolve("manifests").resolve(segment("backup name", backup))
                .resolve(segment("VM name", vm) + ".json");
    }

    /**
     * {@code DIR/checkpoints/<namespace>/<vm>}, the directory holding the index and one directory per
     * checkpoint.
     *
     * @throws IllegalArgumentException if {@code namespace} or {@code vm} is not a plain path component
     */
    public Path vmDirectory(String namespace, String vm) {
        return root.resolve("checkpoints").resolve(segment("namespace", namespace)).resolve(segment("VM name", vm));
    }

    /**
     * {@code DIR/checkpoints/<namespace>/<vm>/index.json}.
     *
     * @throws IllegalArgumentException if {@code namespace} or {@code vm} is not a plain path component
     */
    public Path indexFile(String namespace, String vm) {
        return vmDirectory(namespace, vm).resolve("index.json");
    }

    /**
     * {@code DIR/checkpoints/<namespace>/<vm>/<checkpointId>}.
     *
     * @throws IllegalArgumentException if any argument is not a plain path component
     */
    public Path checkpointDirectory(String namespace, String vm, String checkpointId) {
        return vmDirectory(namespace, vm).resolve(segment("checkpoint id", checkpointId));
    }

    /**
     * {@code DIR/checkpoints/<namespace>/<vm>/<checkpointId>/<file>}, the image of one PVC in one
     * checkpoint.
     *
     * @throws IllegalArgumentException if any argument is not a plain path component
     */
    public Path checkpointFile(String namespace, String vm, String checkpointId, String file) {
        return checkpointDirectory(namespace, vm, checkpointId).resolve(segment("file name", file));
    }

    /**
     * Reads the backup's manifest for the VM and the VM's checkpoint index. Only the JSON shape is
     * checked here; see {@link VmRestorePlanner} for the consistency checks.
     *
     * @throws InvalidBackupLayoutException if either file is missing, unreadable or malformed; the
     *                                      message names the path
     * @throws IllegalArgumentException     if an argument is not a plain path component
     */
    public BackupMetadata load(String backup, String namespace, String vm) throws InvalidBackupLayoutException {
        Path manifestFile = manifestFile(backup, vm);
        Path indexFile = indexFile(namespace, vm);
        VmManifest manifest = OadpJson.readManifest(manifestFile,
                "file not found: no manifest for VM " + vm + " in backup " + backup);
        CheckpointIndex index = OadpJson.readIndex(indexFile,
                "file not found: no checkpoint index for VM " + namespace + "/" + vm);
        return new BackupMetadata(backup, manifestFile, manifest, indexFile, index);
    }

    /**
     * Whether {@code name} can be used as one path component without leaving its parent directory:
     * not empty, not {@code "."} or {@code ".."}, no separator ({@code '/'}, and {@code '\'} so a
     * layout copied from Windows cannot differ in meaning), no NUL.
     */
    public static boolean isPlainComponent(String name) {
        return name != null && !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    private static String segment(String what, String name) {
        if (!isPlainComponent(name)) {
            throw new IllegalArgumentException(what + " \"" + OadpJson.oneLine(String.valueOf(name))
                    + "\" is not a plain file name (it must not be empty, \".\" or \"..\", or contain / or \\)");
        }
        return name;
    }
}
