package io.qcow2j.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code qemu-img}, wrapped once for every test.
 *
 * <p>Reading commands ({@link #convertToRaw}, {@link #mapJson}) open the image with
 * {@code backing: null} ({@link #openSpec}), so a backing file name stored in a header is never
 * followed, the same rule as the reader under test. Only the chain oracles follow backing files,
 * and only on copies they made and rebased themselves.
 */
public final class QemuImg {

    private QemuImg() {}

    /**
     * {@code qemu-img create -f qcow2 [-o opts] img size}.
     *
     * @param opts qcow2 creation options, e.g.
     *     {@code "compat=0.10,cluster_size=4096"} or {@code "extended_l2=on,compression_type=zstd"};
     *     null or empty for qemu's defaults (v3, 64 KiB clusters, zlib)
     */
    public static void create(Path img, long size, String opts) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        if (opts != null && !opts.isEmpty()) {
            cmd.add("-o");
            cmd.add(opts);
        }
        cmd.add(img.toString());
        cmd.add(Long.toString(size));
        Qemu.run(Qemu.DEFAULT_TIMEOUT, cmd);
    }

    /** The image alone as a raw disk (backing file names are not followed). Overwrites {@code raw}. */
    public static void convertToRaw(Path img, Path raw) throws IOException {
        Qemu.run("qemu-img", "convert", "-q", "-O", "raw", openSpec(img), raw.toString());
    }

    /**
     * {@code qemu-img convert -f raw -O qcow2 [-c] [-o opts] raw img}.
     *
     * @param compress write every cluster compressed (qemu stores a cluster uncompressed when
     *     compression would not shrink it; zero clusters stay unallocated)
     * @param opts qcow2 creation options, as for {@link #create}; null or empty for defaults
     */
    public static void convertToQcow2(Path raw, Path img, boolean compress, String opts) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2"));
        if (compress) {
            cmd.add("-c");
        }
        if (opts != null && !opts.isEmpty()) {
            cmd.add("-o");
            cmd.add(opts);
        }
        cmd.add(raw.toString());
        cmd.add(img.toString());
        Qemu.run(Qemu.DEFAULT_TIMEOUT, cmd);
    }

    /** {@code qemu-img map --output=json} of the image alone, as qemu prints it. */
    public static String mapJson(Path img) throws IOException {
        return Qemu.run("qemu-img", "map", "--output=json", openSpec(img));
    }

    /**
     * {@code qemu-img info -f qcow2 --output=json}, as qemu prints it (it includes "filename",
     * "actual-size" and, with a backing name, "full-backing-filename"; the committed
     * {@code expected/*.info.json} files have those three removed).
     */
    public static String infoJson(Path img) throws IOException {
        return Qemu.run("qemu-img", "info", "-f", "qcow2", "--output=json", img.toString());
    }

    /** {@code qemu-img check} of the image alone: throws when qemu finds corruption or leaks. */
    public static void check(Path img) throws IOException {
        Qemu.run("qemu-img", "check", "-q", openSpec(img));
    }

    /**
     * {@code qemu-img rebase -u -f qcow2 -F qcow2 -b parent child}: rewrites only {@code child}'s
     * header. {@code parent} is stored as its absolute path.
     */
    public static void rebaseUnsafe(Path child, Path parent) throws IOException {
        Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2",
                "-b", parent.toAbsolutePath().toString(), child.toString());
    }

    /** {@code qemu-img rebase -u -f qcow2 -b "" img}: removes the backing file name from the header. */
    public static void removeBacking(Path img) throws IOException {
        Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "", img.toString());
    }

    /**
     * The correct restore of a chain, by qemu: copies of {@code images} (oldest first) are made in
     * a new folder under {@code scratchDir}, each copy is rebased (unsafe) onto the copy before it,
     * the oldest copy loses any backing name it had, and the newest is converted to
     * {@code outRaw}. The given files are never modified; the copies are deleted afterwards.
     */
    public static void oracleChained(Path outRaw, List<Path> images, Path scratchDir) throws IOException {
        oracle(outRaw, images, scratchDir, false);
    }

    /**
     * The wrong workflow, for tests that must tell the two apart: every incremental is rebased
     * onto the full image (the oldest), so only the full and the newest image count. Same
     * copying rules as {@link #oracleChained}.
     */
    public static void oracleFlat(Path outRaw, List<Path> images, Path scratchDir) throws IOException {
        oracle(outRaw, images, scratchDir, true);
    }

    private static void oracle(Path outRaw, List<Path> images, Path scratchDir, boolean flat) throws IOException {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images");
        }
        Files.createDirectories(scratchDir);
        Path dir = Files.createTempDirectory(scratchDir, flat ? "oracle-flat-" : "oracle-chained-");
        try {
            List<Path> copies = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                Path copy = dir.resolve(String.format("link-%03d.qcow2", i));
                Files.copy(images.get(i), copy);
                copies.add(copy);
            }
            removeBacking(copies.get(0));
            for (int i = 1; i < copies.size(); i++) {
                rebaseUnsafe(copies.get(i), copies.get(flat ? 0 : i - 1));
            }
            Qemu.run("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw",
                    copies.get(copies.size() - 1).toString(), outRaw.toString());
        } finally {
            deleteRecursively(dir);
        }
    }

    /**
     * A {@code json:} filename that opens {@code img} as qcow2 with {@code backing: null}: qemu
     * reads the image alone, whatever backing name its header stores.
     */
    public static String openSpec(Path img) {
        return "json:{\"driver\":\"qcow2\",\"backing\":null,\"file\":{\"driver\":\"file\",\"filename\":\""
                + jsonEscape(img.toAbsolutePath().toString()) + "\"}}";
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
