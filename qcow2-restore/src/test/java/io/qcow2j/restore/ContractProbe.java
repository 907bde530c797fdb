package io.qcow2j.restore;

import io.qcow2j.core.RefusedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Restores {@code args[1..]} into {@code args[0]} and prints what it threw and whether that was a
 * refusal: {@link ErrorContractTest} runs it in a JVM lacking memory or a native library.
 */
public final class ContractProbe {
    private ContractProbe() {
    }

    public static void main(String[] args) {
        List<Path> images = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            images.add(Path.of(args[i]));
        }
        try {
            Restore.run(images, Path.of(args[0]), RestoreOptions.defaults());
            System.out.println("restored");
        } catch (Throwable t) {
            System.out.println(t.getClass().getName() + " refused=" + (t instanceof RefusedException) + " " + t.getMessage());
        }
    }
}
