package io.edgecache.extproc.body;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.edgecache.extproc.config.ConfigValues;
import io.edgecache.http.LargeBodyRoute;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed permissions to stream one stored body. The ext_proc server answers a large hit by
 * setting {@link #HEADER} to a token and rerouting the request; the proxy's body route matches
 * on that header and sends the request to the {@link BodyEndpoint}, which serves only what a
 * valid, unexpired token names. A client that sends the header itself gets nothing: it cannot
 * sign. Tokens name the store key and the Cache-Status member to report, and expire after
 * {@link #LIFETIME}, which covers the hop from the filter to the router many times over.
 *
 * <p>A token is good for one request: {@link #redeem} accepts each token once, so a token that
 * leaks (a log line, a proxy's trace) cannot be replayed to fetch the body again — and after
 * a few seconds not even once. The tokens redeemed are remembered for their lifetime, at most
 * {@value #MAX_REMEMBERED} of them (a node serving more large hits than that within a lifetime
 * forgets the oldest early). With a shared secret, each node's endpoint redeems a token once.
 *
 * <p>Tokens are {@code base64url(key) "." base64url(version) "." base64url(cache-status) "."
 * expiry-millis "." nonce "." base64url(HMAC-SHA256 of the five)}; the random nonce makes two
 * tokens for the same body in the same millisecond distinct. The secret is random per process
 * unless nodes are given a shared one, so that any node's endpoint accepts any node's tokens.
 */
public final class BodyTokens {

  /** The request header carrying the token, and the one the body route matches. */
  public static final String HEADER = LargeBodyRoute.HEADER;
  static final Duration LIFETIME = Duration.ofSeconds(5);
  static final int MAX_REMEMBERED = 100_000;
  private static final int NONCE_BYTES = 12;
  private static final int MIN_SECRET_BYTES = 16;
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final SecretKeySpec secret;
  /** Wall time, not the node's cache clock: expiry is about the request in flight. */
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  /** Nonces of tokens already redeemed, kept a little longer than a token lives. */
  private final Cache<String, Boolean> redeemed = Caffeine.newBuilder()
      .maximumSize(MAX_REMEMBERED)
      .expireAfterWrite(LIFETIME.multipliedBy(2))
      .build();

  /**
   * What a valid token grants: the key whose body to stream, which stored version of it (see
   * {@link #version}) and the Cache-Status to send.
   */
  public record Grant(String key, String version, String cacheStatus) {}

  public BodyTokens(byte[] secret, Clock clock) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "a body token secret needs at least " + MIN_SECRET_BYTES + " bytes");
    }
    this.secret = new SecretKeySpec(secret.clone(), ALGORITHM);
    this.clock = clock;
  }

  /**
   * Tokens under the secret in {@code file} (surrounding whitespace ignored), which the nodes
   * of a pool share. Fails naming {@code field} when the file is unreadable or the secret
   * shorter than 16 bytes.
   */
  public static BodyTokens fromSecretFile(String field, Path file) throws IOException {
    byte[] secret = ConfigValues.readSecret(field, file).strip().getBytes(StandardCharsets.UTF_8);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IOException(field + ": the secret in " + file + " has " + secret.length
          + " bytes; at least " + MIN_SECRET_BYTES + " are needed");
    }
    return new BodyTokens(secret, Clock.systemUTC());
  }

  /** Tokens under a random secret that only this process knows. */
  public static BodyTokens random() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new BodyTokens(secret, Clock.systemUTC());
  }

  /** Identifies one stored response of a key, so a replaced one is not served in its stead. */
  public static String version(Instant responseTime, long bodyLength) {
    return responseTime.toEpochMilli() + "-" + bodyLength;
  }

  /**
   * A token granting the body of {@code version} stored under {@code key}, reported with
   * {@code cacheStatus}.
   */
  public String issue(String key, String version, String cacheStatus) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    String payload = encode(key) + "." + encode(version) + "." + encode(cacheStatus) + "."
        + clock.instant().plus(LIFETIME).toEpochMilli() + "." + ENCODER.encodeToString(nonce);
    return payload + "." + ENCODER.encodeToString(sign(payload));
  }

  /**
   * What {@code token} grants, the first time it is presented; empty when it is missing,
   * malformed, forged, expired or was redeemed before.
   */
  public Optional<Grant> redeem(String token) {
    Optional<Grant> grant = verify(token);
    if (grant.isEmpty()) {
      return grant;
    }
    String nonce = token.split("\\.", -1)[4];
    return redeemed.asMap().putIfAbsent(nonce, Boolean.TRUE) == null ? grant : Optional.empty();
  }

  /**
   * What {@code token} grants; empty when it is missing, malformed, forged or expired. Does not
   * use it up: the body endpoint {@link #redeem redeems} tokens.
   */
  public Optional<Grant> verify(String token) {
    if (token == null) {
      return Optional.empty();
    }
    int signatureAt = token.lastIndexOf('.');
    String[] parts = token.split("\\.", -1);
    if (parts.length != 6) {
      return Optional.empty();
    }
    try {
      String payload = token.substring(0, signatureAt);
      if (!MessageDigest.isEqual(sign(payload), DECODER.decode(parts[5]))
          || clock.millis() > Long.parseLong(parts[3])) {
        return Optional.empty();
      }
      return Optional.of(new Grant(decode(parts[0]), decode(parts[1]), decode(parts[2])));
    } catch (IllegalArgumentException e) { // bad base64 or expiry
      return Optional.empty();
    }
  }

  private byte[] sign(String payload) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(secret);
      return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  private static String encode(String value) {
    return ENCODER.encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String value) {
    return new String(DECODER.decode(value), StandardCharsets.UTF_8);
  }
}
