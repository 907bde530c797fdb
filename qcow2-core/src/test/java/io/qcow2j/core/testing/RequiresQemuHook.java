package io.qcow2j.core.testing;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * jqwik's side of {@link RequiresQemu}: skips a property or container, with
 * {@link Qemu#unavailableReason()} as the reason, when qemu-img or qemu-io is not installed.
 *
 * <pre>{@code
 * @AddLifecycleHook(RequiresQemuHook.class)   // or simply @RequiresQemu
 * class ChainProperties { @Property void restoresLikeQemu(...) { ... } }
 * }</pre>
 */
public final class RequiresQemuHook implements SkipExecutionHook {

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return Qemu.available() ? SkipResult.doNotSkip() : SkipResult.skip(Qemu.unavailableReason());
    }
}
