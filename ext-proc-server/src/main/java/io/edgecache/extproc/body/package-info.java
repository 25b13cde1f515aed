/**
 * The body endpoint: HTTP for stored bodies too large for one ext_proc
 * {@code immediate_response}. The exchange answers such a hit with a signed, single-use
 * {@link io.edgecache.extproc.body.BodyTokens} token and reroutes the request; the proxy's body
 * route sends it to {@link io.edgecache.extproc.body.BodyEndpoint}, which streams the body from
 * the disk or S3 tier without holding it in the heap, and serves a single byte range.
 *
 * <p>Threading: the endpoint runs on its own Netty event loop; S3 bodies arrive on the AWS
 * SDK's threads with backpressure from the client socket. Public: the endpoint, the tokens
 * the exchange signs, the figures for {@code /stats}; how a body is read and ranges parsed is
 * package-private.
 */
package io.edgecache.extproc.body;
