package io.qcow2j.oadp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the layout the contract's {@code qc.py vm-json} writes, with dummy image files (the planner
 * never opens them): VM ns-acc/my-vm with PVCs my-vm-pvc-0 (10Mi) and my-vm-pvc-1 (20Mi),
 * checkpoints cp-001 (full) .. cp-004, cp-002 listing its files in reverse PVC order, manifests
 * bk-3 (cp-001..cp-003) and bk-4 (cp-001..cp-004). The JSON is kept as mutable trees so each test
 * can break one thing before {@link #write()}. Public so that tests of other packages (restore-vm
 * end to end) build the same layout and replace the dummy images with real ones.
 */
public final class VmLayoutFixture {
    public static final String NS = "ns-acc";
    public static final String VM = "my-vm";
    public static final String PVC0 = "my-vm-pvc-0";
    public static final String PVC1 = "my-vm-pvc-1";

    private static final ObjectMapper JSON = new ObjectMapper();

    public final Path root;
    public final Path targetDir;
    public final DirectoryBackupLocation location;
    public final ObjectNode index;
    public final Map<String, ObjectNode> manifests = new LinkedHashMap<>();
    public final Map<String, Path> targets = new LinkedHashMap<>();

    public VmLayoutFixture(Path dir) {
        this.root = dir.resolve("backup-location");
        this.targetDir = dir.resolve("targets");
        this.location = new DirectoryBackupLocation(root);
        index = JSON.createObjectNode();
        index.put("vmName", VM);
        index.put("namespace", NS);
        ArrayNode cps = index.putArray("checkpoints");
        for (int k = 1; k <= 4; k++) {
            String id = id(k);
            String vmb = String.format("vmb-%03d", k);
            String[] files = {vmb + "-disk0.qcow2", vmb + "-disk1.qcow2"};
            String[] pvcs = {PVC0, PVC1};
            String[] sizes = {"10Mi", "20Mi"};
            if (k == 2) {
                reverse(files);
                reverse(pvcs);
                reverse(sizes);
            }
            ObjectNode cp = cps.addObject();
            cp.put("id", id);
            cp.put("type", k == 1 ? "full" : "incremental");
            cp.put("timestamp", "2025-01-0" + k + "T10:00:00Z");
            cp.put("vmBackup", vmb);
            strings(cp.putArray("files"), files);
            strings(cp.putArray("pvcs"), pvcs);
            strings(cp.putArray("pvcSizes"), sizes);
            strings(cp.putArray("referencedBy"), k <= 3 ? new String[] {"bk-3", "bk-4"} : new String[] {"bk-4"});
            if (k > 1) {
                cp.put("parent", id(k - 1));
            }
            for (String f : files) {
                write(image(id, f), "dummy image " + id + "/" + f);
            }
        }
        manifest("bk-3", id(1), id(2), id(3));
        manifest("bk-4", id(1), id(2), id(3), id(4));
        targets.put(PVC0, targetDir.resolve("t0.raw"));
        targets.put(PVC1, targetDir.resolve("t1.raw"));
    }

    public static String id(int k) {
        return String.format("cp-%03d", k);
    }

    /** The image the fixture created for checkpoint k (1-based) and disk 0 or 1. */
    public Path image(int k, int disk) {
        return image(id(k), String.format("vmb-%03d-disk%d.qcow2", k, disk));
    }

    /** The files of a disk plan's images, oldest first. */
    public java.util.List<Path> paths(DiskPlan d) {
        return d.keys().stream().map(location::resolve).toList();
    }

    public Path image(String id, String file) {
        return root.resolve("checkpoints").resolve(NS).resolve(VM).resolve(id).resolve(file);
    }

    public Path indexFile() {
        return root.resolve("checkpoints").resolve(NS).resolve(VM).resolve("index.json");
    }

    public Path manifestFile(String backup) {
        return root.resolve("manifests").resolve(backup).resolve(VM + ".json");
    }

    public ObjectNode manifest(String backup, String... chain) {
        ObjectNode m = JSON.createObjectNode();
        m.put("namespace", NS);
        m.put("name", VM);
        strings(m.putArray("checkpointChain"), chain);
        manifests.put(backup, m);
        return m;
    }

    public ObjectNode checkpoint(String id) {
        for (var node : index.withArray("checkpoints")) {
            if (node.path("id").asText().equals(id)) {
                return (ObjectNode) node;
            }
        }
        throw new IllegalArgumentException("no checkpoint " + id + " in the fixture");
    }

    /** Replaces a list field of a checkpoint, e.g. {@code set("cp-002", "files", "a", "b")}. */
    public void set(String id, String field, String... values) {
        strings(checkpoint(id).putArray(field), values);
    }

    public void write() {
        write(indexFile(), index.toPrettyString());
        manifests.forEach((backup, m) -> write(manifestFile(backup), m.toPrettyString()));
    }

    public VmPlan plan(String backup) throws IOException {
        write();
        return VmRestorePlanner.plan(location, backup, NS, VM, targets);
    }

    public static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void strings(ArrayNode array, String... values) {
        for (String v : values) {
            array.add(v);
        }
    }

    private static void reverse(String[] a) {
        String t = a[0];
        a[0] = a[1];
        a[1] = t;
    }
}
