package io.qcow2j.restore.hardening;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Sets the number of fuzz tries from {@code -Dqcow2j.fuzz.tries} (default {@value #DEFAULT}) and
 * prints how many tries ran and how fast, so a campaign's figure can be quoted.
 */
public final class FuzzTries implements AroundPropertyHook {
    /** Tries in the default (CI) run. */
    static final int DEFAULT = 10_000;
    static final String PROPERTY = "qcow2j.fuzz.tries";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property)
            throws Throwable {
        int tries = Integer.getInteger(PROPERTY, DEFAULT);
        context.attributes().setTries(tries);
        long start = System.nanoTime();
        PropertyExecutionResult result = property.execute();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fuzz: %s: %,d tries in %.1f s (%.0f tries/s), %s%n", context.extendedLabel(),
                result.countTries(), seconds, result.countTries() / seconds, result.status());
        if (result.status() == PropertyExecutionResult.Status.SUCCESSFUL && result.countTries() < tries) {
            return result.mapToFailed("only " + result.countTries() + " of " + tries + " tries ran");
        }
        return result;
    }
}
