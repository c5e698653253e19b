package io.copyjob.control;

import java.time.Instant;

/**
 * One worker's totals over a run at one moment, as a progress batch wrote them ({@link
 * ProgressTable#history}): the points a running run's throughput over time is drawn from.
 *
 * @param worker the worker that wrote it
 * @param at when, by the database's clock
 * @param files the files the worker finished (copied, skipped or failed) so far
 * @param bytes the bytes it copied so far, counted as they stream
 * @param rows the rows it wrote so far (tabular jobs)
 */
public record ProgressPoint(String worker, Instant at, long files, long bytes, long rows) {}
