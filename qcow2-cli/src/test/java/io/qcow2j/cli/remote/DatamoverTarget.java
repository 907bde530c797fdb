package io.qcow2j.cli.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One test's {@code datamover-restore} setting, whatever the store: a fresh layout of the shared
 * backups, a target directory, the controller's store-independent variables, and the assertions of
 * the command's contract.
 */
public class DatamoverTarget {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final BackupImages images;
    public final Path dir;
    public ControllerBackup layout;
    public Path targetDir;
    public Path target;

    public DatamoverTarget(BackupImages images, Path dir) throws IOException {
        this.images = images;
        this.dir = dir;
        layout = images.layout();
        targetDir = Files.createDirectories(dir.resolve("restore-data"));
        target = targetDir.resolve("disk.img");
    }

    /**
     * The downloader's environment as the controller sets it, but for the store's own variables:
     * every shared variable, many empty; none of the process's {@code AWS_}, {@code AZURE_} or
     * {@code KUBEVIRT_DM_} variables.
     */
    public Map<String, String> baseEnv(String provider, String bucket, String backup, String volume) {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_") && !k.startsWith("AZURE_") && !k.startsWith("KUBEVIRT_DM_")) {
                env.put(k, v);
            }
        });
        env.put("KUBEVIRT_DM_BSL_PROVIDER", provider);
        env.put("KUBEVIRT_DM_BSL_BUCKET", bucket);
        env.put("KUBEVIRT_DM_BSL_PREFIX", BackupImages.PREFIX);
        env.put("KUBEVIRT_DM_BSL_SERVICE_ACCOUNT", "");
        env.put("KUBEVIRT_DM_BSL_KMS_KEY_NAME", "");
        env.put("KUBEVIRT_DM_VM_NAME", layout.vm);
        env.put("KUBEVIRT_DM_VM_NAMESPACE", layout.ns);
        env.put("KUBEVIRT_DM_VELERO_BACKUP_NAME", backup);
        env.put("KUBEVIRT_DM_TARGET_VOLUME", volume);
        env.put("KUBEVIRT_DM_TARGET_PATH", target.toString());
        env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "false");
        env.put("KUBEVIRT_DM_SCRATCH_PATH", "/scratch");
        env.put("KUBEVIRT_DM_DATADOWNLOAD_NAME", "dd-1");
        env.put("KUBEVIRT_DM_DATADOWNLOAD_UID", "00000000-0000-0000-0000-000000000001");
        env.put("KUBEVIRT_DM_SUMMARY", "json"); // the assertions read the JSON summary or error object
        return env;
    }

    public static CliRun run(Map<String, String> env) {
        return CliRun.cli(env, "datamover-restore");
    }

    public JsonNode assertRestored(CliRun r, String backup, String volume) throws IOException {
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.lines("error:").isEmpty(), r.err());
        assertEquals(-1, Files.mismatch(images.oracle(backup, volume), target), "not the downloader's result");
        assertNoStagingFile();
        JsonNode summary = JSON.readTree(r.out());
        assertEquals("ok", summary.path("status").asText());
        return summary;
    }

    public void assertNoStagingFile() throws IOException {
        try (Stream<Path> s = Files.list(targetDir)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().contains(".tmp-")).toList();
            assertEquals(List.of(), left, "staging file left behind");
        }
    }

    /** The error contract, and nothing written: no target, no staging file. */
    public String assertRefused(CliRun r, int exit, String... fragments) throws IOException {
        assertEquals(exit, r.exit(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
        List<String> errors = r.lines("error: ");
        assertEquals(1, errors.size(), r.err());
        for (String f : fragments) {
            assertTrue(errors.get(0).contains(f), () -> "error line lacks \"" + f + "\": " + errors.get(0));
        }
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), r.err());
        assertEquals(exit, JSON.readTree(r.out()).path("exit").asInt(), "JSON error object on stdout: " + r.out());
        assertFalse(Files.exists(target), "target created although refused");
        assertNoStagingFile();
        return errors.get(0);
    }

    /**
     * {@code restore --json} of b3's rootdisk chain as objects ({@code scheme://container/<prefix>/<key>})
     * gives the downloader's disk at {@link #target}, and says it fetched bytes.
     */
    public void assertRestoresObjects(Map<String, String> env, String scheme, String container) throws IOException {
        List<String> args = new ArrayList<>(List.of("restore", "--json", "--output", target.toString()));
        for (String id : List.of("cp1", "cp2", "cp3")) {
            args.add(scheme + "://" + container + "/" + BackupImages.PREFIX + "/" + layout.key(id, "rootdisk"));
        }
        CliRun r = CliRun.cli(env, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(images.oracle("b3", "rootdisk"), target));
        assertTrue(JSON.readTree(r.out()).path("bytes-fetched").asLong() > 0, r.out());
    }

    /** {@code restore-vm} of b5's two disks from the location {@code locationFlags} name gives the downloader's disks. */
    public void assertRestoresVm(Map<String, String> env, String... locationFlags) throws IOException {
        Path root = dir.resolve("root.raw");
        Path data = dir.resolve("data.raw");
        List<String> args = new ArrayList<>(List.of("restore-vm", "--json"));
        args.addAll(List.of(locationFlags));
        args.addAll(List.of("--prefix", BackupImages.PREFIX, "--backup", "b5", "--namespace", layout.ns, "--vm",
                layout.vm, "--target", "rootdisk-pvc=" + root, "--target", "datadisk-pvc=" + data));
        CliRun r = CliRun.cli(env, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(images.oracle("b5", "rootdisk"), root));
        assertEquals(-1, Files.mismatch(images.oracle("b5", "datadisk"), data));
    }

    /** The length of a {@code bytes=a-b} range header; -1 for none. */
    public static long rangeLength(String range) {
        if (range == null || !range.startsWith("bytes=")) {
            return -1;
        }
        String[] p = range.substring(6).split("-");
        return Long.parseLong(p[1].trim()) - Long.parseLong(p[0].trim()) + 1;
    }

    /**
     * {@code env} with {@code variable} set to {@code value} (null: unset) is a usage error (exit 2)
     * saying {@code fragments}.
     */
    public void assertRefusedWith(Map<String, String> env, String variable, String value, String... fragments)
            throws IOException {
        Map<String, String> changed = new HashMap<>(env);
        if (value == null) {
            changed.remove(variable);
        } else {
            changed.put(variable, value);
        }
        assertRefused(run(changed), 2, fragments);
    }
}
