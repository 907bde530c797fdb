package io.qcow2j.restore.hardening;

import static io.qcow2j.core.internal.format.Layout.COPIED;
import static io.qcow2j.core.internal.format.Layout.L2_COMPRESSED;
import static io.qcow2j.core.internal.format.Layout.L2_ZERO;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators of {@link FuzzCase}s: bit flips aimed mostly at metadata, field overwrites with
 * boundary values, truncations near structure boundaries, appended garbage.
 */
final class FuzzArbitraries {
    private FuzzArbitraries() {
    }

    static Arbitrary<FuzzCase> cases() {
        return Arbitraries.of(FuzzSubject.all()).flatMap(s -> {
            Arbitrary<Mutation> m = mutation(s);
            @SuppressWarnings("unchecked")
            Arbitrary<List<Mutation>> list = Arbitraries.frequencyOf(
                    Tuple.of(6, m.list().ofSize(1)),
                    Tuple.of(3, m.list().ofSize(2)),
                    Tuple.of(1, m.list().ofSize(3)));
            // mostly one worker: the failing guest offset is then deterministic and checkable
            Arbitrary<Integer> workers = Arbitraries.frequency(Tuple.of(3, 1), Tuple.of(1, 2));
            return Combinators.combine(list, workers)
                    .as((ms, w) -> new FuzzCase(s, ms, w));
        });
    }

    @SuppressWarnings("unchecked")
    static Arbitrary<Mutation> mutation(FuzzSubject s) {
        return Arbitraries.frequencyOf(
                Tuple.of(45, bitFlip(s.layout())),
                Tuple.of(35, overwrite(s)),
                Tuple.of(15, truncate(s.layout())),
                Tuple.of(5, append()));
    }

    // ---- bit flips ----------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Arbitrary<Mutation> bitFlip(ImageLayout l) {
        List<Tuple.Tuple2<Integer, Arbitrary<Mutation>>> choices = new ArrayList<>();
        addFlips(choices, 20, regions(l, r -> r.name().equals("header")));
        addFlips(choices, 10, regions(l, r -> r.name().startsWith("extension") || r.name().startsWith("backing")));
        addFlips(choices, 15, regions(l, r -> r.name().equals("L1 table")));
        addFlips(choices, 20, regions(l, r -> r.name().startsWith("L2 table")));
        addFlips(choices, 10, regions(l, r -> r.name().equals("refcount table")));
        addFlips(choices, 4, regions(l, r -> r.name().startsWith("refcount block")));
        addFlips(choices, 8, regions(l, r -> r.name().startsWith("data") || r.name().startsWith("compressed")));
        addFlips(choices, 10, clip(l, l.unusedRegions()));
        addFlips(choices, 3, List.of(new ImageLayout.Region("anywhere", 0, l.fileSize)));
        return Arbitraries.frequencyOf(choices.toArray(Tuple.Tuple2[]::new));
    }

    private static void addFlips(List<Tuple.Tuple2<Integer, Arbitrary<Mutation>>> out, int weight,
            List<ImageLayout.Region> regions) {
        if (regions.isEmpty()) {
            return;
        }
        Arbitrary<Mutation> a = Arbitraries.of(regions).flatMap(r -> Combinators.combine(
                Arbitraries.longs().between(r.start(), r.end() - 1), Arbitraries.integers().between(0, 7))
                .as((off, bit) -> (Mutation) new Mutation.BitFlip(off, bit, r.name())));
        out.add(Tuple.of(weight, a));
    }

    private static List<ImageLayout.Region> regions(ImageLayout l, Predicate<ImageLayout.Region> p) {
        return clip(l, l.regions.stream().filter(p).toList());
    }

    /** Regions cut to the file (a compressed range may end past it), empty ones dropped. */
    private static List<ImageLayout.Region> clip(ImageLayout l, List<ImageLayout.Region> rs) {
        List<ImageLayout.Region> out = new ArrayList<>();
        for (ImageLayout.Region r : rs) {
            long e = Math.min(r.end(), l.fileSize);
            if (e > r.start()) {
                out.add(new ImageLayout.Region(r.name(), r.start(), e));
            }
        }
        return out;
    }

    // ---- field overwrites ---------------------------------------------------------------------

    /** A value to write and why it is interesting. */
    record Candidate(long value, String label) {
    }

    @SuppressWarnings("unchecked")
    static Arbitrary<Mutation> overwrite(FuzzSubject s) {
        ImageLayout l = s.layout();
        List<Tuple.Tuple2<Integer, Arbitrary<Mutation>>> choices = new ArrayList<>();
        addOverwrites(choices, 50, s, f -> f.offset() < 112 && !f.name().startsWith("extension"));
        addOverwrites(choices, 8, s, f -> f.name().startsWith("extension"));
        addOverwrites(choices, 15, s, f -> f.name().startsWith("L1 entry"));
        addOverwrites(choices, 17, s, f -> f.name().startsWith("L2 "));
        addOverwrites(choices, 10, s, f -> f.name().startsWith("refcount table entry"));
        return Arbitraries.frequencyOf(choices.toArray(Tuple.Tuple2[]::new));
    }

    private static void addOverwrites(List<Tuple.Tuple2<Integer, Arbitrary<Mutation>>> out, int weight,
            FuzzSubject s, Predicate<ImageLayout.Field> p) {
        List<ImageLayout.Field> fields = s.layout().fields.stream().filter(p).toList();
        if (fields.isEmpty()) {
            return;
        }
        Arbitrary<Mutation> a = Arbitraries.of(fields).flatMap(f -> {
            long original = read(s.base(), f);
            List<Candidate> cs = candidates(s.layout(), f, original);
            Arbitrary<Candidate> fixed = Arbitraries.of(cs);
            Arbitrary<Candidate> bit = Arbitraries.integers().between(0, 8 * f.width() - 1)
                    .map(k -> new Candidate(original ^ (1L << k), "original with bit " + k + " flipped"));
            Arbitrary<Candidate> any = Arbitraries.longs().map(v -> new Candidate(v, "random"));
            @SuppressWarnings("unchecked")
            Arbitrary<Candidate> value = Arbitraries.frequencyOf(Tuple.of(7, fixed), Tuple.of(2, bit),
                    Tuple.of(1, any));
            return value.map(c -> (Mutation) new Mutation.Overwrite(f.name(), f.offset(), f.width(), c.value(),
                    c.label()));
        });
        out.add(Tuple.of(weight, a));
    }

    static long read(byte[] b, ImageLayout.Field f) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        return switch (f.width()) {
            case 1 -> b[(int) f.offset()] & 0xff;
            case 4 -> bb.getInt((int) f.offset()) & 0xffffffffL;
            default -> bb.getLong((int) f.offset());
        };
    }

    /** Boundary values, plus offsets of other structures, plus L2/L1 flag combinations. */
    static List<Candidate> candidates(ImageLayout l, ImageLayout.Field f, long original) {
        long cs = l.clusterSize;
        long n = l.fileSize;
        List<Candidate> c = new ArrayList<>(List.of(
                new Candidate(0, "0"), new Candidate(1, "1"), new Candidate(-1, "-1"),
                new Candidate(0x7fffffffL, "0x7fffffff"), new Candidate(0x80000000L, "0x80000000"),
                new Candidate(Long.MIN_VALUE, "2^63"), new Candidate(Long.MAX_VALUE, "2^63-1"),
                new Candidate(cs - 1, "cluster size - 1"), new Candidate(cs, "cluster size"),
                new Candidate(cs + 1, "cluster size + 1"), new Candidate(n - 1, "file size - 1"),
                new Candidate(n, "file size"), new Candidate(n + 1, "file size + 1"),
                new Candidate(original - 1, "original - 1"), new Candidate(original + 1, "original + 1"),
                new Candidate(2, "2"), new Candidate(3, "3"), new Candidate(4, "4"), new Candidate(7, "7"),
                new Candidate(8, "8"), new Candidate(9, "9"), new Candidate(21, "21"), new Candidate(22, "22"),
                new Candidate(64, "64"), new Candidate(104, "104"), new Candidate(112, "112"),
                new Candidate(1023, "1023"), new Candidate(1024, "1024"), new Candidate(65536, "65536"),
                new Candidate(65537, "65537"), new Candidate((32L << 20) / 8 + 1, "L1 limit + 1")));
        List<Long> structures = new ArrayList<>();
        for (ImageLayout.Region r : l.regions) {
            if (!r.name().startsWith("extension") && !r.name().equals("backing file name")) {
                structures.add(r.start());
            }
        }
        structures.add((n - 1) & ~(cs - 1));
        structures.add(n - cs);
        for (long off : structures.stream().distinct().limit(12).toList()) {
            c.add(new Candidate(off, "offset " + off + " of another structure"));
            if (f.width() == 8) {
                c.add(new Candidate(off | COPIED, "copied flag, offset " + off));
                c.add(new Candidate(off | L2_ZERO, "zero flag, offset " + off));
                c.add(new Candidate(off | L2_COMPRESSED, "compressed flag, offset bits " + off));
            }
        }
        if (f.width() == 8) {
            c.add(new Candidate(original | L2_COMPRESSED, "original with compressed flag"));
            c.add(new Candidate(original | L2_ZERO, "original with zero flag"));
            c.add(new Candidate(original & ~L2_COMPRESSED, "original without compressed flag"));
            c.add(new Candidate(original | 0x00ff_0000_0000_0000L, "original with high offset bits"));
            c.add(new Candidate(0xffffffff_00000000L | original, "original with the bitmap's zero half set"));
        }
        return c;
    }

    // ---- truncation and growth ----------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Arbitrary<Mutation> truncate(ImageLayout l) {
        long n = l.fileSize;
        List<Long> edges = new ArrayList<>();
        for (ImageLayout.Region r : l.regions) {
            for (long e : new long[] {r.start(), r.end()}) {
                for (long d : new long[] {-512, -8, -1, 0, 1, 8}) {
                    if (e + d >= 0 && e + d < n) {
                        edges.add(e + d);
                    }
                }
            }
        }
        edges.add(l.structuralEnd - 1);
        edges.removeIf(e -> e < 0 || e >= n);
        List<Tuple.Tuple2<Integer, Arbitrary<Mutation>>> choices = new ArrayList<>();
        choices.add(Tuple.of(3, Arbitraries.longs().between(0, n - 1).map(Mutation.Truncate::new)));
        if (!edges.isEmpty()) {
            choices.add(Tuple.of(4, Arbitraries.of(edges.stream().distinct().toList()).map(Mutation.Truncate::new)));
        }
        if (l.structuralEnd < n) { // only unused bytes are cut: must change nothing
            choices.add(Tuple.of(2, Arbitraries.longs().between(l.structuralEnd, n - 1).map(Mutation.Truncate::new)));
        }
        return Arbitraries.frequencyOf(choices.toArray(Tuple.Tuple2[]::new));
    }

    static Arbitrary<Mutation> append() {
        return Combinators.combine(Arbitraries.integers().between(1, 8192), Arbitraries.bytes())
                .as(Mutation.Append::new);
    }
}
