package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.purge.EdgePurges;
import io.edgecache.extproc.telemetry.Outcome;
import java.util.List;

/** An HTTP PURGE on a route that takes them: the control plane's verdict is the answer. */
final class EdgePurge {

  /** Request field asking a PURGE to mark stale rather than remove ("1"). */
  private static final String SOFT_PURGE = "edgecache-soft-purge";

  private final ExchangeState state;
  private final EdgePurges edgePurges;

  EdgePurge(ExchangeState state, EdgePurges edgePurges) {
    this.state = state;
    this.edgePurges = edgePurges;
  }

  /** Whether a PURGE on a route that takes them is answered here ({@link #submit}). */
  boolean enabled() {
    return edgePurges.enabled();
  }

  void submit(RequestLine line, HeaderList headers) {
    String authorization = headers.first("authorization");
    if (authorization == null || authorization.isBlank()) {
      // Answered here: a PURGE without credentials never costs the control plane a call.
      ByteString body = ByteString.copyFromUtf8(
          "{\"error\":\"missing Authorization: Bearer <token>\"}");
      state.finish(ExchangeMessages.immediate(401, HeaderList.of(List.of(
                  new HeaderList.Field("content-type", "application/json"),
                  new HeaderList.Field("www-authenticate", "Bearer"))), body,
              "edgecache_purge_unauthenticated"),
          Outcome.LOCAL, 401, body.size(), null);
      return;
    }
    state.moveTo(ExchangeStep.PURGING);
    state.send(ExchangeMessages.extendTimerBeyond(EdgePurges.DEADLINE));
    edgePurges.purge(line.scheme() + "://" + line.authority() + line.path(),
            "1".equals(headers.first(SOFT_PURGE)), authorization)
        .thenAcceptAsync(this::onAnswered, state.serial);
  }

  private void onAnswered(EdgePurges.Answer answer) {
    if (state.step() != ExchangeStep.PURGING) {
      return; // the stream ended first
    }
    ByteString body = ByteString.copyFromUtf8(answer.json());
    state.finish(ExchangeMessages.immediate(answer.status(),
            HeaderList.of(List.of(new HeaderList.Field("content-type", "application/json"))),
            body, "edgecache_purge"),
        Outcome.LOCAL, answer.status(), body.size(), null);
  }
}
