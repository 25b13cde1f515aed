package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.WarmProgress;
import io.edgecache.proto.purge.v1.WarmRequest;
import io.edgecache.security.LogText;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The admin operations behind both the REST and the gRPC API, in the order every call is
 * checked: authenticated (401), within its rate (429), well formed (400, naming the field),
 * within its token's hosts (403); only then is anything purged or fetched. Each accepted purge
 * is written to the audit log, one line: who, what, when.
 */
public final class PurgeAdmin {

  private static final Logger audit = Logger.getLogger("edgecache.audit");
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?");
  /** A tag: visible characters, none a space or comma (control and format ones refused). */
  private static final Pattern TAG = Pattern.compile("[^\\s,\\p{Cc}\\p{Cf}\\p{Z}]+");
  static final int MAX_URL_CHARS = 8192;
  static final int MAX_TAG_CHARS = 1024;
  private static final int MAX_HOST_CHARS = 255;
  private static final int MAX_LIST = 1000;
  private static final int MAX_WARM_URLS = 10_000;

  private final PurgeCoordinator coordinator;
  private final Warmer warmer;
  private final Authenticator authenticator;
  private final RateLimiter rateLimiter;
  private final AuthFailureLimiter failures = new AuthFailureLimiter(System::nanoTime);

  /** {@code warmer} is null when no edge URL is configured. */
  PurgeAdmin(PurgeCoordinator coordinator, Warmer warmer, Authenticator authenticator,
      RateLimiter rateLimiter) {
    this.coordinator = coordinator;
    this.warmer = warmer;
    this.authenticator = authenticator;
    this.rateLimiter = rateLimiter;
  }

  public PurgeStatus submit(String authorization, PurgeRequest request) throws AdminError {
    PurgeSettings.Token token = caller(authorization);
    PurgeCoordinator.PurgeSpec spec = validate(request);
    if (spec.kind() == PurgeKind.ALL || (spec.kind() == PurgeKind.TAG && spec.host().isEmpty())) {
      if (!token.unscoped()) {
        throw AdminError.forbidden("token '" + token.name() + "' is limited to hosts " + token.hosts()
            + "; a " + spec.kind() + " purge " + (spec.kind() == PurgeKind.TAG ? "without host " : "")
            + "needs an unscoped token");
      }
    } else {
      checkScope(token, spec.host());
    }
    PurgeStatus status;
    try {
      status = coordinator.submit(spec, token.name());
    } catch (NotLeaderException e) {
      throw AdminError.unavailable(e.getMessage() + "; nothing purged, submit it there");
    } catch (IOException e) {
      throw AdminError.unavailable("purge log not writable, nothing purged: " + e.getMessage());
    }
    audit.info(() -> "event=purge id=" + status.getPurgeId() + " seq=" + status.getSeq() + " by=" + token.name()
        + " kind=" + spec.kind() + " value=" + quoted(spec.value()) + " host=" + quoted(spec.host())
        + " soft=" + spec.soft() + " at=" + java.time.Instant.ofEpochMilli(status.getSubmittedAtMillis()));
    return status;
  }

  public PurgeStatus status(String authorization, String purgeId) throws AdminError {
    PurgeSettings.Token token = caller(authorization);
    PurgeStatus status = coordinator.status(purgeId);
    if (status == null || !visibleTo(token, status)) {
      throw AdminError.notFound("no purge '" + purgeId + "' in the log");
    }
    return status;
  }

  public List<PurgeStatus> list(String authorization, int limit) throws AdminError {
    PurgeSettings.Token token = caller(authorization);
    if (limit < 0 || limit > MAX_LIST) {
      throw AdminError.badRequest("limit: must be between 1 and " + MAX_LIST);
    }
    return coordinator.recent(limit == 0 ? 100 : limit).stream().filter(s -> visibleTo(token, s)).toList();
  }

  public WarmProgress warm(String authorization, WarmRequest request) throws AdminError {
    PurgeSettings.Token token = caller(authorization);
    if (warmer == null) {
      throw AdminError.unavailable("warming is off: set purge.edge in the control-plane configuration");
    }
    if (request.getUrlsCount() == 0 || request.getUrlsCount() > MAX_WARM_URLS) {
      throw AdminError.badRequest("urls: between 1 and " + MAX_WARM_URLS + " URLs are required");
    }
    List<URI> urls = new ArrayList<>();
    for (int i = 0; i < request.getUrlsCount(); i++) {
      if (request.getUrls(i).length() > MAX_URL_CHARS) {
        throw AdminError.badRequest("urls[" + i + "]: at most " + MAX_URL_CHARS + " characters");
      }
      URI url = absoluteUrl("urls[" + i + "]", request.getUrls(i));
      checkScope(token, url.getHost().toLowerCase(Locale.ROOT));
      urls.add(url);
    }
    WarmProgress started = warmer.start(urls);
    audit.info(() -> "event=warm id=" + started.getWarmId() + " by=" + token.name() + " urls=" + urls.size());
    return started;
  }

  public WarmProgress warmStatus(String authorization, String warmId) throws AdminError {
    caller(authorization);
    WarmProgress progress = warmer == null ? null : warmer.progress(warmId);
    if (progress == null) {
      throw AdminError.notFound("no warming job '" + warmId + "'");
    }
    return progress;
  }

  /**
   * Checks a call's credentials (for REST before its body is read, so an unauthenticated
   * client cannot hold a connection with a slow body): a valid token always passes; missing or
   * unknown credentials are 401, counted against {@code source}, and 429 once it has failed too
   * often recently. Only failures are limited: secrets are at least 16 characters, beyond
   * guessing at any rate, while refusing valid tokens would lock out everyone behind one
   * address (a NAT, {@code kubectl port-forward}, a cache node relaying edge PURGEs) as soon as
   * anyone there sent a wrong one.
   */
  public void admit(String authorization, String source) throws AdminError {
    try {
      authenticator.authenticate(authorization);
    } catch (AdminError e) {
      failures.check(source);
      failures.failed(source);
      throw e;
    }
  }

  private PurgeSettings.Token caller(String authorization) throws AdminError {
    PurgeSettings.Token token = authenticator.authenticate(authorization);
    rateLimiter.acquire(token.name());
    return token;
  }

  private static void checkScope(PurgeSettings.Token token, String host) throws AdminError {
    if (!token.unscoped() && !token.hosts().contains(withoutPort(host))) {
      throw AdminError.forbidden("token '" + token.name() + "' may not act on host '" + host + "' (allowed: "
          + token.hosts() + ")");
    }
  }

  private static boolean visibleTo(PurgeSettings.Token token, PurgeStatus status) {
    return token.unscoped() || token.hosts().contains(withoutPort(status.getHost()));
  }

  /** The purge the request describes, with its host; 400 naming the first bad field. */
  static PurgeCoordinator.PurgeSpec validate(PurgeRequest request) throws AdminError {
    String value = request.getValue().trim();
    String host = request.getHost().trim().toLowerCase(Locale.ROOT);
    // Every accepted purge is kept in memory and the log, sent to every node and screened
    // against for days: its size is bounded like a URL's or a header's.
    int maxValue = request.getKind() == PurgeKind.TAG ? MAX_TAG_CHARS : MAX_URL_CHARS;
    if (value.length() > maxValue) {
      throw AdminError.badRequest("value: at most " + maxValue + " characters, got "
          + value.length());
    }
    if (host.length() > MAX_HOST_CHARS) {
      throw AdminError.badRequest("host: at most " + MAX_HOST_CHARS + " characters");
    }
    return switch (request.getKind()) {
      case URL, PREFIX -> {
        URI url = absoluteUrl("value", value);
        String urlHost = url.getRawAuthority().toLowerCase(Locale.ROOT);
        if (!host.isEmpty() && !host.equals(withoutPort(urlHost))) {
          throw AdminError.badRequest("host: '" + host + "' differs from the URL's host '" + urlHost + "'");
        }
        yield new PurgeCoordinator.PurgeSpec(request.getKind(), value, withoutPort(urlHost), request.getSoft());
      }
      case TAG -> {
        if (!TAG.matcher(value).matches()) {
          throw AdminError.badRequest("value: a tag is required (no spaces or commas), got '" + value + "'");
        }
        if (!host.isEmpty()) {
          requireHost("host", host);
        }
        yield new PurgeCoordinator.PurgeSpec(PurgeKind.TAG, value, host, request.getSoft());
      }
      case HOST -> {
        String target = value.toLowerCase(Locale.ROOT);
        requireHost("value", target);
        yield new PurgeCoordinator.PurgeSpec(PurgeKind.HOST, target, withoutPort(target), request.getSoft());
      }
      case ALL -> {
        if (!value.isEmpty() || !host.isEmpty()) {
          throw AdminError.badRequest("value: an ALL purge takes no value or host");
        }
        yield new PurgeCoordinator.PurgeSpec(PurgeKind.ALL, "", "", request.getSoft());
      }
      default -> throw AdminError.badRequest("kind: one of URL, PREFIX, TAG, HOST, ALL is required");
    };
  }

  private static URI absoluteUrl(String field, String text) throws AdminError {
    try {
      URI url = new URI(text.trim());
      if (!Set.of("http", "https").contains(String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT))
          || url.getHost() == null) {
        throw AdminError.badRequest(field + ": an absolute http(s) URL is required, got '" + text + "'");
      }
      if (url.getRawUserInfo() != null) {
        // No key holds one, and it makes the authority's host differ from the URL's.
        throw AdminError.badRequest(field + ": a URL with user information is not a cache key");
      }
      return url;
    } catch (URISyntaxException e) {
      throw AdminError.badRequest(field + ": '" + text + "' is not a URL: " + e.getReason());
    }
  }

  private static void requireHost(String field, String host) throws AdminError {
    if (!HOST.matcher(host).matches()) {
      throw AdminError.badRequest(field + ": a host name is required, got '" + host + "'");
    }
  }

  private static String withoutPort(String host) {
    int colon = host.lastIndexOf(':');
    return colon > 0 ? host.substring(0, colon) : host;
  }

  /** Escaped onto the audit line whole: values are bounded at submission. */
  private static String quoted(String value) {
    return LogText.quote(value, MAX_URL_CHARS);
  }
}
