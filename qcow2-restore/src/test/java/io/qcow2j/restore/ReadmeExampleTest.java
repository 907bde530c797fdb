package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.RefusedException;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example, compiled and run. {@link #example} holds the README's statements
 * with the two literals that name files on the reader's machine (the image list and the target
 * device) taken from its parameters instead; a test checks that the README's block still equals
 * it, so the README cannot drift from code that compiles and runs.
 */
class ReadmeExampleTest {
    /** The README's statement that the {@code images} parameter replaces. */
    private static final String README_IMAGES =
            "List<Path> images = List.of(Path.of(\"full.qcow2\"), Path.of(\"inc1.qcow2\"), Path.of(\"inc2.qcow2\"));";
    /** The README's target literal, which the {@code target} parameter replaces. */
    private static final String README_TARGET = "Path.of(\"/dev/vdb\")";
    private static final String EXAMPLE_SIGNATURE = "static void example(List<Path> images, Path target)";

    @TempDir
    Path dir;

    static void example(List<Path> images, Path target) throws IOException {
        RestoreOptions options = RestoreOptions.builder()
                .progress((done, total) -> System.err.printf("%d of %d bytes%n", done, total))
                .build();
        try {
            RestoreResult r = Restore.run(images, target, options);
            System.out.printf("restored %d bytes, digest %s%n", r.virtualSize(), r.digest());
        } catch (RefusedException e) {
            // nothing was written; e.resource(), e.structure() and e.offset() say where the problem is
        } catch (RestoreIncompleteException e) {
            // writing began: e.targetState() says what the target holds, e.guestOffset() where it stopped;
            // the cause is a SourceAccessException naming the image, or a WriteFailedException
        }
    }

    @Test
    void exampleRestoresTheSampleChain() throws IOException {
        Path target = dir.resolve("restored.raw");
        example(TestData.chain(), target);
        assertTrue(Files.isRegularFile(target), "the example wrote no target (it swallows the failure: run it alone)");
        assertEquals(TestData.chainSize(), Files.size(target));
        assertEquals(TestData.chainSha256(), Sha256.of(target));
    }

    @Test
    void readmeShowsTheExample() throws IOException {
        Path repo = TestData.root().getParent();
        String block = firstJavaBlock(Files.readString(repo.resolve("README.md"), StandardCharsets.UTF_8));
        String source = Files.readString(
                repo.resolve("qcow2-restore/src/test/java/io/qcow2j/restore/ReadmeExampleTest.java"),
                StandardCharsets.UTF_8);

        StringBuilder statements = new StringBuilder();
        for (String line : block.split("\n", -1)) {
            if (line.startsWith("import ")) {
                // every class the README imports must exist under that name
                String name = line.substring("import ".length()).replace(";", "").strip();
                assertDoesNotThrow(() -> {
                    Class.forName(name, false, ReadmeExampleTest.class.getClassLoader());
                }, "the README imports a class that does not exist: " + name);
            } else {
                statements.append(line).append('\n');
            }
        }
        String readme = statements.toString();
        assertEquals(1, occurrences(readme, README_IMAGES), "the README example's image list changed: " + README_IMAGES);
        assertEquals(1, occurrences(readme, README_TARGET), "the README example's target changed: " + README_TARGET);
        readme = readme.replace(README_IMAGES, "").replace(README_TARGET, "target");

        assertEquals(normalise(methodBody(source, EXAMPLE_SIGNATURE)), normalise(readme),
                "the README's ```java block and ReadmeExampleTest.example differ: change both");
    }

    /** The text between the first {@code ```java} line and the next {@code ```} line. */
    private static String firstJavaBlock(String markdown) {
        String text = markdown.replace("\r\n", "\n");
        int open = text.indexOf("\n```java\n");
        assertTrue(open >= 0, "README.md has no ```java block");
        int start = open + "\n```java\n".length();
        int end = text.indexOf("\n```", start - 1);
        assertTrue(end >= start, "README.md's ```java block is not closed");
        return text.substring(start, end);
    }

    /**
     * The text between the braces of the method declared by {@code signature}, found by matching
     * braces outside string and character literals and comments.
     */
    private static String methodBody(String source, String signature) {
        String text = source.replace("\r\n", "\n");
        int decl = text.indexOf(signature);
        while (decl > 0 && text.charAt(decl - 1) == '"') { // the constant naming it, not the declaration
            decl = text.indexOf(signature, decl + 1);
        }
        assertTrue(decl >= 0, "no " + signature + " in the test's source");
        int open = text.indexOf('{', decl);
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\'') { // a literal: skip to its closing quote
                for (i++; i < text.length() && text.charAt(i) != c; i++) {
                    if (text.charAt(i) == '\\') {
                        i++;
                    }
                }
            } else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '/') {
                i = text.indexOf('\n', i);
                if (i < 0) {
                    break;
                }
            } else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '*') {
                i = text.indexOf("*/", i + 2);
                if (i < 0) {
                    break;
                }
                i++;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return text.substring(open + 1, i);
            }
        }
        throw new AssertionError("unbalanced braces after " + signature);
    }

    private static String normalise(String code) {
        return code.replaceAll("\\s+", " ").strip();
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }
}
