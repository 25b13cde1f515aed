package io.edgecache.controlplane;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.WarmProgress;
import io.edgecache.proto.purge.v1.WarmRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./edgecache purge} and {@code ./edgecache warm}: one call to the control plane's REST
 * admin API, then its status polled until complete (at most {@value #WAIT_SECONDS} s). Prints one
 * line; errors are one line on stderr and exit status 1 (2 for bad usage).
 *
 * <pre>
 * purge (--url URL | --prefix URL | --tag TAG [--host HOST] | --host HOST | --all) [--soft] [--token T] [--admin URL]
 * warm URL... [--token T] [--admin URL]
 * </pre>
 * The token defaults to {@code $EDGECACHE_TOKEN}, the admin URL to {@code $EDGECACHE_ADMIN} or
 * the admin API's default address ({@link PurgeSettings#DEFAULT_ADMIN_LISTEN}).
 */
public final class PurgeCli {

  private static final int WAIT_SECONDS = 10;
  /**
   * Between status polls: 5 calls/s, half the admin API's default rate limit (10/s), so a
   * waiting CLI never competes with other callers of the same token for the whole budget.
   */
  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
  private static final String USAGE = "usage: edgecache purge (--url URL | --prefix URL | --tag TAG [--host HOST]"
      + " | --host HOST | --all) [--soft] [--token T] [--admin URL]\n"
      + "       edgecache warm URL... [--token T] [--admin URL]";

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String token = System.getenv("EDGECACHE_TOKEN");
  private String admin = System.getenv().getOrDefault("EDGECACHE_ADMIN", "http://"
      + PurgeSettings.DEFAULT_ADMIN_LISTEN.host() + ":" + PurgeSettings.DEFAULT_ADMIN_LISTEN.port());
  /** When the command gives up: its first call, retries after 429 and polls all fit in it. */
  private final long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();

  private PurgeCli() {}

  public static void main(String[] args) {
    if (args.length == 0 || !(args[0].equals("purge") || args[0].equals("warm"))) {
      usage("expected purge or warm");
    }
    PurgeCli cli = new PurgeCli();
    try {
      if (args[0].equals("purge")) {
        cli.purge(args);
      } else {
        cli.warm(args);
      }
    } catch (IOException e) {
      String why = e instanceof ConnectException ? "cannot connect to " + cli.admin : e.getMessage();
      fail(args[0], why);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(args[0], "interrupted");
    }
  }

  private void purge(String[] args) throws IOException, InterruptedException {
    PurgeRequest.Builder request = PurgeRequest.newBuilder();
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--url" -> kind(request, PurgeKind.URL).setValue(value(args, ++i));
        case "--prefix" -> kind(request, PurgeKind.PREFIX).setValue(value(args, ++i));
        case "--tag" -> kind(request, PurgeKind.TAG).setValue(value(args, ++i));
        case "--all" -> kind(request, PurgeKind.ALL);
        case "--host" -> request.setHost(value(args, ++i));
        case "--soft" -> request.setSoft(true);
        default -> i = common(args, i);
      }
    }
    if (request.getKind() == PurgeKind.PURGE_KIND_UNSPECIFIED && !request.getHost().isEmpty()) {
      request.setKind(PurgeKind.HOST).setValue(request.getHost()).clearHost();
    }
    if (request.getKind() == PurgeKind.PURGE_KIND_UNSPECIFIED) {
      usage("say what to purge: --url, --prefix, --tag, --host or --all");
    }
    PurgeStatus status = call("purge", "POST", "/purges", request.build(), PurgeStatus.newBuilder());
    while (!status.getComplete() && System.nanoTime() < deadline) {
      Thread.sleep(POLL_INTERVAL.toMillis()); // polling interval of a command-line wait
      status = call("purge", "GET", "/purges/" + status.getPurgeId(), null, PurgeStatus.newBuilder());
    }
    System.out.println("purge " + status.getPurgeId() + (status.getComplete() ? " complete" : " NOT complete after "
        + WAIT_SECONDS + " s") + ": acked by " + names(status.getAckedNodesList())
        + (status.getPendingNodesCount() > 0 ? "; pending: " + names(status.getPendingNodesList()) : ""));
    if (!status.getComplete()) {
      System.exit(1);
    }
  }

  private void warm(String[] args) throws IOException, InterruptedException {
    List<String> urls = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        i = common(args, i);
      } else {
        urls.add(args[i]);
      }
    }
    if (urls.isEmpty()) {
      usage("give the URLs to warm");
    }
    WarmProgress progress = call("warm", "POST", "/warm", WarmRequest.newBuilder().addAllUrls(urls).build(),
        WarmProgress.newBuilder());
    while (!progress.getComplete() && System.nanoTime() < deadline) {
      Thread.sleep(POLL_INTERVAL.toMillis()); // polling interval of a command-line wait
      progress = call("warm", "GET", "/warm/" + progress.getWarmId(), null, WarmProgress.newBuilder());
    }
    System.out.println("warm " + progress.getWarmId() + ": " + progress.getDone() + "/" + progress.getTotal()
        + " fetched, " + progress.getFailed() + " failed" + (progress.getComplete() ? "" : " (still running)")
        + (progress.getErrorsCount() > 0 ? "; " + String.join("; ", progress.getErrorsList()) : ""));
    if (progress.getFailed() > 0) {
      System.exit(1);
    }
  }

  /** Handles --token and --admin; returns the index of the last argument consumed. */
  private int common(String[] args, int i) {
    switch (args[i]) {
      case "--token" -> token = value(args, i + 1);
      case "--admin" -> admin = value(args, i + 1);
      default -> usage("unknown option " + args[i]);
    }
    return i + 1;
  }

  private static PurgeRequest.Builder kind(PurgeRequest.Builder request, PurgeKind kind) {
    if (request.getKind() != PurgeKind.PURGE_KIND_UNSPECIFIED) {
      usage("give only one of --url, --prefix, --tag, --all");
    }
    return request.setKind(kind);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length || args[i].startsWith("--")) {
      usage(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  @SuppressWarnings("unchecked")
  private <T extends Message> T call(String verb, String method, String path, Message body, Message.Builder reply)
      throws IOException, InterruptedException {
    if (token == null || token.isBlank()) {
      fail(verb, "no token: pass --token or set EDGECACHE_TOKEN");
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin + path))
        .timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JsonFormat.printer().print(body)));
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    while (response.statusCode() == 429 && backOff(response)) {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
    try {
      if (response.statusCode() >= 300) {
        Struct error = (Struct) parse(response.body(), Struct.newBuilder());
        String message = error.getFieldsMap().containsKey("error")
            ? error.getFieldsOrThrow("error").getStringValue() : response.body();
        fail(verb, response.statusCode() + " " + message);
      }
      return (T) parse(response.body(), reply);
    } catch (InvalidProtocolBufferException e) {
      fail(verb, "unexpected answer from " + admin + " (" + response.statusCode() + "): " + e.getMessage());
      return null;
    }
  }

  /**
   * Waits as a 429's Retry-After asks (1 s when absent or unreadable); false when that would
   * pass the command's deadline, so the 429 is reported instead.
   */
  private boolean backOff(HttpResponse<String> response) throws InterruptedException {
    long seconds;
    try {
      seconds = Long.parseLong(response.headers().firstValue("retry-after").orElse("1").trim());
    } catch (NumberFormatException e) {
      seconds = 1;
    }
    long wait = Duration.ofSeconds(Math.max(1, seconds)).toNanos();
    if (System.nanoTime() + wait - deadline > 0) {
      return false;
    }
    Thread.sleep(wait / 1_000_000);
    return true;
  }

  private static Message parse(String json, Message.Builder into) throws InvalidProtocolBufferException {
    JsonFormat.parser().ignoringUnknownFields().merge(json, into);
    return into.build();
  }

  private static String names(List<String> nodes) {
    return nodes.isEmpty() ? "no node" : String.join(", ", nodes);
  }

  private static void usage(String problem) {
    System.err.println("edgecache: " + problem + "\n" + USAGE);
    System.exit(2);
  }

  private static void fail(String verb, String message) {
    System.err.println("edgecache " + verb + ": " + message);
    System.exit(1);
  }
}
