package io.edgecache.controlplane.purge;

import io.grpc.Status;

/**
 * A refused admin call, with the HTTP status the REST API answers and the gRPC status the gRPC
 * API answers. Nothing was purged or started when one is thrown.
 */
public final class AdminError extends Exception {

  private final int httpStatus;

  private AdminError(int httpStatus, String message) {
    super(message);
    this.httpStatus = httpStatus;
  }

  public static AdminError badRequest(String message) {
    return new AdminError(400, message);
  }

  public static AdminError unauthenticated(String message) {
    return new AdminError(401, message);
  }

  public static AdminError forbidden(String message) {
    return new AdminError(403, message);
  }

  public static AdminError notFound(String message) {
    return new AdminError(404, message);
  }

  public static AdminError rateLimited(String message) {
    return new AdminError(429, message);
  }

  public static AdminError unavailable(String message) {
    return new AdminError(503, message);
  }

  public int httpStatus() {
    return httpStatus;
  }

  public Status grpcStatus() {
    Status status = switch (httpStatus) {
      case 400 -> Status.INVALID_ARGUMENT;
      case 401 -> Status.UNAUTHENTICATED;
      case 403 -> Status.PERMISSION_DENIED;
      case 404 -> Status.NOT_FOUND;
      case 429 -> Status.RESOURCE_EXHAUSTED;
      default -> Status.UNAVAILABLE;
    };
    return status.withDescription(getMessage());
  }
}
