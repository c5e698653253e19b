package io.copyjob.tabular;

/**
 * A row ready for the sink: its values for the piece's sink columns, with the source row kept for
 * the dead letter should the database refuse it.
 */
public record MappedRow(SourceRow source, Object[] values) {}
