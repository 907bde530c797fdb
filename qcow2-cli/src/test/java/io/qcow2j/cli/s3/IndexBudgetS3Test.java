package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.cli.Main;
import io.qcow2j.restore.Shell;
import io.qcow2j.oadp.OadpLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 33 MB checkpoint index in the bucket (under the 64 MiB cap), read by {@code datamover-restore}
 * in a JVM of its own with the 128 MiB heap of a 256 MiB pod: refused before its tree is built,
 * exit 3, naming the object, with the numbers; no target, no staging file. It ran out of heap
 * (exit 1, the object not named) before.
 */
class IndexBudgetS3Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    static S3Backups backups;

    @TempDir
    Path dir;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @Test
    void aThirtyThreeMegabyteIndexInTheBucketIsRefusedNamingIt() throws IOException {
        DatamoverRun dm = new DatamoverRun(backups, dir);
        String bucket = backups.upload(dm.layout);
        ObjectNode index = dm.layout.index.deepCopy();
        ArrayNode checkpoints = index.withArray("checkpoints");
        for (int i = 0; i < 175_000; i++) {
            ObjectNode c = checkpoints.addObject();
            c.put("id", String.format("pad-%06d", i));
            c.put("type", "incremental");
            c.put("parent", String.format("pad-%06d", i - 1));
            c.put("timestamp", "2026-11-30T10:00:00Z");
            c.put("vmBackup", "vmb-pad");
            c.putArray("files");
            c.putArray("pvcs").add("pvc-pad");
            c.putArray("pvcSizes").add("10Mi");
            c.putArray("referencedBy").add("b-pad");
        }
        byte[] big = index.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(big.length > 33_000_000 && big.length < OadpLayout.MAX_METADATA_BYTES, "size " + big.length);
        String key = S3Backups.PREFIX + "/" + OadpLayout.indexKey(dm.layout.ns, dm.layout.vm);
        backups.server.putObject(bucket, key, big);

        List<String> cmd = new ArrayList<>(List.of("env", "-i"));
        for (Map.Entry<String, String> e : dm.env(bucket, "b3").entrySet()) {
            cmd.add(e.getKey() + "=" + e.getValue());
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "datamover-restore"));
        Shell.Result r = Shell.run(cmd.toArray(String[]::new));

        assertEquals(3, r.code(), r.out() + r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        String object = "s3://" + bucket + "/" + key;
        assertTrue(errors.get(0).startsWith("error: " + object + ": not enough heap to parse this metadata: "
                + big.length + " bytes of JSON"), errors.get(0));
        assertTrue(errors.get(0).matches(".*need about [0-9.]+ MiB, [0-9.]+ MiB of the heap is free \\(maximum"
                + " [0-9.]+ MiB\\).*"), errors.get(0));
        JsonNode out = JSON.readTree(r.out());
        assertEquals(3, out.path("exit").asInt(), r.out());
        assertFalse(Files.exists(dm.target), "target created although refused");
        dm.assertNoStagingFile();
    }
}
