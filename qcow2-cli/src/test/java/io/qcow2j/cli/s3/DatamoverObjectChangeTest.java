package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datamover-restore} from stores that do not protect a read from a replaced object: one that
 * ignores {@code If-Match} while an image is overwritten mid-restore (exit 4, the object named, no
 * disk), and one whose HEAD sends no ETag (a {@code warning:}, or exit 3 with
 * {@code KUBEVIRT_DM_REQUIRE_ETAG}).
 */
@RequiresQemu
class DatamoverObjectChangeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static S3Backups backups;
    static S3ProxyServer unsigned;

    @TempDir
    Path dir;
    DatamoverRun dm;
    FaultProxy proxy;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
        unsigned = S3ProxyServer.startWithoutAuthorization(); // the relay removes a signed header
    }

    @AfterAll
    static void stop() {
        unsigned.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        proxy.close();
    }

    @Test
    void anImageOverwrittenMidRestoreOnAStoreThatIgnoresIfMatch() throws IOException {
        String bucket = unsigned.createBucket();
        S3Backups.upload(unsigned, bucket, dm.layout);
        String key = S3Backups.PREFIX + "/" + dm.layout.key("cp1", "rootdisk");
        byte[] other = Files.readAllBytes(backups.chain("b5", "rootdisk").get(0));
        byte[] replaced = java.util.Arrays.copyOf(other, (int) Files.size(backups.chain("b3", "rootdisk").get(0)));
        proxy = FaultProxy.start(unsigned.endpoint()).stripRequestHeader("If-Match");
        // metadata reads are at most 256 KiB (the opening read-ahead, L2 tables): a larger GET is data
        proxy.onceBefore(r -> r.method().equals("GET") && r.target().contains(key.substring(key.lastIndexOf('/')))
                && rangeLength(r.header("Range")) > 256 << 10, () -> unsigned.putObject(bucket, key, replaced));
        CliRun r = DatamoverRun.run(dm.env(bucket, "b3", "rootdisk", proxy.endpoint()));
        String line = dm.assertRefused(r, 4, key, "changed since it was opened", "ETag");
        JsonNode error = JSON.readTree(r.out()).path("error");
        assertEquals("incomplete", error.path("kind").asText(), r.out());
        assertTrue(line.contains("data cluster at offset "), line);
    }

    @Test
    void aHeadWithoutETagIsAWarningOrRefusedWhenAsked() throws IOException {
        String bucket = backups.upload(dm.layout);
        proxy = FaultProxy.start(backups.server.endpoint()).stripResponseHeader("ETag");
        Map<String, String> env = dm.env(bucket, "b3", "rootdisk", proxy.endpoint());
        CliRun r = DatamoverRun.run(env);
        JsonNode summary = dm.assertRestored(r, "b3", "rootdisk");
        List<String> warnings = r.lines("warning: ");
        assertTrue(warnings.stream().anyMatch(w -> w.contains(dm.layout.key("cp1", "rootdisk"))
                && w.contains("no ETag")), r.err());
        assertTrue(summary.path("warnings").toString().contains("no ETag"), summary.toString());
        env.put("KUBEVIRT_DM_REQUIRE_ETAG", "true");
        Files.delete(dm.target);
        dm.assertRefused(DatamoverRun.run(env), 3, "no ETag", "refused as asked");
    }

    private static long rangeLength(String range) {
        if (range == null || !range.startsWith("bytes=")) {
            return -1;
        }
        String[] p = range.substring(6).split("-");
        try {
            return Long.parseLong(p[1].trim()) - Long.parseLong(p[0].trim()) + 1;
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("bad Range " + range));
        }
    }
}
