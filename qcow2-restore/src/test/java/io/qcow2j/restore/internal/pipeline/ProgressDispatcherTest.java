package io.qcow2j.restore.internal.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Progress reaches the listener while the work runs, not only when it ends, and the last report is
 * the final count. Waits on the listener's own calls instead of on time, so a busy machine only
 * makes it slower.
 */
class ProgressDispatcherTest {

    @Test
    void reportsArriveBeforeCloseAndTheLastIsTheTotal() throws InterruptedException {
        List<Long> seen = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(1);
        ProgressDispatcher d = new ProgressDispatcher(v -> {
            seen.add(v);
            (v < 15 ? first : second).countDown();
        }, Executors.defaultThreadFactory());
        try {
            d.add(10);
            assertTrue(first.await(30, TimeUnit.SECONDS), "a report while the work runs");
            d.add(5);
            assertTrue(second.await(30, TimeUnit.SECONDS), "a second report while the work runs");
            d.add(7);
        } finally {
            d.close();
        }
        assertEquals(22, seen.get(seen.size() - 1), "close delivers the final count: " + seen);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) > seen.get(i - 1), "reports only grow: " + seen);
        }
        int n = seen.size();
        d.close(); // closing again delivers nothing new
        assertEquals(n, seen.size());
    }

    @Test
    void noListenerNoThreadAndTheCountStillAddsUp() {
        ProgressDispatcher d = new ProgressDispatcher(null, r -> {
            throw new AssertionError("no thread without a listener");
        });
        d.add(3);
        d.add(4);
        assertEquals(7, d.done());
        d.close();
    }
}
