using static TorchSharp.torch;

namespace DnaFoundation.Model;

/// <summary>
/// A forward pass of <see cref="DnaModel"/>: the encoder output plus the logits of each head the model has
/// (null otherwise). MLM (B, T, vocab); sequence (B, labels); token (B, T, labels).
/// </summary>
public sealed record ModelOutput(EncoderOutput Encoder, Tensor? MlmLogits, Tensor? SequenceLogits, Tensor? TokenLogits)
{
    public Tensor LastHiddenState => Encoder.LastHiddenState;
}
