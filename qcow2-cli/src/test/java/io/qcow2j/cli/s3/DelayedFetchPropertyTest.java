package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random chains restored from S3Proxy through a relay that holds every request as a remote store's
 * round trip would, with a random request ceiling and worker count: the fetcher's reads run ahead
 * of the workers and merge across blocks, and still the bytes are qemu's (chained
 * {@code rebase -u} + {@code convert}) and the store never sees more requests at once than the
 * ceiling. Budget: about 30 s on 2 cores (a try is a few qemu processes and one restore).
 */
@RequiresQemu
class DelayedFetchPropertyTest {
    /** 7 blocks of 4 MiB, the last one partial: reads merge across blocks and batches. */
    private static final long SIZE = (27L << 20) + 12345 / 512 * 512;
    private static final Duration DELAY = Duration.ofMillis(5);
    private static final String BACKING = "/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img";

    /** One qemu-io write: a pattern byte over [offset, offset + length). */
    record Write(long offset, long length, int pattern) {
        String command() {
            long off = offset % SIZE;
            return "write -P " + (1 + pattern % 255) + " " + off + " " + Math.max(1, Math.min(length, SIZE - off));
        }
    }

    /** A chain (oldest first: each image's writes and cluster size) and how to restore it. */
    record Case(List<List<Write>> images, List<Integer> clusterBits, int maxRequests, int workers) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Write> write = Combinators.combine(Arbitraries.longs().between(0, SIZE - 1),
                Arbitraries.longs().between(1, 6L << 20), Arbitraries.integers().between(0, 254)).as(Write::new);
        Arbitrary<List<Write>> image = write.list().ofMinSize(1).ofMaxSize(8);
        return Arbitraries.integers().between(1, 4).flatMap(n -> Combinators.combine(image.list().ofSize(n),
                Arbitraries.of(12, 16, 18).list().ofSize(n), Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(1, 4)).as(Case::new));
    }

    @Property(tries = 8)
    void restoresQemusBytesWithinTheCeiling(@ForAll("cases") Case c) throws IOException {
        S3Backups backups = S3Backups.shared();
        Path dir = Files.createTempDirectory("qcow2j-delayed-fetch");
        try (FaultProxy proxy = FaultProxy.start(backups.server.endpoint()).delayRequests(DELAY)) {
            ControllerBackup backup = new ControllerBackup();
            List<Path> images = new ArrayList<>();
            String[] ids = new String[c.images().size()];
            for (int i = 0; i < ids.length; i++) {
                Path img = dir.resolve("img" + i + ".qcow2");
                QemuImg.create(img, SIZE, "cluster_size=" + (1 << c.clusterBits().get(i)));
                QemuIo.run(img, c.images().get(i).stream().map(Write::command).toArray(String[]::new));
                if (i > 0) { // as libvirt writes an incremental: with the in-pod backing file name
                    Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", BACKING, img.toString());
                }
                images.add(img);
                ids[i] = "cp" + i;
                backup.checkpoint(ids[i], i == 0 ? "full" : "incremental", i == 0 ? null : ids[i - 1],
                        Map.of("rootdisk", img));
            }
            backup.backup("b1", ids);
            String bucket = backups.server.createBucket();
            S3Backups.upload(backups.server, bucket, backup);
            Path out = dir.resolve("out.raw");
            CliRun r = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), "restore-vm", "--bucket", bucket, "--prefix",
                    S3Backups.PREFIX, "--max-requests", String.valueOf(c.maxRequests()), "--workers",
                    String.valueOf(c.workers()), "--backup", "b1", "--namespace", backup.ns, "--vm", backup.vm,
                    "--target", "rootdisk=" + out);
            assertEquals(0, r.exit(), r.err());
            Path oracle = dir.resolve("oracle.raw");
            QemuImg.oracleChained(oracle, images, dir.resolve("scratch"));
            assertEquals(-1, Files.mismatch(oracle, out), c.toString());
            assertTrue(proxy.maxRequestsInFlight() <= c.maxRequests(),
                    proxy.maxRequestsInFlight() + " requests in flight, ceiling " + c.maxRequests());
            assertTrue(proxy.maxRequestsInFlight() >= 1, "no request reached the store");
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
