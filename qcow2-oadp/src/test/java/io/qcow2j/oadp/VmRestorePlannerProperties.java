package io.qcow2j.oadp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Whatever order each checkpoint lists its PVCs in, every disk gets its own images, oldest first,
 * and the newest checkpoint's size. jqwik has no {@code @TempDir}, so each try makes and removes its
 * own directory.
 */
class VmRestorePlannerProperties {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Property(tries = 200)
    void pairingFollowsPvcsWhateverTheOrder(@ForAll @IntRange(min = 1, max = 4) int disks,
                                            @ForAll @IntRange(min = 1, max = 5) int chainLength,
                                            @ForAll @IntRange(min = 0, max = 2) int laterCheckpoints,
                                            @ForAll long seed) throws IOException {
        Path dir = Files.createTempDirectory("oadp-prop");
        try {
            Random random = new Random(seed);
            // targets live beside the backup location, never inside it
            DirectoryBackupLocation layout = new DirectoryBackupLocation(dir.resolve("backup"));
            ObjectNode index = JSON.createObjectNode().put("vmName", "vm").put("namespace", "ns");
            ArrayNode cps = index.putArray("checkpoints");
            List<String> chain = new ArrayList<>();
            for (int k = 1; k <= chainLength + laterCheckpoints; k++) {
                String id = "cp-" + k;
                if (k <= chainLength) {
                    chain.add(id);
                }
                List<Integer> order = new ArrayList<>();
                for (int d = 0; d < disks; d++) {
                    order.add(d);
                }
                Collections.shuffle(order, random);
                ObjectNode cp = cps.addObject().put("id", id).put("type", k == 1 ? "full" : "incremental");
                if (k > 1) {
                    cp.put("parent", "cp-" + (k - 1));
                }
                ArrayNode files = cp.putArray("files");
                ArrayNode pvcs = cp.putArray("pvcs");
                ArrayNode sizes = cp.putArray("pvcSizes");
                for (int d : order) {
                    // file names deliberately unrelated to the PVC, so only the position pairs them
                    String file = "f" + random.nextInt(1_000_000) + "-" + d + ".qcow2";
                    files.add(file);
                    pvcs.add("pvc-" + d);
                    sizes.add((k * 10 + d) + "Mi");
                    VmLayoutFixture.write(layout.resolve(OadpLayout.checkpointKey("ns", "vm", id, file)), "pvc-" + d + "@" + id);
                }
            }
            List<com.fasterxml.jackson.databind.JsonNode> shuffled = new ArrayList<>();
            cps.forEach(shuffled::add);
            Collections.shuffle(shuffled, random); // the index's order must not matter either
            cps.removeAll();
            cps.addAll(shuffled);
            VmLayoutFixture.write(layout.resolve(OadpLayout.indexKey("ns", "vm")), index.toString());
            ObjectNode manifest = JSON.createObjectNode().put("namespace", "ns").put("name", "vm");
            chain.forEach(manifest.putArray("checkpointChain")::add);
            VmLayoutFixture.write(layout.resolve(OadpLayout.manifestKey("bk", "vm")), manifest.toString());

            Map<String, Path> targets = new LinkedHashMap<>();
            for (int d = 0; d < disks; d++) {
                targets.put("pvc-" + d, dir.resolve("target-" + d));
            }
            VmPlan plan = VmRestorePlanner.plan(layout, "bk", "ns", "vm", targets);

            assertEquals(disks, plan.disks().size());
            for (int d = 0; d < disks; d++) {
                DiskPlan disk = plan.disk("pvc-" + d).orElseThrow();
                assertEquals(chain, disk.checkpointIds());
                assertEquals(((chainLength * 10L + d)) << 20, disk.pvcSizeBytes());
                assertEquals(dir.resolve("target-" + d), disk.target());
                for (int k = 0; k < chainLength; k++) {
                    assertEquals("pvc-" + d + "@" + chain.get(k), Files.readString(layout.resolve(disk.images().get(k).key())));
                }
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
