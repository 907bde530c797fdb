package io.qcow2j.oadp;

import io.qcow2j.oadp.internal.KubeQuantity;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KubeQuantityTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "10Gi, 10737418240",
            "512Mi, 536870912",
            "1G, 1000000000",
            "1.5Gi, 1610612736",
            "100, 100",
            "0, 0",
            "+5, 5",
            "1e3, 1000",
            "1E6, 1000000",
            "1e+3, 1000",
            "25e-1, 3",
            "1.5e3, 1500",
            "0.5Ki, 512",
            "1m, 1",
            "1000m, 1",
            "1001m, 2",
            "0.1, 1",
            ".5Ki, 512",
            "2., 2",
            "1k, 1000",
            "1M, 1000000",
            "1T, 1000000000000",
            "1P, 1000000000000000",
            "1E, 1000000000000000000",
            "1Ki, 1024",
            "1Ti, 1099511627776",
            "1Pi, 1125899906842624",
            "1Ei, 1152921504606846976",
            "7Ei, 8070450532247928832",
            "9223372036854775807, 9223372036854775807",
            "0e999999999, 0",
            "1e-999999999, 1",
            "0010Mi, 10485760",
    })
    void parses(String text, long bytes) {
        assertEquals(bytes, KubeQuantity.parseBytes(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", " 10Gi", "10Gi ", "10 Gi", "-1", "-10Mi", "10gi", "10GI", "10K", "10KiB", "Gi",
            "1.2.3", ".", "e3", "1e", "1e3.5", "1ee3", "0x10", "1_000", "1,5Gi", "٣", "10Mi\n", "NaN", "Infinity",
            "8Ei", "9223372036854775808", "1e19", "10E", "1e999999999", "99999999999999999999999Ki"})
    void refuses(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes(text));
        assertTrue(e.getMessage().contains("invalid quantity"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void messageNamesTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KubeQuantity.parseBytes("ten megs"));
        assertTrue(e.getMessage().contains("\"ten megs\""), e.getMessage());
    }

    @Test
    void negativeIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes("-1Gi"));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @Test
    void overflowIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes("8Ei"));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void nullRefused() {
        assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes(null));
    }

    @Test
    void hugeInputIsRefusedQuicklyWithShortMessage() {
        String huge = "1".repeat(1_000_000) + "x";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes(huge));
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }
}
