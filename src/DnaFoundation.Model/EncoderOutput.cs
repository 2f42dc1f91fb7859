using static TorchSharp.torch;

namespace DnaFoundation.Model;

/// <summary>
/// What the encoder returns. <see cref="LastHiddenState"/> is (B, T, hidden); <see cref="HiddenStates"/> (when asked)
/// holds the embedding output then every layer's output (the last one after a pre-LN model's final norm);
/// <see cref="Attentions"/> (when asked) holds each layer's (B, heads, T, T) probabilities, detached.
/// Outputs at padded positions are not defined (implementations differ there); read them through the mask.
/// </summary>
public sealed record EncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor> HiddenStates, IReadOnlyList<Tensor> Attentions);
