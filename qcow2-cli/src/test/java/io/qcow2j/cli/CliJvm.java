package io.qcow2j.cli;

import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI ({@link Main} on the tests' class path) in a JVM of its own with extra JVM options: for
 * what one process cannot show twice (a native library that did not load stays unloaded) or a heap
 * smaller than the tests'.
 */
public final class CliJvm {
    private CliJvm() {
    }

    public static Shell.Result run(List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return Shell.run(cmd.toArray(String[]::new));
    }
}
