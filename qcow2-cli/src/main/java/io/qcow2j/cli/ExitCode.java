package io.qcow2j.cli;

/**
 * The process's exit codes (docs/cli-contract.md). Their own type so a command returns and
 * classifies its outcome without reaching up to {@link Main}, which only dispatches; {@code check}
 * uses qemu-img's codes instead ({@link io.qcow2j.core.check.CheckResult}).
 */
public final class ExitCode {
    /** Success; a restored target was forced to stable storage. */
    public static final int OK = 0;
    /** A bug, or the JVM ran out of memory: the target's state is unknown. */
    public static final int INTERNAL = 1;
    /** An unknown option, a missing or malformed argument or variable: nothing was touched. */
    public static final int USAGE = 2;
    /** Invalid input (image, chain, layout, object store, environment): the target is untouched. */
    public static final int INVALID = 3;
    /** An I/O or data error after writing began: the message says what is left at the target. */
    public static final int INCOMPLETE = 4;
    /** The target cannot take the disk: it is untouched. */
    public static final int INVALID_TARGET = 5;

    private ExitCode() {
    }
}
