package io.qcow2j.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GcsLocationTest {
    @Test
    void parsesBucketAndObjectKeepingTheNameVerbatim() {
        GcsLocation l = GcsLocation.parse("gs://bk/pre/checkpoints/ns/vm/cp1/a b.qcow2");
        assertEquals("bk", l.bucket());
        assertEquals("pre/checkpoints/ns/vm/cp1/a b.qcow2", l.object());
        assertEquals("gs://bk/pre/checkpoints/ns/vm/cp1/a b.qcow2", l.toString());
        assertTrue(GcsLocation.isGcsUri("GS://x/y"));
        assertFalse(GcsLocation.isGcsUri("s3://x/y"));
    }

    @Test
    void refusesWhatNamesNoObject() {
        for (String bad : new String[] {"gs://", "gs://bk", "gs://bk/", "gs:///o", "gs://bk/dir/", "/local"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcsLocation.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void settingsRefuseAnEndpointThatIsNotHttp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GcsSettings.of(java.net.URI.create("ftp://h"), new GcsCredentials.None()));
        assertTrue(e.getMessage().contains("'ftp://h'"), e.getMessage());
    }
}
