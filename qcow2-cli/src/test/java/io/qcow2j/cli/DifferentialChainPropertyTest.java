package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ModelChecks;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The differential suite (issue 3): random chains built by qemu-img/qemu-io — 1..40 links, cluster
 * sizes 512 B..2 MiB per image, v2 and v3, extended L2, a compressed full backup (zlib or zstd),
 * histories of writes, zero writes and discards at byte offsets, growing and sometimes shrinking
 * virtual sizes — restored by the library or the CLI, and compared byte for byte and by digest
 * with qemu's chained {@code rebase -u} + {@code convert}.
 *
 * <p>Budget: about 2 minutes on 2 cores. A try costs about 1.6 s of CPU, nearly all of it in the
 * ~3 qemu processes per link (create, qemu-io, the oracle's rebase), so chains are mostly short.
 * jqwik prints the try count ({@link #TRIES}) with statistics of what was generated.
 */
@RequiresQemu
class DifferentialChainPropertyTest {
    static final int TRIES = 70;
    private static final int MAX_SECTORS = 16384; // 8 MiB
    private static final int SOURCE_BYTES = 2 << 20;
    private static final int MAX_OP = SOURCE_BYTES;
    private static final RandomDistribution UNIFORM = RandomDistribution.uniform();

    /** How the full backup gets its data. */
    enum FullMode {
        /** qemu-img create, then the same kinds of writes as an incremental (plus compressed writes). */
        PLAIN,
        /** qemu-img convert -c from a random raw disk, zlib. */
        CONVERT_ZLIB,
        /** qemu-img convert -c from a random raw disk, zstd. */
        CONVERT_ZSTD
    }

    /** One qemu-io command; {@code kind} 0..5: write -P, write -s, write -z, write -z -u, discard, write -c. */
    record Op(int kind, long offset, long length, int pattern) {
        /**
         * The command for a disk of {@code size} bytes.
         *
         * @param compressed whole-cluster ranges already written compressed, or null when compressed
         *                   writes are not allowed (qemu refuses them over allocated clusters)
         */
        String command(long size, long clusterSize, Path[] sources, List<long[]> compressed) {
            long off = offset % size;
            long len = Math.max(1, Math.min(length, size - off));
            String p = String.format("0x%02x", 1 + pattern % 255);
            Path src = sources[pattern % sources.length];
            String plain = "write -s " + src + " " + off + " " + len;
            return switch (kind) {
                case 0 -> "write -P " + p + " " + off + " " + len;
                case 1 -> plain;
                case 2 -> "write -z " + off + " " + len;
                case 3 -> "write -z -u " + off + " " + len;
                case 4 -> "discard " + off + " " + len;
                default -> {
                    if (compressed == null) {
                        yield plain;
                    }
                    // whole clusters (or reaching exactly the end of the disk), never over allocated ones
                    long start = off / clusterSize * clusterSize;
                    long end = Math.min(size, (off + len + clusterSize - 1) / clusterSize * clusterSize);
                    end = Math.min(end, start + SOURCE_BYTES / clusterSize * clusterSize);
                    long s0 = start;
                    long e0 = end;
                    boolean overlaps = compressed.stream().anyMatch(r -> r[0] < e0 && s0 < r[1]);
                    if (end <= start || overlaps || (end < size && (end - start) % clusterSize != 0)) {
                        yield plain;
                    }
                    compressed.add(new long[] {start, end});
                    yield "write -c -s " + src + " " + start + " " + (end - start);
                }
            };
        }
    }

    /** One link: geometry and history. */
    record Link(int clusterBits, boolean v2, boolean extendedL2, boolean keepSize, int sizeSectors, List<Op> ops) {
    }

    /** A whole generated case. */
    record Case(FullMode fullMode, long seed, List<Link> links, boolean viaCli, int workers, int targetMode,
            boolean direct) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("Case[full=" + fullMode + ", seed=" + seed + ", cli=" + viaCli
                    + ", workers=" + workers + ", target=" + targetMode + ", direct=" + direct + "]");
            links.forEach(l -> b.append("\n  ").append(l));
            return b.toString();
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        // mostly small writes, so newer images punch holes into older clusters (partial overlaps)
        Arbitrary<Long> opLength = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.longs().between(1, 4096).withDistribution(UNIFORM)),
                Tuple.of(3, Arbitraries.longs().between(4097, 128 << 10).withDistribution(UNIFORM)),
                Tuple.of(1, Arbitraries.longs().between(1, MAX_OP).withDistribution(UNIFORM)));
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.longs().between(0, (long) MAX_SECTORS * 512 - 1).withDistribution(UNIFORM), opLength,
                Arbitraries.integers().between(0, 254)).as(Op::new);
        // jqwik biases numbers towards small values; disks of a few sectors would test little
        Arbitrary<Integer> sectors = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(1, 64)),
                Tuple.of(6, Arbitraries.integers().between(65, MAX_SECTORS).withDistribution(UNIFORM)));
        Arbitrary<Link> link = Combinators.combine(Arbitraries.integers().between(9, 21).withDistribution(UNIFORM),
                Arbitraries.of(false, true), Arbitraries.of(false, true), Arbitraries.of(true, true, true, false),
                sectors, op.list().ofMinSize(0).ofMaxSize(8)).as(Link::new);
        // short chains mostly (qemu runs ~3 commands per link), up to 40; the length is a separate number
        // (not a flatMap) so that both it and the links shrink
        Arbitrary<Integer> length = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.integers().between(1, 3)),
                Tuple.of(3, Arbitraries.integers().between(4, 10).withDistribution(UNIFORM)),
                Tuple.of(1, Arbitraries.integers().between(11, 40).withDistribution(UNIFORM)));
        Arbitrary<List<Link>> links = Combinators.combine(length, link.list().ofSize(40))
                .as((n, l) -> List.copyOf(l.subList(0, n)));
        Arbitrary<FullMode> full = Arbitraries.frequency(Tuple.of(1, FullMode.PLAIN), Tuple.of(2, FullMode.CONVERT_ZLIB),
                Tuple.of(2, FullMode.CONVERT_ZSTD));
        return Combinators.combine(full, Arbitraries.longs(), links,
                Arbitraries.of(false, false, true), Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, 2), Arbitraries.of(false, false, true)).as(Case::new);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void restoreEqualsQemusChainedRebaseAndConvert(@ForAll("cases") Case c) throws IOException {
        Path dir = Files.createTempDirectory("qcow2j-diff");
        try {
            Built built = build(c, dir);
            long size = built.sizes[built.sizes.length - 1];
            Statistics.label("compressed extents in the composed disk").collect(compressedCoverage(built.files));
            Statistics.label("links").collect(c.links.size() <= 3 ? "1-3" : c.links.size() <= 10 ? "4-10"
                    : c.links.size() <= 20 ? "11-20" : "21-40");
            Statistics.label("full").collect(c.fullMode);
            Statistics.label("via").collect(c.viaCli ? "cli" : "library");
            Statistics.label("writes").collect(c.direct ? "O_DIRECT" : "page cache");
            Statistics.label("target").collect(new String[] {"new", "garbage-larger", "garbage-smaller"}[c.targetMode]);
            Statistics.label("has extended L2 / v2 / compressed write / smaller middle").collect(
                    built.log.contains("extended_l2=on"), built.log.contains("compat=0.10"),
                    built.log.contains("write -c"), smallerMiddle(built.sizes));
            Path oracle = dir.resolve("oracle.raw");
            QemuImg.oracleChained(oracle, built.files, dir);
            byte[] expected = Files.readAllBytes(oracle);
            assertEquals(size, expected.length, "oracle size");

            Path target = dir.resolve("restored.raw");
            prepareTarget(target, c.targetMode, size, c.seed);
            String digest = c.viaCli ? restoreViaCli(built.files, target, c.workers, c.direct)
                    : Restore.run(built.files, target, RestoreOptions.builder().workers(c.workers)
                            .directIo(c.direct).build()).digest();
            byte[] actual = Files.readAllBytes(target);
            int bad = Arrays.mismatch(expected, actual);
            if (bad >= 0) {
                fail("restored disk differs from qemu's at guest offset " + bad + " (expected "
                        + (bad < expected.length ? expected[bad] : "end") + ", got "
                        + (bad < actual.length ? actual[bad] : "end") + "; sizes " + expected.length + " vs "
                        + actual.length + ")\nlink sizes " + Arrays.toString(built.sizes) + "\n" + built.log);
            }
            assertEquals(DiskDigest.of(oracle, size), digest, "restore digest vs the oracle's");
        } finally {
            ModelChecks.deleteTree(dir);
        }
    }

    private static boolean smallerMiddle(long[] sizes) {
        for (int i = 1; i < sizes.length - 1; i++) {
            if (sizes[i] < sizes[i - 1]) {
                return true;
            }
        }
        return false;
    }

    /** none, whole clusters only, or some starting inside a cluster (a newer image hides its head). */
    private static String compressedCoverage(List<Path> files) throws IOException {
        try (Chain chain = Chain.open(files, io.qcow2j.core.OpenOptions.defaults())) {
            List<ComposedExtent> compressed = ChainMap.of(chain.images()).extents().stream()
                    .filter(e -> e.kind() == io.qcow2j.core.Extent.Kind.COMPRESSED).toList();
            if (compressed.isEmpty()) {
                return "none";
            }
            return compressed.stream().anyMatch(e -> e.start() != e.extent().clusterGuestOffset()) ? "partial" : "whole";
        }
    }

    /** The qemu-built chain. */
    private record Built(List<Path> files, long[] sizes, String log) {
    }

    private static Built build(Case c, Path dir) throws IOException {
        Random rnd = new Random(c.seed);
        Path[] sources = new Path[3];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = dir.resolve("source-" + i);
            Files.write(sources[i], i == 0 ? randomBytes(rnd, SOURCE_BYTES) : compressibleBytes(rnd, SOURCE_BYTES));
        }
        List<Path> files = new ArrayList<>();
        long[] sizes = new long[c.links.size()];
        StringBuilder log = new StringBuilder();
        boolean longChain = c.links.size() > 10;
        for (int i = 0; i < c.links.size(); i++) {
            Link l = c.links.get(i);
            int cb = longChain ? Math.min(l.clusterBits, 19) : l.clusterBits; // 2 MiB clusters: short chains only
            boolean zstd = i == 0 && c.fullMode == FullMode.CONVERT_ZSTD;
            boolean v2 = l.v2 && !zstd;
            boolean ext = !v2 && l.extendedL2 && cb >= 14;
            long size = i > 0 && l.keepSize ? sizes[i - 1] : (long) l.sizeSectors * 512;
            sizes[i] = size;
            String opts = (v2 ? "compat=0.10," : "") + "cluster_size=" + (1L << cb) + (ext ? ",extended_l2=on" : "")
                    + (zstd ? ",compression_type=zstd" : "");
            Path img = dir.resolve(String.format("link-%02d.qcow2", i));
            if (i == 0 && c.fullMode != FullMode.PLAIN) {
                Path raw = dir.resolve("full-source.raw");
                Files.write(raw, mixedDisk(rnd, (int) size));
                QemuImg.convertToQcow2(raw, img, true, opts);
                Files.delete(raw);
            } else {
                QemuImg.create(img, size, opts);
            }
            List<String> cmds = new ArrayList<>();
            // a plain full takes its compressed writes first: qemu compresses only into unallocated clusters
            List<long[]> compressed = i == 0 && c.fullMode == FullMode.PLAIN ? new ArrayList<>() : null;
            List<Op> ops = new ArrayList<>(l.ops);
            ops.sort(java.util.Comparator.comparing(o -> compressed != null && o.kind() == 5 ? 0 : 1));
            for (Op op : ops) {
                cmds.add(op.command(size, 1L << cb, sources, compressed));
            }
            if (!cmds.isEmpty()) {
                QemuIo.run(img, cmds.toArray(String[]::new));
            }
            log.append(img.getFileName()).append(' ').append(opts).append(" size=").append(size)
                    .append(i == 0 ? " full=" + c.fullMode : "").append(' ').append(cmds).append('\n');
            files.add(img);
        }
        return new Built(files, sizes, log.toString());
    }

    /** Target modes: 0 a new file, 1 an existing file of garbage larger than the disk, 2 smaller. */
    private static void prepareTarget(Path target, int mode, long size, long seed) throws IOException {
        if (mode == 0) {
            return;
        }
        Random r = new Random(seed ^ 0x5eed);
        long n = mode == 1 ? size + 1 + r.nextInt(1 << 20) : r.nextInt((int) Math.max(1, size));
        Files.write(target, randomBytes(r, (int) n));
    }

    private static String restoreViaCli(List<Path> files, Path target, int workers, boolean direct) {
        List<String> args = new ArrayList<>(List.of("restore", "--output", target.toString(), "--progress=none",
                "--json", "--workers", Integer.toString(workers)));
        if (direct) {
            args.add("--direct");
        }
        files.forEach(f -> args.add(f.toString()));
        CliRun run = CliRun.cli(args);
        assertEquals(0, run.exit(), "CLI exit code; stderr: " + run.err());
        Matcher m = Pattern.compile("\"digest\"\\s*:\\s*\"xxh64-64k:([0-9a-f]{16})\"").matcher(run.out());
        if (!m.find()) {
            fail("no digest in the CLI's JSON summary: " + run.out());
        }
        return m.group(1);
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Position-dependent but compressible bytes (a 4-letter alphabet), so compressed writes stay compressed. */
    private static byte[] compressibleBytes(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ("ACGT".charAt(r.nextInt(4)));
        }
        return b;
    }

    /** A raw disk of zero runs, constant runs, compressible and incompressible runs. */
    private static byte[] mixedDisk(Random r, int size) {
        byte[] b = new byte[size];
        int pos = 0;
        while (pos < size) {
            int len = Math.min(size - pos, 512 * (1 + r.nextInt(512)));
            switch (r.nextInt(5)) {
                case 0, 1 -> { } // zeros: stay unallocated in the compressed image
                case 2 -> Arrays.fill(b, pos, pos + len, (byte) (1 + r.nextInt(255)));
                case 3 -> System.arraycopy(compressibleBytes(r, len), 0, b, pos, len);
                default -> System.arraycopy(randomBytes(r, len), 0, b, pos, len);
            }
            pos += len;
        }
        return b;
    }
}
