package io.qcow2j.cli;

import static io.qcow2j.cli.CliRun.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The top-level command: subcommands are built on demand, yet every one is reachable and listed. */
class MainTest {
    @Test
    void subcommandNamesMatchTheirAnnotations() {
        for (Map.Entry<String, Class<?>> e : Main.SUBCOMMANDS.entrySet()) {
            CommandLine.Command c = e.getValue().getAnnotation(CommandLine.Command.class);
            assertEquals(e.getKey(), c.name(), e.getValue().getName());
        }
    }

    @Test
    void usageListsEverySubcommandInOrder() {
        CliRun r = cli("--help");
        assertEquals(0, r.exit(), r.err());
        List<String> listed = new ArrayList<>();
        String commands = r.out().substring(r.out().indexOf("Commands:"));
        for (String line : commands.split("\\R")) {
            if (line.startsWith("  ") && !line.startsWith("   ")) { // a name, not a wrapped description
                listed.add(line.strip().split("\\s+")[0]);
            }
        }
        assertEquals(new ArrayList<>(Main.SUBCOMMANDS.keySet()), listed, r.out());
    }

    @Test
    void eachSubcommandRunsWhenNamedFirst() {
        for (String name : Main.SUBCOMMANDS.keySet()) {
            CliRun r = cli(name, "--help");
            assertEquals(0, r.exit(), name + ": " + r.err());
            assertTrue(r.out().contains("Usage: qcow2-restore " + name + " "), name + ": " + r.out());
        }
    }

    @Test
    void helpNamesAnySubcommand() {
        CliRun r = cli("help", "restore");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: qcow2-restore restore"), r.out());
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CliRun r = cli("restor", "x.qcow2");
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().startsWith("error: "), r.err());
    }

    /**
     * The commands sit below Main: exit codes come from ExitCode, so none refers back to the class
     * that dispatches to it (a constant's use leaves no trace in the class file: read the sources).
     */
    @Test
    void noCommandRefersToMain() throws IOException {
        Pattern use = Pattern.compile("\\bMain\\.[A-Za-z]|import io\\.qcow2j\\.cli\\.Main;");
        List<String> reaching = new ArrayList<>();
        try (Stream<Path> sources = Files.list(Path.of("src/main/java/io/qcow2j/cli"))) {
            for (Path p : sources.filter(p -> !p.getFileName().toString().equals("Main.java")).toList()) {
                if (use.matcher(Files.readString(p)).find()) {
                    reaching.add(p.getFileName().toString());
                }
            }
        }
        assertTrue(Files.exists(Path.of("src/main/java/io/qcow2j/cli/RestoreCommand.java")), "sources not found");
        assertEquals(List.of(), reaching);
    }
}
