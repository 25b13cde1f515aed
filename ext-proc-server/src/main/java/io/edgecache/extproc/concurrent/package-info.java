/**
 * Threading helpers for the node's request path: a serial executor per exchange, so its state
 * is confined without locks, and deadlines timed by a scheduler the node owns.
 */
package io.edgecache.extproc.concurrent;
