package io.edgecache.extproc.grpc;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.http.Authority;
import io.edgecache.http.PathAndQuery;
import io.edgecache.http.PathNormalizer;

/**
 * What is checked on a request target before a key is built, so that no two requests the
 * origin tells apart share a key: the authority must be a valid host[:port] and given once,
 * the path must survive normalisation (the same one the proxy applies before routing). A path
 * that arrives in another form than the normalised one (a proxy not configured to normalise),
 * an authority in another form than the key's ({@link CacheKey#isCanonical}), one whose
 * dot-segments hide behind {@code ;} parameters, and a GET or HEAD with a body all go to the
 * origin uncached: the origin may read them differently from the key. So does an https request
 * that the proxy says came over plaintext ({@code x-forwarded-proto: http}, as a proxy trusting
 * an upstream balancer's header passes it on): the origin answers it as plain http, often with
 * a redirect to https, which keyed under the https URL would loop every TLS client. (An edge
 * Envoy refuses such a request itself, 403; one behind trusted hops does not.)
 *
 * @param rejection why the request is answered 400, or null
 * @param path the normalised path (query as sent) routes and the key use
 * @param bypass a Cache-Status detail for a request that must bypass the cache, or null
 */
record RequestScreen(String rejection, String path, String bypass) {

  static RequestScreen of(RequestLine line, HeaderList headers, boolean endOfStream,
      PathNormalizer normalizer) {
    String authorityProblem = Authority.problem(line.authority());
    if (authorityProblem != null) {
      return new RequestScreen("invalid :authority: " + authorityProblem, null, null);
    }
    if (headers.all("host").size() > 1
        || (headers.contains("host") && !headers.first("host").equals(line.authority()))) {
      return new RequestScreen("Host given twice, or differing from :authority", null, null);
    }
    PathNormalizer.Result normalized = normalizer.normalize(line.path());
    if (normalized.rejected()) {
      return new RequestScreen("invalid :path: " + normalized.rejection(), null, null);
    }
    String path = normalized.pathWithQuery();
    String bypass = null;
    if (!path.equals(line.path())) {
      bypass = "path-not-normalized";
    } else if (!CacheKey.isCanonical(line.scheme(), line.authority())) {
      bypass = "authority-not-normalized";
    } else if (line.scheme().equals("https") && saysPlaintext(headers.first("x-forwarded-proto"))) {
      bypass = "https-over-plaintext";
    } else if (PathNormalizer.hasParameterisedDotSegment(path)) {
      bypass = "ambiguous-path";
    } else if (!endOfStream && (line.method().equals("GET") || line.method().equals("HEAD"))) {
      bypass = "request-body";
    }
    return new RequestScreen(null, path, bypass);
  }

  private static boolean saysPlaintext(String forwardedProto) {
    return forwardedProto != null && forwardedProto.trim().equalsIgnoreCase("http");
  }

  /** The path without its query, which is what route prefixes match. */
  String pathOnly() {
    return PathAndQuery.pathOf(path);
  }
}
