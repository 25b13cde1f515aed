package io.edgecache.bench.micro;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.HttpDates;
import io.edgecache.extproc.policy.RequestFacts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Realistic request and response header sets the microbenchmarks feed the hit path with. */
final class PolicyInputs {

  static final String CACHE_CONTROL = "public, max-age=3600, s-maxage=600, stale-while-revalidate=30";

  private PolicyInputs() {}

  static HeaderList requestHeaders() {
    return headers(":method", "GET", ":scheme", "https", ":authority", "WWW.Example.com:443",
        ":path", "/assets/app.js?v=42", "user-agent", "Mozilla/5.0 (X11; Linux x86_64)",
        "accept", "*/*", "accept-encoding", "gzip, br", "x-request-id", "5f1c2d3e");
  }

  static RequestFacts request(Instant now) {
    return RequestFacts.of("GET", CacheKey.of("https", "www.example.com", "/assets/app.js?v=42"),
        requestHeaders(), now);
  }

  static HeaderList responseHeaders(Instant now) {
    return headers(":status", "200", "date", HttpDates.format(now), "content-type",
        "application/javascript", "content-length", "12345", "cache-control", CACHE_CONTROL,
        "etag", "\"abc123\"", "last-modified", HttpDates.format(now.minusSeconds(86_400)),
        "vary", "accept-encoding", "connection", "keep-alive");
  }

  private static HeaderList headers(String... nameValues) {
    List<HeaderList.Field> fields = new ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      fields.add(new HeaderList.Field(nameValues[i], nameValues[i + 1]));
    }
    return HeaderList.of(fields);
  }
}
