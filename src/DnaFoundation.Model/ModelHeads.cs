namespace DnaFoundation.Model;

/// <summary>Which heads sit on the encoder. The LOGO-style multitask model carries all three.</summary>
[Flags]
public enum ModelHeads
{
    /// <summary>The bare encoder (HF <c>BertModel</c>, <c>EsmModel</c>…): hidden states only.</summary>
    None = 0,
    /// <summary>Masked-LM logits over the vocabulary.</summary>
    MaskedLm = 1,
    /// <summary>Sequence classification / regression / multi-label chromatin (by <c>problem_type</c>).</summary>
    Sequence = 2,
    /// <summary>Per-token (region) classification.</summary>
    Token = 4,
    /// <summary>LOGO-style: MLM + per-token regions + sequence-level chromatin labels on one encoder.</summary>
    MultiTask = MaskedLm | Sequence | Token,
}
