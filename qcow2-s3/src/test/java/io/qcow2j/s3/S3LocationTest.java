package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class S3LocationTest {

    @Test
    void parsesBucketAndKeyAndPrintsTheUri() {
        S3Location l = S3Location.parse("s3://backups/checkpoints/ns/vm/cp1/vmb-disk0.qcow2");
        assertEquals("backups", l.bucket());
        assertEquals("checkpoints/ns/vm/cp1/vmb-disk0.qcow2", l.key());
        assertEquals("s3://backups/checkpoints/ns/vm/cp1/vmb-disk0.qcow2", l.toString());
        assertEquals(l, S3Location.parse(l.toString()));
    }

    @Test
    void keepsTheKeyVerbatim() {
        assertEquals("a//b/./c d", S3Location.parse("s3://b/a//b/./c d").key());
        assertEquals("k", S3Location.parse("S3://b/k").key());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/tmp/disk.qcow2|not an s3:// URI",
        "https://b/k|not an s3:// URI",
        "s3://bucket|names no object",
        "s3:///key|no bucket name",
        "s3://bucket/|names a prefix",
        "s3://bucket/dir/|names a prefix",
    })
    void refusesMalformedUrisSayingWhy(String uri, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> S3Location.parse(uri));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertTrue(e.getMessage().contains(uri), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b"})
    void refusesBadBucketNames(String bucket) {
        assertThrows(IllegalArgumentException.class, () -> new S3Location(bucket, "k"));
    }

    @Test
    void tellsUrisFromPaths() {
        assertTrue(S3Location.isS3Uri("s3://b/k"));
        assertFalse(S3Location.isS3Uri("./s3:/b/k"));
        assertFalse(S3Location.isS3Uri(null));
        assertEquals(new S3Location("b", "other"), S3Location.parse("s3://b/k").withKey("other"));
    }
}
