package io.edgecache.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the TLS peer's {@link PeerIdentity} into each call's context, so services can bind what
 * a peer claims (a node id) to who it proved to be. On plaintext connections it sets nothing.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return next.startCall(call, headers);
    }
    String identity = null;
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
        identity = PeerIdentity.of(leaf).orElse(null);
      }
    } catch (SSLPeerUnverifiedException e) {
      identity = null; // a server that requires client certificates never gets here
    }
    if (identity == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(PeerIdentity.KEY, identity), call,
        headers, next);
  }
}
