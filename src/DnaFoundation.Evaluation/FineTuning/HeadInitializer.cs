using DnaFoundation.Model;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// New heads are initialised explicitly from their own seeded generator — weights normal(0, initializer_range),
/// biases 0 — so a head never starts from uninitialised memory (Caduceus #37) and two runs with one seed start
/// identically whatever else consumed the global RNG.
/// </summary>
public static class HeadInitializer
{
    public static readonly string[] HeadPrefixes = ["sequence.", "token."];

    /// <param name="only">Initialise just these parameters (those a checkpoint lacked, e.g. DNABERT-2's pooler);
    /// null = every head parameter.</param>
    /// <returns>The names of the parameters initialised.</returns>
    public static IReadOnlyList<string> Initialize(DnaModel model, long seed, IReadOnlyCollection<string>? only = null)
    {
        using var _ = no_grad();
        var gen = new Generator((ulong)seed);
        var names = new List<string>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!HeadPrefixes.Any(h => name.StartsWith(h, StringComparison.Ordinal))) continue;
            if (only is not null && !only.Contains(name)) continue;
            if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
            else p.copy_(normal(0, model.Config.InitializerRange, p.shape, generator: gen));
            names.Add(name);
        }
        return names;
    }
}
