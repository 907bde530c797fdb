package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.oadp.ControllerBackup;
import java.util.List;
import java.util.function.Consumer;

/**
 * Text built to take over a terminal or a log (clear the screen, return to the line's start, forge
 * an {@code error:} line, ring), the ways it reaches a backup, and what the CLI's output must then
 * look like (docs/cli-contract.md: text from elsewhere is escaped).
 */
public final class HostileText {
    /** A value for a field of a backup's index. */
    public static final String FIELD = "x\r\nerror: forged\u001b[2J\u0007";
    /** {@link #FIELD} as the CLI must print it. */
    public static final String FIELD_ESCAPED = "x\\r\\nerror: forged\\e[2J\\x07";

    private HostileText() {
    }

    /** Each field of the controller's index that the layout checks quote, set to {@link #FIELD} in cp2. */
    public static List<Consumer<ControllerBackup>> indexBreaks() {
        return List.of(
                b -> b.entry("cp2").put("type", FIELD),
                b -> b.entry("cp2").put("parent", FIELD),
                b -> b.file("cp2", "rootdisk").put("filename", FIELD));
    }

    /** No control character on stdout or stderr but the line ends. */
    public static void assertPrintable(CliRun r) {
        for (String s : List.of(r.out(), r.err())) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean control = c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f;
                int at = i;
                assertFalse(control, () -> String.format("raw U+%04X at %d of: %s", (int) c, at, s));
            }
        }
    }

    /** Exactly one line mentions {@code error:}, it starts with it and quotes {@code fragment}. */
    public static void assertOneErrorLine(CliRun r, String fragment) {
        List<String> errors = r.err().lines().filter(l -> l.contains("error:")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).startsWith("error: ") && errors.get(0).contains(fragment), r.err());
    }
}
