package io.qcow2j.core.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips the annotated test class or method, with {@link Qemu#unavailableReason()} as the visible
 * reason, when qemu-img or qemu-io is not installed.
 *
 * <p>Works for JUnit Jupiter tests (an {@link ExecutionCondition}) and for jqwik properties and
 * containers (it carries {@link RequiresQemuHook} as a meta-annotation); on jqwik,
 * {@code @AddLifecycleHook(RequiresQemuHook.class)} does the same.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RequiresQemu.Condition.class)
@AddLifecycleHook(RequiresQemuHook.class)
public @interface RequiresQemu {

    /** The JUnit Jupiter side of {@link RequiresQemu}. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return Qemu.available()
                    ? ConditionEvaluationResult.enabled("qemu-img and qemu-io found on PATH")
                    : ConditionEvaluationResult.disabled(Qemu.unavailableReason());
        }
    }
}
