package io.qcow2j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Builds the images of a {@link ChainSpec} with qemu-img and qemu-io (one qemu-io process per image). */
final class ChainBuilder {
    private static final int CHUNK = 1 << 20;
    private static final int PATTERNS = 16;

    private ChainBuilder() {
    }

    /** The chain's images, oldest first, built into {@code dir} unless it already holds them. */
    static List<Path> build(ChainSpec spec, FixtureDir dir) throws IOException {
        List<Path> images = paths(spec, dir.path());
        if (dir.isComplete(spec.signature())) {
            return images;
        }
        Qemu.require();
        dir.reset();
        Path d = dir.path();
        List<Path> random = patterns(d.resolve("random"), false, spec.seed());
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        long clusters = spec.virtualSize() / ChainSpec.CLUSTER;

        List<String> full = new ArrayList<>();
        boolean compressed = !"none".equals(spec.compression());
        List<Path> fullPatterns = compressed ? patterns(d.resolve("text"), true, spec.seed()) : random;
        for (long off = 0; off < spec.virtualSize(); off += CHUNK) {
            if (rnd.nextDouble() < spec.fullFraction()) {
                long len = Math.min(CHUNK, spec.virtualSize() - off);
                full.add("write -s " + fullPatterns.get(rnd.nextInt(PATTERNS)) + " " + off + " " + len);
            }
        }
        if (compressed) {
            Path raw = d.resolve("full.raw");
            Qemu.img("create", "-q", "-f", "raw", raw.toString(), Long.toString(spec.virtualSize()));
            Qemu.io(raw, "raw", full);
            Qemu.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
                    "cluster_size=" + ChainSpec.CLUSTER + ",compression_type=" + spec.compression(),
                    raw.toString(), images.get(0).toString());
            Files.delete(raw);
        } else {
            create(images.get(0), spec.virtualSize());
            Qemu.io(images.get(0), "qcow2", full);
        }

        long perImage = Math.max(1, Math.round(clusters * spec.changeFraction()));
        for (int i = 1; i < images.size(); i++) {
            List<String> cmds = new ArrayList<>();
            for (long changed = 0; changed < perImage; ) {
                int run = (int) Math.min(1 + rnd.nextInt(16), perImage - changed);
                long start = rnd.nextLong(Math.max(1, clusters - run)) * ChainSpec.CLUSTER;
                long len = (long) run * ChainSpec.CLUSTER;
                if (rnd.nextDouble() < spec.zeroShare()) {
                    cmds.add("write -z " + start + " " + len);
                } else {
                    cmds.add("write -s " + random.get(rnd.nextInt(PATTERNS)) + " " + start + " " + len);
                }
                changed += run;
            }
            create(images.get(i), spec.virtualSize());
            Qemu.io(images.get(i), "qcow2", cmds);
        }
        dir.markComplete(spec.signature());
        return images;
    }

    static List<Path> paths(ChainSpec spec, Path dir) {
        List<Path> images = new ArrayList<>();
        images.add(dir.resolve("full.qcow2"));
        for (int i = 1; i <= spec.incrementals(); i++) {
            images.add(dir.resolve(String.format("inc%03d.qcow2", i)));
        }
        return images;
    }

    static void create(Path image, long size) throws IOException {
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=" + ChainSpec.CLUSTER, image.toString(),
                Long.toString(size));
    }

    /**
     * {@value #PATTERNS} pattern files of 1 MiB for {@code qemu-io write -s} (which always reads a
     * file from its start), so neighbouring writes differ and a misplaced cluster shows.
     */
    static List<Path> patterns(Path dir, boolean text, long seed) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed ^ (text ? 0x7e47L : 0x5eedL));
        byte[] textData = text ? TextData.generate(CHUNK + PATTERNS * 4099, seed) : null;
        for (int i = 0; i < PATTERNS; i++) {
            byte[] b = new byte[CHUNK];
            if (text) {
                System.arraycopy(textData, i * 4099, b, 0, CHUNK);
            } else {
                rnd.nextBytes(b);
            }
            Path p = dir.resolve("p" + i);
            Files.write(p, b);
            out.add(p);
        }
        return out;
    }
}
