package io.qcow2j.core;

import io.qcow2j.core.internal.PrintableText;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PrintableTextTest {

    @Test
    void controlCharactersAreEscapedAndNothingElse() {
        assertEquals("/x\\e[2J\\r\\nerror: forged\\x07", PrintableText.escape("/x\u001b[2J\r\nerror: forged\u0007"));
        assertEquals("tab\\x09 nul\\x00 del\\x7f c1\\x85 ls\\u2028 rlo\\u202e", PrintableText.escape(
                "tab\t nul\u0000 del\u007f c1\u0085 ls\u2028 rlo\u202e"));
        assertEquals("plain \\e is text, é ✓ 𝄞", PrintableText.escape("plain \\e is text, é ✓ 𝄞"));
        assertEquals("", PrintableText.escape(null));
    }

    @Test
    void storedNamesAreCutBeforeAWholeEscape() {
        String cut = PrintableText.name("/" + "\u001b".repeat(1000));
        assertEquals("/" + "\\e".repeat(127) + "…", cut);
        assertEquals("a".repeat(PrintableText.MAX_NAME), PrintableText.name("a".repeat(PrintableText.MAX_NAME)));
        assertEquals("a".repeat(255) + "…", PrintableText.name("a".repeat(255) + "𝄞")); // no half surrogate
    }

    @Test
    void messagesFoldTheirLineBreaks() {
        assertEquals("first line second\\e", PrintableText.message("first\r\n  line\nsecond\u001b\n", 100));
        assertEquals("abc…", PrintableText.message("abcdef", 3));
    }

    @Test
    void formatEscapesTextArgumentsOnly() {
        assertEquals("PVC a\\nb -> /t\\e (1,024 bytes) true%n".replace("%n", System.lineSeparator()),
                PrintableText.format("PVC %s -> %s (%,d bytes) %s%n", "a\nb", Path.of("/t\u001b"), 1024, true));
    }

    @Test
    void exceptionMessagesAreOneLine() {
        Qcow2Exception e = new Qcow2Exception("img\n.qcow2", "hea\rder", 7, "name '\u001b[2J'");
        assertEquals("img\\n.qcow2: hea\\rder at offset 7: name '\\e[2J'", e.getMessage());
        assertEquals("img\n.qcow2", e.resource(), "the resource itself is kept as it is");
    }
}
