package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.jar.Attributes;
import org.junit.jupiter.api.Test;

/** {@code --version}: the version and the commit from the jar's manifest, whatever is missing. */
class BuildInfoTest {
    private static Attributes manifest(String version, String commit) {
        Attributes a = new Attributes();
        if (version != null) {
            a.put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        }
        if (commit != null) {
            a.putValue(BuildInfo.COMMIT_ATTRIBUTE, commit);
        }
        return a;
    }

    @Test
    void versionAndCommitFromTheManifest() {
        assertEquals("qcow2-restore 0.2.0 (commit abc1234)", BuildInfo.versionLine(manifest("0.2.0", "abc1234")));
    }

    @Test
    void aBuildWithoutGitSaysUnknownCommit() {
        assertEquals("qcow2-restore 0.2.0 (unknown commit)", BuildInfo.versionLine(manifest("0.2.0", "unknown")));
        assertEquals("qcow2-restore 0.2.0 (unknown commit)", BuildInfo.versionLine(manifest("0.2.0", null)));
        assertEquals("qcow2-restore 0.2.0 (unknown commit)", BuildInfo.versionLine(manifest("0.2.0", "${git.commit}")));
    }

    @Test
    void classesWithoutAJarAreDev() {
        assertEquals("qcow2-restore dev (unknown commit)", BuildInfo.versionLine(null));
    }

    @Test
    void theVersionOptionPrintsIt() {
        StringWriter out = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--version");
        assertEquals(0, rc);
        // the tests run from classes, not the jar: no manifest
        assertEquals("qcow2-restore dev (unknown commit)", out.toString().strip());
    }
}
