package io.qcow2j.oadp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A backup location as the kubevirt-datamover controller writes it (its uploader's JSON, indented
 * like Go's {@code MarshalIndent}): per checkpoint {@code files} objects
 * {@code {filename, diskName, size, objectPath}}, the VM index holding every chain, and per backup
 * {@code manifests/<backup>/<ns>-<vm>.json} and {@code manifests/<backup>/index.json}. The JSON is
 * kept as mutable trees so a test can break one thing; images are local files (real qcow2 from
 * {@link DiskChain}, or dummies for planning tests), written to a directory or uploaded by a test.
 * Public so that the CLI's and object storage's tests build the same layouts.
 */
public final class ControllerBackup {
    public static final String NS = "vm-ns";
    public static final String VM = "vm1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final String ns;
    public final String vm;
    public final ObjectNode index;
    /** backup name to its per-VM manifest */
    public final Map<String, ObjectNode> manifests = new LinkedHashMap<>();
    /** key to the local file uploaded as that object */
    public final Map<String, Path> images = new LinkedHashMap<>();

    public ControllerBackup() {
        this(NS, VM);
    }

    public ControllerBackup(String ns, String vm) {
        this.ns = ns;
        this.vm = vm;
        index = JSON.createObjectNode().put("vmName", vm).put("namespace", ns);
        index.putArray("checkpoints");
        index.put("lastUpdated", "2026-11-30T10:00:00Z");
    }

    /** Adds a checkpoint with one image per disk ({@code diskName -> file}); returns its index entry. */
    public ObjectNode checkpoint(String id, String type, String parent, Map<String, Path> disks) throws IOException {
        String vmb = "vmb-" + id;
        ObjectNode cp = index.withArray("checkpoints").addObject();
        cp.put("id", id).put("type", type);
        if (parent != null) {
            cp.put("parent", parent); // omitempty: absent on a full backup
        }
        cp.put("timestamp", "2026-11-30T10:00:00Z").put("vmBackup", vmb);
        ArrayNode files = cp.putArray("files");
        ArrayNode pvcs = cp.putArray("pvcs");
        ArrayNode sizes = cp.putArray("pvcSizes");
        for (Map.Entry<String, Path> d : disks.entrySet()) {
            String filename = vmb + "-" + d.getKey() + ".qcow2";
            String key = OadpLayout.checkpointKey(ns, vm, id, filename);
            files.addObject().put("filename", filename).put("diskName", d.getKey())
                    .put("size", Files.size(d.getValue())).put("objectPath", key);
            pvcs.add(d.getKey() + "-pvc");
            sizes.add("1Gi");
            images.put(key, d.getValue());
        }
        cp.putArray("referencedBy");
        cp.put("vmbObjectPath", "checkpoints/" + ns + "/" + vm + "/" + id + "/vmb.json");
        cp.put("vmbtObjectPath", "checkpoints/" + ns + "/" + vm + "/" + id + "/vmbt.json");
        return cp;
    }

    /** A backup of {@code chain} (full first); its name goes into {@code referencedBy} of every checkpoint. */
    public ObjectNode backup(String name, String... chain) {
        ObjectNode m = JSON.createObjectNode().put("namespace", ns).put("name", vm);
        ArrayNode ids = m.putArray("checkpointChain");
        for (String id : chain) {
            ids.add(id);
            index.withArray("checkpoints").forEach(n -> {
                if (n.path("id").asText().equals(id)) {
                    ((ObjectNode) n).withArray("referencedBy").add(name);
                }
            });
        }
        m.put("backupName", name).put("timestamp", "2026-11-30T10:00:00Z");
        manifests.put(name, m);
        return m;
    }

    /** The index entry of checkpoint {@code id}. */
    public ObjectNode entry(String id) {
        for (var n : index.withArray("checkpoints")) {
            if (n.path("id").asText().equals(id)) {
                return (ObjectNode) n;
            }
        }
        throw new IllegalArgumentException("no checkpoint " + id);
    }

    /** The {@code files[]} object of {@code disk} in checkpoint {@code id}. */
    public ObjectNode file(String id, String disk) {
        for (var n : entry(id).withArray("files")) {
            if (n.path("diskName").asText().equals(disk)) {
                return (ObjectNode) n;
            }
        }
        throw new IllegalArgumentException("no file of " + disk + " in " + id);
    }

    /** The key of the image of {@code disk} in checkpoint {@code id}. */
    public String key(String id, String disk) {
        return file(id, disk).path("objectPath").asText();
    }

    /** The metadata objects by key: the VM index, and per backup its manifests. */
    public Map<String, byte[]> metadata() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(OadpLayout.indexKey(ns, vm), bytes(index));
        manifests.forEach((backup, m) -> {
            String key = OadpLayout.controllerManifestKey(backup, ns, vm);
            out.put(key, bytes(m));
            ObjectNode bi = JSON.createObjectNode().put("backupName", backup).put("timestamp", "2026-11-30T10:00:00Z");
            ArrayNode chain = m.withArray("checkpointChain");
            bi.putArray("vms").addObject().put("name", vm).put("namespace", ns)
                    .put("checkpointId", chain.isEmpty() ? "" : chain.get(chain.size() - 1).path("id").asText(
                            chain.get(chain.size() - 1).asText()))
                    .put("manifestPath", key);
            out.put("manifests/" + backup + "/index.json", bytes(bi));
        });
        return out;
    }

    /** Writes the layout under {@code root}: metadata and copies of the images. */
    public DirectoryBackupLocation writeTo(Path root) throws IOException {
        DirectoryBackupLocation location = new DirectoryBackupLocation(root);
        for (Map.Entry<String, byte[]> e : metadata().entrySet()) {
            Files.createDirectories(location.resolve(e.getKey()).getParent());
            Files.write(location.resolve(e.getKey()), e.getValue());
        }
        for (Map.Entry<String, Path> e : images.entrySet()) {
            Path p = location.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.copy(e.getValue(), p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return location;
    }

    private static byte[] bytes(ObjectNode n) {
        return n.toPrettyString().getBytes(StandardCharsets.UTF_8);
    }

    /** A file of {@code text}, standing in for an image where only planning happens. */
    public static Path dummy(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), "dummy image " + name);
    }

    /**
     * One disk's chain of standalone qcow2 files, made like KubeVirt push-mode backups: a full
     * image, then incrementals holding the changed clusters, each storing libvirt's backing file
     * name (the live disk's in-pod path, which nothing may open). Writes use a distinct byte
     * pattern per image and write, so misplaced data shows in a comparison.
     */
    public static final class DiskChain {
        private final Path dir;
        private final String disk;
        private final long size;
        private final int cluster;
        private final List<Path> images = new ArrayList<>();

        public DiskChain(Path dir, String disk, long size, int cluster) {
            this.dir = dir;
            this.disk = disk;
            this.size = size;
            this.cluster = cluster;
        }

        /** {@code writes}: triples {@code kind (0 data, 1 zero), offset, length}. */
        public Path full(long[]... writes) throws IOException {
            return image(false, writes);
        }

        public Path incremental(long[]... writes) throws IOException {
            return image(true, writes);
        }

        public static long[] data(long offset, long length) {
            return new long[] {0, offset, length};
        }

        public static long[] zero(long offset, long length) {
            return new long[] {1, offset, length};
        }

        public List<Path> images() {
            return List.copyOf(images);
        }

        /** The in-pod path libvirt stores as the backing file of an incremental. */
        public String backingName() {
            return "/var/run/kubevirt-private/vmi-disks/" + disk + "/disk.img";
        }

        private Path image(boolean incremental, long[][] writes) throws IOException {
            Files.createDirectories(dir);
            Path img = dir.resolve(disk + "-" + images.size() + ".qcow2");
            QemuImg.create(img, size, "cluster_size=" + cluster);
            if (writes.length > 0) {
                QemuIo.Builder io = QemuIo.on(img);
                for (int i = 0; i < writes.length; i++) {
                    long[] w = writes[i];
                    if (w[0] == 0) {
                        io.write(w[1], w[2], 1 + Math.floorMod(images.size() * 31 + i * 7 + disk.hashCode(), 250));
                    } else {
                        io.writeZero(w[1], w[2]);
                    }
                }
                io.run();
            }
            if (incremental) {
                Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", backingName(), img.toString());
            }
            images.add(img);
            return img;
        }
    }
}
