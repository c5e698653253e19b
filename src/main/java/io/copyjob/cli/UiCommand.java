package io.copyjob.cli;

import io.copyjob.monitor.HistoryServer;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code copyjob ui JOB.yaml}: serves the run history of the job file's control store (every job
 * recorded there) in the browser until stopped.
 */
@Command(
    name = "ui",
    mixinStandardHelpOptions = true,
    description =
        "Serves the run history of the job file's control store (all its jobs) in the browser,"
            + " read-only, until stopped (Ctrl-C).")
final class UiCommand implements Callable<Integer> {
  @Mixin JobFileOption job;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "The port to listen on (0: any free one). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description =
          "The address to listen on. Default: ${DEFAULT-VALUE} (this machine only); 0.0.0.0"
              + " shows the history to the network, without authentication.")
  String bind;

  @Spec CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new UsageException("--port: must be between 0 and 65535, got " + port);
    }
    JobSpec spec = job.parse();
    PrintWriter out = commandSpec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    try (HistoryServer server =
        HistoryServer.start(spec.control(), new InetSocketAddress(bind, port))) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "copyjob-ui-stop"));
      out.println(
          "copyjob ui: the history of "
              + job.jobFile
              + "'s control store at http://"
              + (bind.contains(":") ? "[" + bind + "]" : bind)
              + ":"
              + server.port()
              + "/ (Ctrl-C stops it)");
      out.flush();
      stopped.await();
    }
    return 0;
  }
}
