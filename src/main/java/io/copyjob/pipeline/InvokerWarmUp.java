package io.copyjob.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;

/**
 * Makes the invoker classes of a built pipeline's DoFns on a thread of its own while the direct
 * runner starts.
 *
 * <p>Beam generates one class per DoFn class (ByteBuddy) the first time a runner invokes it; the
 * direct runner does so one step at a time, when the step's first bundle starts, so a run's steps
 * each wait 20-40 ms for it (and the first one about 0.3 s, the generator's own start). A run with
 * little to copy spends most of its time there. Made here, ahead of the runner, the classes are in
 * Beam's cache (by DoFn class) when the runner asks for them; the runner still makes any this
 * thread has not reached, and a DoFn this thread cannot make is left to the runner, which reports
 * it. Only the direct runner invokes DoFns in this JVM: on Flink they run in the TaskManagers.
 */
final class InvokerWarmUp {

  private InvokerWarmUp() {}

  /** Starts making the invokers of {@code pipeline}'s DoFns, if it runs in this JVM. */
  static void start(Pipeline pipeline) {
    if (pipeline.getOptions().getRunner() != DirectRunner.class) {
      return;
    }
    List<DoFn<?, ?>> fns = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            PTransform<?, ?> transform = node.getTransform();
            if (transform instanceof ParDo.MultiOutput<?, ?> parDo) {
              fns.add(parDo.getFn());
            }
          }
        });
    Thread thread =
        new Thread(
            () -> {
              for (DoFn<?, ?> fn : fns) {
                try {
                  DoFnInvokers.invokerFor(fn);
                } catch (RuntimeException | LinkageError e) {
                  // The runner makes it when it needs it, and reports what goes wrong then.
                }
              }
            },
            "copyjob-invokers");
    thread.setDaemon(true);
    thread.start();
  }
}
