package io.qcow2j.cli;

import picocli.CommandLine.Option;

/** {@code --debug}: print stack traces (Main reads it before parsing). */
final class DebugOption {
    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean debug;
}
