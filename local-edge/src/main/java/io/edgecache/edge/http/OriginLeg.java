package io.edgecache.edge.http;

import io.edgecache.edge.routing.RouteEntry;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.edge.routing.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The router's part of an exchange, where the processed request is handed to an origin: it
 * routes the request (after the processor, so a mutated {@code :path} is routed afresh), sends
 * it to one of the route's endpoints, runs the route timeout from the request's last byte
 * (resetting the origin's request when it passes), and at the end reuses the origin connection
 * or closes it. Confined to the exchange's event loop.
 */
final class OriginLeg implements MessageSink {
  private final RouteTable routes;
  private final EventLoop loop;
  private final EdgeContext edge;
  private final UpstreamListener listener;
  private final Runnable onNoRoute;
  private final Runnable onRouteTimeout;
  private RouteEntry route;
  private UpstreamCall call;
  private ScheduledFuture<?> routeTimer;
  private boolean requestSent;
  /** When the whole request went to the origin ({@link System#nanoTime}). */
  private long requestSentNanos;
  private boolean responseEnded;
  private boolean keepAlive;

  /**
   * @param listener hears the origin's response on {@code loop}
   * @param onNoRoute no route matches the processed request
   * @param onRouteTimeout the route timeout passed before the response ended
   */
  OriginLeg(RouteTable routes, EventLoop loop, EdgeContext edge, UpstreamListener listener, Runnable onNoRoute,
      Runnable onRouteTimeout) {
    this.routes = routes;
    this.loop = loop;
    this.edge = edge;
    this.listener = listener;
    this.onNoRoute = onNoRoute;
    this.onRouteTimeout = onRouteTimeout;
  }

  @Override
  public void head(MessageHead head, boolean hasBody) {
    String path = head.pseudo(MessageHead.PATH);
    // clear_route_cache needs no handling: the route table is consulted here, after the
    // processor answered, so a mutated :path is always routed afresh.
    route = routes.match(head.pseudo(MessageHead.AUTHORITY), path, head.headers());
    if (route == null) {
      onNoRoute.run();
      return;
    }
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.valueOf(head.pseudo(MessageHead.METHOD)), path);
    String authority = head.pseudo(MessageHead.AUTHORITY);
    if (authority != null) {
      request.headers().set(HttpHeaderNames.HOST, authority);
    }
    request.headers().add(head.headers());
    Http1Framing.frame(request.headers(), hasBody, Http1Framing.requestMayCarryBody(request.method()));
    Upstream.Endpoint endpoint = route.upstream().pick();
    call = edge.pool(loop).acquire(endpoint.host(), endpoint.port(), listener);
    call.write(request);
    if (!hasBody) {
      call.write(LastHttpContent.EMPTY_LAST_CONTENT);
      requestSent();
    }
  }

  @Override
  public void body(ByteBuf chunk, boolean last) {
    if (call == null) {
      chunk.release();
      return;
    }
    call.write(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
    if (last) {
      requestSent();
    }
  }

  @Override
  public boolean writable() {
    return call != null && call.writable();
  }

  /** Backpressure from the response flow: pauses reading from the origin. */
  void reading(boolean on) {
    call.reading(on);
  }

  /** The origin's response head arrived. */
  void responseHead(HttpResponse response) {
    keepAlive = HttpUtil.isKeepAlive(response);
  }

  /** The response is over, from the origin or replaced by the router's own: the timeout stops. */
  void responseEnded() {
    responseEnded = true;
    cancelRouteTimer();
  }

  boolean hasResponseEnded() {
    return responseEnded;
  }

  /**
   * The exchange is over: reuse the origin connection only after a complete request and
   * response on it, close it otherwise.
   */
  void close() {
    cancelRouteTimer();
    if (call == null) {
      return;
    }
    if (responseEnded && keepAlive && requestSent) {
      call.release();
    } else {
      call.abort();
    }
  }

  /** The exchange ended early: the origin connection's state is unknown, so it is closed. */
  void abort() {
    cancelRouteTimer();
    if (call != null) {
      call.abort();
    }
  }

  /**
   * As Envoy's router (router.cc, Filter::onUpstreamHeaders): the origin's response headers get
   * x-envoy-upstream-service-time, the milliseconds since the whole request was sent on, when it
   * was (neither envoy.yaml nor the pushed routers set suppress_envoy_headers). It is set before
   * the filter chain, so the processor sees it as behind Envoy.
   */
  void stampServiceTime(MessageHead head) {
    if (requestSent) {
      head.headers().set("x-envoy-upstream-service-time",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - requestSentNanos));
    }
  }

  /** The whole request went to the origin: Envoy's route timeout starts now. */
  private void requestSent() {
    requestSent = true;
    requestSentNanos = System.nanoTime();
    long nanos = route.timeout().toNanos();
    if (nanos > 0) {
      routeTimer = loop.schedule(this::timedOut, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The route timeout passed: as Envoy's router does (router.cc, Filter::onResponseTimeout), the
   * upstream request is reset before the router answers, so nothing the origin sends late is heard.
   */
  private void timedOut() {
    abort();
    onRouteTimeout.run();
  }

  private void cancelRouteTimer() {
    if (routeTimer != null) {
      routeTimer.cancel(false);
      routeTimer = null;
    }
  }
}
