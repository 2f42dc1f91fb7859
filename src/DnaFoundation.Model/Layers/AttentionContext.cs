using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// What every layer's attention needs for one forward pass, built once per batch by the encoder:
/// the additive float bias (padding as a large negative number, plus ALiBi) and the rotary tables.
/// When <see cref="Probabilities"/> is non-null the layers take the eager path and append their (B, heads, T, T)
/// attention probabilities to it.
/// </summary>
public sealed class AttentionContext
{
    /// <summary>(B|1, heads|1, T, T) added to the scaled scores; null when nothing is masked and no ALiBi.</summary>
    public Tensor? Bias { get; init; }

    public Tensor? RotaryCos { get; init; }
    public Tensor? RotarySin { get; init; }

    public List<Tensor>? Probabilities { get; init; }

    /// <summary>When non-null, each layer's fast path appends the kernel libtorch picks for its call (diagnostics).</summary>
    public List<Runtime.AttentionKernel>? Kernels { get; init; }

    /// <summary>The scope that owns collected probabilities (the encoder's), so they outlive each layer's scope.</summary>
    public DisposeScope? ProbabilityScope { get; init; }

    internal void Collect(Tensor probabilities) =>
        Probabilities!.Add(ProbabilityScope is null ? probabilities : probabilities.MoveToOtherDisposeScope(ProbabilityScope));
}
