package io.qcow2j.oadp;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The keys of an OADP kubevirt-datamover backup location, in its two layouts, and the loading of
 * one VM's metadata from a {@link BackupLocation}:
 * <pre>
 *   manifests/&lt;backup&gt;/&lt;ns&gt;-&lt;vm&gt;.json                 {@link VmManifest}, the controller's layout
 *   manifests/&lt;backup&gt;/&lt;vm&gt;.json                      {@link VmManifest}, the design document's
 *   checkpoints/&lt;ns&gt;/&lt;vm&gt;/index.json                 {@link CheckpointIndex}
 *   checkpoints/&lt;ns&gt;/&lt;vm&gt;/&lt;checkpoint id&gt;/&lt;file&gt;    qcow2 images
 * </pre>
 * Every name that becomes a key segment must be a single plain component: the names come from
 * arguments, the environment and the index, and a {@code ".."} or {@code "/"} in them would make the
 * restore read objects of another VM, or files outside the location.
 */
public final class OadpLayout {
    /** Largest metadata object read: they are KiB; the cap stops a mistaken location from filling memory. */
    public static final long MAX_METADATA_BYTES = OadpJson.MAX_FILE_SIZE;

    /** Which of the two layouts a backup was written in. */
    public enum Kind {
        /** What the kubevirt-datamover controller writes: {@code <ns>-<vm>.json}, files as objects. */
        CONTROLLER,
        /** The design document's: {@code <vm>.json}, files as plain names paired with {@code pvcs}. */
        DESIGN_DOCUMENT
    }

    private OadpLayout() {
    }

    /**
     * {@code manifests/<backup>/<ns>-<vm>.json}, the controller's manifest.
     *
     * @throws IllegalArgumentException if a name is not a plain path component
     */
    public static String controllerManifestKey(String backup, String namespace, String vm) {
        return "manifests/" + segment("backup name", backup) + "/" + segment("namespace", namespace) + "-"
                + segment("VM name", vm) + ".json";
    }

    /**
     * {@code manifests/<backup>/<vm>.json}, the design document's manifest.
     *
     * @throws IllegalArgumentException if a name is not a plain path component
     */
    public static String manifestKey(String backup, String vm) {
        return "manifests/" + segment("backup name", backup) + "/" + segment("VM name", vm) + ".json";
    }

    /**
     * {@code checkpoints/<ns>/<vm>/index.json}.
     *
     * @throws IllegalArgumentException if a name is not a plain path component
     */
    public static String indexKey(String namespace, String vm) {
        return vmKey(namespace, vm) + "/index.json";
    }

    /**
     * {@code checkpoints/<ns>/<vm>/<checkpointId>/<file>}, one image of one checkpoint; for the
     * controller's layout also what {@code objectPath} must be.
     *
     * @throws IllegalArgumentException if a name is not a plain path component
     */
    public static String checkpointKey(String namespace, String vm, String checkpointId, String file) {
        return vmKey(namespace, vm) + "/" + segment("checkpoint id", checkpointId) + "/" + segment("file name", file);
    }

    private static String vmKey(String namespace, String vm) {
        return "checkpoints/" + segment("namespace", namespace) + "/" + segment("VM name", vm);
    }

    /**
     * Reads the backup's manifest for the VM and the VM's checkpoint index. The controller's
     * manifest ({@code <ns>-<vm>.json}) is looked for first, then the design document's
     * ({@code <vm>.json}); the one found says the layout. Only the JSON shape is checked here; see
     * {@link VmRestorePlanner} for the consistency checks.
     *
     * @throws InvalidBackupLayoutException if no manifest or no index is there, or one is malformed;
     *                                      the message names the object
     * @throws IOException                  if the location cannot be read (access denied, no bucket)
     * @throws IllegalArgumentException     if an argument is not a plain path component
     */
    public static BackupMetadata load(BackupLocation location, String backup, String namespace, String vm)
            throws IOException {
        Objects.requireNonNull(location, "location");
        String controllerKey = controllerManifestKey(backup, namespace, vm);
        String designKey = manifestKey(backup, vm);
        Kind kind = Kind.CONTROLLER;
        String manifestKey = controllerKey;
        Optional<byte[]> manifest = location.read(controllerKey, MAX_METADATA_BYTES);
        if (manifest.isEmpty()) {
            kind = Kind.DESIGN_DOCUMENT;
            manifestKey = designKey;
            manifest = location.read(designKey, MAX_METADATA_BYTES);
        }
        if (manifest.isEmpty()) {
            throw new InvalidBackupLayoutException(location.nameOf(controllerKey), OadpJson.MANIFEST,
                    "not found: no manifest for VM " + namespace + "/" + vm + " in backup " + backup
                            + " (nor the design document's " + location.nameOf(designKey) + ")");
        }
        String manifestName = location.nameOf(manifestKey);
        String indexKey = indexKey(namespace, vm);
        String indexName = location.nameOf(indexKey);
        byte[] index = location.read(indexKey, MAX_METADATA_BYTES).orElseThrow(() ->
                new InvalidBackupLayoutException(indexName, OadpJson.INDEX,
                        "not found: no checkpoint index for VM " + namespace + "/" + vm));
        return new BackupMetadata(backup, kind, manifestName, OadpJson.parseManifest(manifestName, manifest.get()),
                indexName, OadpJson.parseIndex(indexName, index));
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

    static String segment(String what, String name) {
        if (!isPlainComponent(name)) {
            throw new IllegalArgumentException(what + " \"" + OadpJson.oneLine(String.valueOf(name))
                    + "\" is not a plain file name (it must not be empty, \".\" or \"..\", or contain / or \\)");
        }
        return name;
    }
}
