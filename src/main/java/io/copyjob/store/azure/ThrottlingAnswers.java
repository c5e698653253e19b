package io.copyjob.store.azure;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import io.copyjob.store.TransferEvents;
import reactor.core.publisher.Mono;

/**
 * Counts each attempt Azure answered with 503 (ServerBusy), retried by the SDK or not: placed after
 * the retry policy, it sees every try.
 */
final class ThrottlingAnswers implements HttpPipelinePolicy {
  @Override
  public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
    return next.process().doOnNext(ThrottlingAnswers::count);
  }

  @Override
  public HttpResponse processSync(
      HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
    HttpResponse response = next.processSync();
    count(response);
    return response;
  }

  private static void count(HttpResponse response) {
    if (TransferEvents.isThrottling(response.getStatusCode())) {
      TransferEvents.throttled();
    }
  }

  @Override
  public HttpPipelinePosition getPipelinePosition() {
    return HttpPipelinePosition.PER_RETRY;
  }
}
