package io.copyjob.pipeline;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * A source root's clock as a run reads it once, before it starts.
 *
 * @param windowEnd where this run's delta windows of the root end: the store's time just before the
 *     run ({@link io.copyjob.store.Store#now}), never later than the run's start by this machine's
 *     clock, so that a client clock ahead of the store's loses nothing
 * @param resolution how coarse the root's listed times are ({@link
 *     io.copyjob.store.Store#timeResolution}); window starts are rounded down to it
 */
public record SourceTime(Instant windowEnd, Duration resolution) implements Serializable {}
