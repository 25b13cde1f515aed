package io.edgecache.extproc.purge;

import io.edgecache.proto.purge.v1.PurgeAdminGrpc;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Submits each PURGE's URL to the control plane's PurgeAdmin service with the request's own
 * {@code Authorization} field, so the control plane authenticates, scopes, rate-limits, logs
 * and fans it out to every node exactly as an admin API call. The node itself keeps no
 * credentials.
 */
final class ControlPlanePurges implements EdgePurges {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel controlPlane;

  ControlPlanePurges(Channel controlPlane) {
    this.controlPlane = controlPlane;
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public CompletableFuture<Answer> purge(String url, boolean soft, String authorization) {
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(AUTHORIZATION, authorization);
    }
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    PurgeAdminGrpc.newStub(controlPlane)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .submit(PurgeRequest.newBuilder().setKind(PurgeKind.URL).setValue(url).setSoft(soft).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(PurgeStatus status) {
                answer.complete(new Answer(200, "{\"status\":\"ok\",\"purgeId\":\"" + status.getPurgeId() + "\"}"));
              }

              @Override
              public void onError(Throwable t) {
                Status status = Status.fromThrowable(t);
                answer.complete(new Answer(httpStatus(status.getCode()), "{\"error\":\""
                    + jsonEscaped(status.getDescription() == null ? status.getCode().name()
                        : status.getDescription()) + "\"}"));
              }

              @Override
              public void onCompleted() {}
            });
    return answer;
  }

  private static int httpStatus(Status.Code code) {
    return switch (code) {
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case INVALID_ARGUMENT -> 400;
      case RESOURCE_EXHAUSTED -> 429;
      default -> 503;
    };
  }

  private static String jsonEscaped(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
