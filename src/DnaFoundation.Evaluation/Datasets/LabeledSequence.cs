namespace DnaFoundation.Evaluation.Datasets;

/// <summary>One example for sequence classification: the DNA, its class index, and where it came from (for errors).</summary>
public sealed record LabeledSequence(string Id, string Sequence, int Label);

/// <summary>One example for multi-label classification: labels[j] is 0 or 1 for the j-th label column.</summary>
public sealed record MultiLabeledSequence(string Id, string Sequence, byte[] Labels);

/// <summary>A multi-label table: the label names (header columns) and its rows.</summary>
public sealed record MultiLabelTable(IReadOnlyList<string> LabelNames, IReadOnlyList<MultiLabeledSequence> Rows);
