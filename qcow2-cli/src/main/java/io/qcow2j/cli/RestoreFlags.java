package io.qcow2j.cli;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.RestoreOptions;
import picocli.CommandLine.Option;

/** The options {@code restore} and {@code restore-vm} share, and the library options they mean. */
final class RestoreFlags {
    @Option(names = "--target-is-zero", description = "Promise that existing targets read as zeros: skip zero ranges.")
    boolean targetIsZero;
    @Option(names = "--verify", description = "Re-read the target(s) after the restore and compare digests.")
    boolean verify;
    @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|json|none",
            description = "Progress on stderr: a bar on a terminal (auto), JSON lines (json), or none.")
    Progress.Mode progress;
    @Option(names = "--json", description = "Print the plan or summary as JSON on stdout.")
    boolean json;
    @Option(names = "--workers", paramLabel = "N", description = "Worker threads (default: number of cores).")
    Integer workers;
    @Option(names = "--force-corrupt", description = "Restore images even if qemu marked them corrupt.")
    boolean forceCorrupt;
    @Option(names = "--direct", description = "Write the target with O_DIRECT, past the page cache (as qemu-img's -t none).")
    boolean direct;

    RestoreOptions toOptions() {
        RestoreOptions.Builder b = RestoreOptions.builder().targetIsZero(targetIsZero)
                .open(OpenOptions.defaults().withAllowCorrupt(forceCorrupt)).directIo(direct);
        if (workers != null) {
            b.workers(Math.max(1, workers));
        }
        return b.build();
    }
}
