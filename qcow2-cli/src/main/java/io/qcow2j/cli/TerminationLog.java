package io.qcow2j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The container's termination message: Kubernetes shows the file's content as the reason a pod
 * failed, and the datamover controller copies it into the DataDownload's status, where a bare
 * {@code Error} would otherwise be all an operator sees. Written only where the file exists and is
 * writable (a pod mounts it; elsewhere nothing is created).
 */
final class TerminationLog {
    /** Where Kubernetes reads it by default ({@code terminationMessagePath}). */
    static final String DEFAULT_PATH = "/dev/termination-log";
    /** Variable naming another file, for tests and for pods that set another terminationMessagePath. */
    static final String PATH_VARIABLE = "QCOW2J_TERMINATION_LOG";
    /** Kubernetes keeps at most 4096 bytes of it. */
    private static final int MAX_CHARS = 4000;

    private TerminationLog() {
    }

    static void write(Map<String, String> env, String message) {
        String configured = env.get(PATH_VARIABLE);
        Path path = Path.of(configured == null || configured.isBlank() ? DEFAULT_PATH : configured);
        if (!Files.isRegularFile(path) || !Files.isWritable(path)) {
            return;
        }
        String line = message.replaceAll("\\s+", " ").strip();
        if (line.length() > MAX_CHARS) {
            line = line.substring(0, MAX_CHARS) + "…";
        }
        try {
            Files.writeString(path, line + "\n", StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException ignored) {
            // the error line on stderr said it already; the pod log has it
        }
    }
}
