package io.edgecache.extproc.body;

import io.edgecache.admin.ConnectionCap;
import io.edgecache.admin.NettyListener;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.Preconditions;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.store.EntryHead;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Serves stored bodies too large for one {@code immediate_response}. The ext_proc server
 * answers a large hit by giving the request a signed {@link BodyTokens#HEADER} token and
 * clearing the route cache; the proxy's body route matches that header and sends the request
 * here. The endpoint answers with the entry's status and headers, {@code Age} at this moment and
 * the Cache-Status the token carries, and streams the body from the tier that holds it without
 * holding it in the heap. A single {@code Range} (subject to {@code If-Range}) is answered with
 * 206, or 416 when it lies outside the body; several ranges get the whole body (RFC 9110
 * §14.2 allows it).
 *
 * <p>Freshness was judged by the ext_proc server when it issued the token; the endpoint serves
 * only what a valid token names, so a client that sends the header itself is refused (403).
 * When the entry was replaced since (a second fetch of the key finished), the newer version is
 * served if it needs no judging (a fresh 200 without Vary or no-cache), else 503 asks to retry.
 * A connection that neither reads nor writes for {@link #IDLE} is closed.
 */
public final class BodyEndpoint implements AutoCloseable {

  /** How long a connection may stay open without a byte moving either way. */
  static final Duration IDLE = Duration.ofSeconds(60);
  /**
   * The most connections open at once. Envoy pools its connections to the body route (1,024 per
   * cluster by default), so a few proxies stay well below; sockets beyond it are closed as
   * they are accepted rather than letting idle ones use up the process's file descriptors.
   */
  static final int MAX_CONNECTIONS = 4096;

  /** Framing is the endpoint's own; stored framing fields would contradict it. */
  private static final Set<String> REPLACED = Set.of("content-length", "transfer-encoding",
      "content-range", "accept-ranges", "age", CacheStatus.FIELD);

  private final NettyListener listener;

  private BodyEndpoint(NettyListener listener) {
    this.listener = listener;
  }

  /**
   * Starts listening; throws {@link IOException} when the address cannot be bound. {@code clock}
   * is the cache's clock, which ages are computed on.
   */
  public static BodyEndpoint start(InetSocketAddress listen, StoredBodies bodies,
      BodyTokens tokens, BodyStats stats, Clock clock) throws IOException {
    return start(listen, bodies, tokens, stats, clock, IDLE, MAX_CONNECTIONS);
  }

  /**
   * With {@code idle}, how long a connection may go without reading or writing anything, and
   * {@code maxConnections}, how many may be open at once.
   */
  static BodyEndpoint start(InetSocketAddress listen, StoredBodies bodies, BodyTokens tokens,
      BodyStats stats, Clock clock, Duration idle, int maxConnections) throws IOException {
    ConnectionCap cap = new ConnectionCap(maxConnections);
    return new BodyEndpoint(NettyListener.start(listen, "edgecache-body", 0, (channel, none) -> {
      if (cap.admit(channel)) {
        channel.pipeline()
            // All-idle, not read-idle: a long body to a slow client reads nothing for
            // minutes, but its writes keep completing; a client that stalls both goes.
            .addLast(new IdleStateHandler(0, 0, idle.toMillis(), TimeUnit.MILLISECONDS))
            .addLast(new HttpServerCodec())
            .addLast(new HttpObjectAggregator(64 << 10)) // GET requests carry no body
            .addLast(new Handler(bodies, tokens, stats, clock));
      }
    }));
  }

  public int port() {
    return listener.port();
  }

  @Override
  public void close() {
    listener.close();
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final StoredBodies bodies;
    private final BodyTokens tokens;
    private final BodyStats stats;
    private final Clock clock;

    Handler(StoredBodies bodies, BodyTokens tokens, BodyStats stats, Clock clock) {
      this.bodies = bodies;
      this.tokens = tokens;
      this.stats = stats;
      this.clock = clock;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof IdleStateEvent) {
        ctx.close(); // a client that stopped sending and receiving, or never began
      } else {
        super.userEventTriggered(ctx, event);
      }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
        sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", keepAlive);
        return;
      }
      Optional<BodyTokens.Grant> grant = tokens.redeem(request.headers().get(BodyTokens.HEADER));
      if (grant.isEmpty()) {
        stats.refused();
        sendError(ctx, HttpResponseStatus.FORBIDDEN, BodyTokens.HEADER
            + " is missing, malformed, expired, used before or not signed by this cache", keepAlive);
        return;
      }
      HeaderList requestHeaders = headerList(request);
      boolean head = request.method().equals(HttpMethod.HEAD);
      bodies.open(grant.get().key()).whenComplete((body, error) -> {
        if (error != null || body.isEmpty()) {
          stats.missing();
          sendError(ctx, error != null ? HttpResponseStatus.SERVICE_UNAVAILABLE
              : HttpResponseStatus.NOT_FOUND, "the entry is no longer stored", keepAlive);
        } else if (!versionOf(body.get().head()).equals(grant.get().version())
            && !servableInstead(body.get().head())) {
          body.get().close(); // replaced since the token was issued, by one to check first
          stats.missing();
          sendError(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
              "the entry was replaced; retry", keepAlive);
        } else {
          send(ctx, body.get(), grant.get().cacheStatus(), requestHeaders, head, keepAlive);
        }
      });
    }

    private void send(ChannelHandlerContext ctx, StoredBody body, String cacheStatus,
        HeaderList request, boolean head, boolean keepAlive) {
      EntryHead entry = body.head();
      long size = entry.bodyLength();
      Optional<ByteRange> asked = entry.status() == 200
          && Preconditions.ifRangeHolds(request, entry.headers())
          ? ByteRange.parse(request.first("range"), size) : Optional.empty();
      HttpResponse response;
      if (asked.isPresent() && asked.get() == ByteRange.UNSATISFIABLE) {
        body.close();
        response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
        response.headers().set(HttpHeaderNames.CONTENT_RANGE, ByteRange.UNSATISFIABLE
            .contentRange(size));
        HttpUtil.setContentLength(response, 0);
        finish(ctx, response, keepAlive);
        return;
      }
      ByteRange served = asked.orElse(new ByteRange(0, size - 1));
      response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, asked.isPresent()
          ? HttpResponseStatus.PARTIAL_CONTENT
          : HttpResponseStatus.valueOf(entry.status()));
      for (HeaderList.Field field : entry.headers().fields()) {
        if (!REPLACED.contains(field.name())) {
          response.headers().add(field.name(), field.value());
        }
      }
      response.headers()
          .set(HttpHeaderNames.AGE, entry.currentAge(clock.instant()).getSeconds())
          .set(CacheStatus.FIELD, cacheStatus)
          .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
          .set(HttpHeaderNames.CONTENT_LENGTH, Math.max(0, served.length()));
      if (asked.isPresent()) {
        response.headers().set(HttpHeaderNames.CONTENT_RANGE, served.contentRange(size));
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.write(response);
      stats.served(body, head ? 0 : Math.max(0, served.length()));
      ChannelFuture last = body.writeRange(ctx, served.first(), head ? 0 : Math.max(0,
          served.length()));
      last.addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
          : ChannelFutureListener.CLOSE);
    }

    /**
     * Whether a newer version of the entry than the token's may be served in its place (a second
     * fetch of the key finished between the node's hit and this request): only one the node
     * would answer any request for the key with, unchecked, a fresh 200 that varies on nothing
     * and needs no revalidation. The request's own conditions were checked against the older
     * version, which this one only makes younger.
     */
    private boolean servableInstead(EntryHead head) {
      return head.status() == 200 && head.varyValues().isEmpty()
          && !head.headers().contains("vary") && !head.rules().alwaysRevalidate()
          && head.toHeadOnly().isFresh(clock.instant());
    }

    private static String versionOf(EntryHead head) {
      return BodyTokens.version(head.responseTime(), head.bodyLength());
    }

    private static HeaderList headerList(HttpRequest request) {
      List<HeaderList.Field> fields = new ArrayList<>();
      for (Map.Entry<String, String> header : request.headers()) {
        fields.add(new HeaderList.Field(header.getKey().toLowerCase(Locale.ROOT),
            header.getValue()));
      }
      return HeaderList.of(fields);
    }

    private static void sendError(ChannelHandlerContext ctx, HttpResponseStatus status,
        String why, boolean keepAlive) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.copiedBuffer("edgecache body endpoint: " + why + "\n",
              StandardCharsets.UTF_8));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      HttpUtil.setContentLength(response, response.content().readableBytes());
      finish(ctx, response, keepAlive);
    }

    private static void finish(ChannelHandlerContext ctx, HttpResponse response,
        boolean keepAlive) {
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
          : ChannelFutureListener.CLOSE);
    }
  }
}
