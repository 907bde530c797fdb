package io.qcow2j.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code qemu-io}, wrapped once for every test: guest writes into a qcow2 image the way qemu
 * makes them (allocation, copy-on-write, zero flags, subclusters, compression).
 *
 * <pre>{@code
 * QemuIo.on(img)
 *       .write(0, 65536, 0xaa)
 *       .writeZero(4096, 4096)
 *       .discard(131072, 65536)
 *       .writeCompressed(196608, 65536, 0x11)
 *       .run();
 * }</pre>
 *
 * <p>qemu runs the clusters of one compressed write spanning several clusters in parallel, so
 * their host order varies between runs (the guest contents do not); write one cluster per
 * command when the layout must be reproducible.
 */
public final class QemuIo {

    private QemuIo() {}

    /**
     * {@code qemu-io -f qcow2 -c CMD… img}, one {@code -c} per command, e.g.
     * {@code "write -P 0xaa 0 64k"}, {@code "write -z -u 0 4096"}, {@code "discard 0 65536"}.
     * The image must not name a backing file that cannot be opened.
     *
     * @return qemu-io's stdout
     * @throws Qemu.CommandFailedException when qemu-io exits non-zero or reports a failed command
     *     (qemu-io prints those on stdout and carries on with the next one)
     */
    public static String run(Path img, String... commands) throws IOException {
        if (commands.length == 0) {
            throw new IllegalArgumentException("no qemu-io commands");
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(img.toString());
        Qemu.Result r = Qemu.run(Qemu.DEFAULT_TIMEOUT, cmd);
        for (String line : r.stdout().split("\n")) {
            String l = line.toLowerCase(java.util.Locale.ROOT);
            if (l.contains(" failed") || l.startsWith("qemu-io:")) {
                throw new Qemu.CommandFailedException(
                        "qemu-io reported: " + line.strip() + "\ncommand: " + String.join(" ", cmd)
                                + "\nstdout: " + r.stdout().strip(), r);
            }
        }
        return r.stdout();
    }

    /** Starts collecting commands for {@code img}; nothing runs before {@link Builder#run()}. */
    public static Builder on(Path img) {
        return new Builder(img);
    }

    /** Collects qemu-io commands and runs them in one qemu-io process. */
    public static final class Builder {
        private final Path img;
        private final List<String> commands = new ArrayList<>();

        private Builder(Path img) {
            this.img = img;
        }

        /** {@code write -P pattern off len}: {@code len} bytes of {@code pattern} (0..255). */
        public Builder write(long off, long len, int pattern) {
            return command("write -P " + pattern(pattern) + " " + off + " " + len);
        }

        /** {@code write -z off len}: zeros; a v3 image keeps host clusters it already had. */
        public Builder writeZero(long off, long len) {
            return command("write -z " + off + " " + len);
        }

        /** {@code write -z -u off len}: zeros, host clusters may be freed. */
        public Builder writeZeroUnmap(long off, long len) {
            return command("write -z -u " + off + " " + len);
        }

        /** {@code discard off len}. */
        public Builder discard(long off, long len) {
            return command("discard " + off + " " + len);
        }

        /** {@code write -s patternFile off len}: the first {@code len} bytes of {@code patternFile}. */
        public Builder writeFile(long off, long len, Path patternFile) {
            return command("write -s " + patternFile.toAbsolutePath() + " " + off + " " + len);
        }

        /**
         * {@code write -c -P pattern off len}: compressed; {@code off} and {@code len} must be
         * cluster aligned (or {@code len} reach exactly the end of a disk whose size is not).
         */
        public Builder writeCompressed(long off, long len, int pattern) {
            return command("write -c -P " + pattern(pattern) + " " + off + " " + len);
        }

        /** {@code write -c -s patternFile off len}: compressed contents of a file. */
        public Builder writeCompressedFile(long off, long len, Path patternFile) {
            return command("write -c -s " + patternFile.toAbsolutePath() + " " + off + " " + len);
        }

        /** Any other qemu-io command, verbatim. */
        public Builder command(String command) {
            commands.add(command);
            return this;
        }

        /** The commands collected so far. */
        public List<String> commands() {
            return List.copyOf(commands);
        }

        /** Runs every collected command, in order, in one qemu-io process; returns its stdout. */
        public String run() throws IOException {
            return QemuIo.run(img, commands.toArray(String[]::new));
        }

        private static String pattern(int p) {
            if (p < 0 || p > 0xff) {
                throw new IllegalArgumentException("pattern byte out of range: " + p);
            }
            return String.format("0x%02x", p);
        }
    }
}
