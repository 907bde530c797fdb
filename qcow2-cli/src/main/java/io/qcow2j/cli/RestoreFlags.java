package io.qcow2j.cli;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.RestoreOptions;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options {@code restore} and {@code restore-vm} share, and the library options they mean. */
final class RestoreFlags {
    @Option(names = "--target-is-zero", description = "Promise that existing targets read as zeros: skip zero ranges.")
    boolean targetIsZero;
    @Option(names = "--verify", description = "Re-read the target(s) after the restore and compare digests.")
    boolean verify;
    @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|json|none",
            description = "Progress on stderr: a bar on a terminal (auto), JSON event lines (json), or none.")
    Progress.Mode progress;
    @Option(names = "--json", description = "Print the plan, the summary or the error as JSON on stdout.")
    boolean json;
    @Option(names = "--workers", paramLabel = "N",
            description = "Worker threads (default: one per core, at most 16; fewer when memory is short).")
    Integer workers;
    @Option(names = "--force-corrupt", description = "Restore images even if qemu marked them corrupt.")
    boolean forceCorrupt;
    @Option(names = "--direct", description = "Write the target with O_DIRECT, past the page cache (as qemu-img's -t none).")
    boolean direct;
    @Option(names = "--require-native",
            description = "Refuse, before writing, instead of warning when libc (through JNA) is unavailable.")
    boolean requireNative;
    @Option(names = "--allow-backing-base",
            description = "Accept a first image that stores a backing file name (a deliberate partial chain).")
    boolean allowBackingBase;

    RestoreOptions toOptions(CommandSpec spec) {
        RestoreOptions.Builder b = RestoreOptions.builder().targetIsZero(targetIsZero)
                .open(OpenOptions.defaults().withAllowCorrupt(forceCorrupt)).directIo(direct)
                .requireNative(requireNative).allowBackingBase(allowBackingBase);
        if (workers != null) {
            if (workers < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--workers must be at least 1, got " + workers);
            }
            b.workers(workers);
        }
        return b.build();
    }
}
