/**
 * HTTP field semantics the cache decides by (RFC 9110, 9111, 9213): parsers and evaluators for
 * Cache-Control and its targeted forms, Age, HTTP-dates, Range, preconditions, content
 * negotiation and hop-by-hop fields, over {@link io.edgecache.extproc.fields.HeaderList}, the
 * header list as Envoy hands it over. Named {@code fields}, not {@code http}: http-common's
 * {@code io.edgecache.http} holds the request-target and authority rules all processes share.
 *
 * <p>Everything here is a pure function or an immutable value, safe on any thread. Types are
 * public because {@code policy}, {@code cache}, {@code grpc} and {@code store} read fields.
 */
package io.edgecache.extproc.fields;
