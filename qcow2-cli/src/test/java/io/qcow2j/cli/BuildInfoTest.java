package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code --version}: the version from the jar's manifest and the recorded commit, whatever is missing. */
class BuildInfoTest {
    @Test
    void versionAndCommitFromTheManifest() {
        assertEquals("qcow2-restore 0.2.0 (commit abc1234)", BuildInfo.versionLine("0.2.0", "abc1234"));
    }

    @Test
    void aBuildWithoutGitSaysUnknownCommit() {
        assertEquals("qcow2-restore 0.2.0 (unknown commit)", BuildInfo.versionLine("0.2.0", "unknown"));
        assertEquals("qcow2-restore 0.2.0 (unknown commit)", BuildInfo.versionLine("0.2.0", null));
    }

    @Test
    void classesWithoutAJarAreDev() {
        assertEquals("qcow2-restore dev (unknown commit)", BuildInfo.versionLine(null, null));
    }

    @Test
    void theVersionOptionPrintsIt() {
        StringWriter out = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--version");
        assertEquals(0, rc);
        // the tests run from classes, not the jar: no manifest, but the commit the build recorded
        String commit = BuildInfo.commit();
        assertEquals(commit == null || commit.equals("unknown") ? "qcow2-restore dev (unknown commit)"
                : "qcow2-restore dev (commit " + commit + ")", out.toString().strip());
    }
}
