package io.switchboard.gateway.testing;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says on the console, in one line per test class, why tests were skipped: Surefire and Failsafe keep a skip's
 * reason in their XML reports only. Covers aborted tests (a failed assumption, e.g. no Redis or no Docker engine)
 * and disabled ones, and an aborted class as a whole. Registered through {@code META-INF/services}, so every test run
 * of this module uses it.
 *
 * <pre>
 * [SKIPPED] ClusterSessionIT, 2 tests: no Redis: SWITCHBOARD_TEST_REDIS is not set, ...
 * </pre>
 */
public final class SkipReasonPrinter implements TestExecutionListener {

    private final PrintStream out = System.out;
    /** Per class (its unique id): reason → how many of its tests were skipped for it. */
    private final Map<String, Map<String, Integer>> skipped = new ConcurrentHashMap<>();
    private TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, reason);
        if (isClass(test)) {
            report(test);
        }
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, result.getThrowable().map(Throwable::getMessage).orElse(null));
        }
        if (isClass(test)) {
            report(test);
        }
    }

    private void record(TestIdentifier test, String reason) {
        final TestIdentifier owner = classOf(test);
        final String why = reason == null || reason.isBlank() ? "(no reason given)" : reason.replaceAll("\\s+", " ");
        skipped.computeIfAbsent(owner.getUniqueId(), k -> new LinkedHashMap<>())
               .merge(why, test.isTest() ? 1 : 0, Integer::sum);
    }

    private void report(TestIdentifier testClass) {
        final Map<String, Integer> reasons = skipped.remove(testClass.getUniqueId());
        if (reasons == null) {
            return;
        }
        reasons.forEach((reason, count) -> out.println(
                "[SKIPPED] " + testClass.getDisplayName()
                + (count == 0 ? "" : ", " + count + (count == 1 ? " test" : " tests")) + ": " + reason));
        out.flush();
    }

    private static boolean isClass(TestIdentifier test) {
        return test.getSource().filter(ClassSource.class::isInstance).isPresent();
    }

    /** The nearest enclosing test class of {@code test} (itself if it is one, else the root-most known ancestor). */
    private TestIdentifier classOf(TestIdentifier test) {
        TestIdentifier current = test;
        while (!isClass(current) && plan != null) {
            final var parent = plan.getParent(current);
            if (parent.isEmpty()) {
                break;
            }
            current = parent.get();
        }
        return current;
    }
}
