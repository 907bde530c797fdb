package io.qcow2j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs qemu-img and qemu-io for benchmark fixtures. The test suite has its own qemu wrappers in the
 * qcow2-core test-jar; benchmarks are main code and need only bulk generation (thousands of writes
 * per image through one qemu-io process), so this stays separate and tiny.
 */
final class Qemu {
    private Qemu() {
    }

    /** Fails with a clear message when qemu-img or qemu-io is not on the PATH. */
    static void require() {
        for (String tool : List.of("qemu-img", "qemu-io")) {
            try {
                Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    continue;
                }
            } catch (IOException e) {
                // fall through to the message below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(tool + " is needed to generate benchmark images and was not found "
                    + "(Debian: apt-get install qemu-utils)");
        }
    }

    /** Runs {@code qemu-img args...}, failing with its output when it does not exit 0. */
    static void img(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("qemu-img");
        cmd.addAll(List.of(args));
        run(cmd, null);
    }

    /**
     * Feeds {@code commands} to one qemu-io process on stdin (no per-write process and no command
     * line length limit). qemu-io exits 0 even when a command fails, so its output is checked too.
     */
    static void io(Path image, String format, List<String> commands) throws IOException {
        String script = String.join("\n", commands) + "\nquit\n";
        String out = run(List.of("qemu-io", "-f", format, image.toString()), script);
        for (String line : out.split("\n")) {
            if (line.contains("failed") || line.contains("error") || line.contains("Error")) {
                throw new IOException("qemu-io on " + image + ": " + line);
            }
        }
    }

    private static String run(List<String> cmd, String stdin) throws IOException {
        Path log = Files.createTempFile("qcow2j-bench-qemu", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                p.getOutputStream().close();
            }
            int rc = p.waitFor();
            String out = Files.readString(log);
            if (rc != 0) {
                throw new IOException(String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + "... exited "
                        + rc + ": " + out.strip());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + cmd.get(0), e);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
