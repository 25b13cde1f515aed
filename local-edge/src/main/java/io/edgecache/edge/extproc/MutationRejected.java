package io.edgecache.edge.extproc;

/**
 * A header mutation Envoy rejects as an error ({@code MutationUtils::applyHeaderMutations}
 * returns a failed status): Envoy answers the request with the filter's {@code status_on_error}
 * (500 by default) even with {@code failure_mode_allow} ({@code Filter::handleErrorResponse}).
 */
public final class MutationRejected extends ProtocolException {
  public MutationRejected(String message) {
    super(message);
  }
}
