package io.qcow2j.cli;

import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.oadp.VerifyOptions;
import io.qcow2j.oadp.VerifyScope;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** What {@code verify-backup} and {@code datamover-verify} check and how they print it. */
final class VerifyFlags {
    @Option(names = "--backup", paramLabel = "NAME", description = "Verify this backup only (default: every backup).")
    String backup;
    @Option(names = "--namespace", paramLabel = "NS", description = "Only the VMs of this namespace.")
    String namespace;
    @Option(names = "--vm", paramLabel = "NAME", description = "Only this VM (needs --namespace).")
    String vm;
    @Option(names = "--disk", paramLabel = "PVC", description = "Only this disk of the VM, by PVC or volume name.")
    String disk;
    @Option(names = "--deep", description = "Also read and inflate every winning cluster and print the digest a"
            + " restore will report (reads the data; writes nothing).")
    boolean deep;
    @Option(names = "--json", description = "Print the report as JSON on stdout.")
    boolean json;
    @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|json|none",
            description = "Progress on stderr: a line per disk on a terminal (auto), JSON event lines, or none.")
    Progress.Mode progress;
    @Option(names = "--workers", paramLabel = "N", description = "Worker threads of --deep (default: as a restore).")
    Integer workers;

    /** The scope; a narrower scope without the wider one it needs is a usage error. */
    VerifyScope scope(CommandSpec spec) {
        try {
            return new VerifyScope(backup, namespace, vm, disk);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
                    + " (--vm needs --namespace, --disk needs --vm)", e);
        }
    }

    VerifyOptions options(CommandSpec spec, VerifyOptions.Listener listener) {
        RestoreOptions.Builder b = RestoreOptions.builder();
        if (workers != null) {
            if (workers < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--workers must be at least 1, got "
                        + workers);
            }
            b.workers(workers);
        }
        return VerifyOptions.metadata().withDeep(deep).withRestore(b.build()).withListener(listener);
    }
}
