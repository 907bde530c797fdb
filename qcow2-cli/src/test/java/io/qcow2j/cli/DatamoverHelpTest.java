package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code datamover-restore --help} names every variable the command reads, each with its default. */
class DatamoverHelpTest {

    @Test
    void helpListsEveryVariableWithItsDefault() throws IllegalAccessException {
        CliRun r = CliRun.cli(Map.of(), "datamover-restore", "--help");
        assertEquals(0, r.exit(), r.err());
        List<String> names = new ArrayList<>();
        // every KUBEVIRT_DM_* name DatamoverEnvironment declares is read by the command
        for (Field f : DatamoverEnvironment.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                f.setAccessible(true);
                String v = (String) f.get(null);
                if (v.startsWith("KUBEVIRT_DM_") && !v.equals(DatamoverEnvironment.PREFIX)) {
                    names.add(v);
                }
            }
        }
        assertTrue(names.size() >= 22, names.toString());
        // and the standard ones the S3 settings read (qcow2-s3 AwsEnvironment), the launcher's, ours
        names.addAll(List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS",
                "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "QCOW2J_TERMINATION_LOG", "JAVA_OPTS"));
        for (String name : names) {
            List<String> lines = r.out().lines().filter(l -> l.startsWith("  " + name + " ")).toList();
            assertEquals(1, lines.size(), name + " in the help:\n" + r.out());
            assertTrue(lines.get(0).contains("(default: ") || lines.get(0).endsWith(" (required)"), lines.get(0));
        }
        assertTrue(r.out().contains("  KUBEVIRT_DM_TARGET_PATH (default: /restore-data/disk.raw)"), r.out());
        assertTrue(r.out().contains("  KUBEVIRT_DM_BSL_BUCKET (required)"), r.out());
    }
}
