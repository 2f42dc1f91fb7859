using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Optimization;

/// <summary>
/// AdamW with two parameter groups: weight decay on matrices (linear weights, embeddings), none on biases and
/// normalisation weights — nanoGPT's rule (<c>p.dim() &gt;= 2</c>) plus any parameter under a norm module.
/// </summary>
public static class OptimizerFactory
{
    public static bool DecaysWeight(string name, Tensor parameter) =>
        parameter.dim() >= 2 && !name.Contains("norm", StringComparison.OrdinalIgnoreCase);

    public static AdamW Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerConfig c)
    {
        var decay = parameters.Where(p => DecaysWeight(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        var noDecay = parameters.Where(p => !DecaysWeight(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        var groups = new List<AdamW.ParamGroup>();
        if (decay.Count > 0) groups.Add(new AdamW.ParamGroup(decay, c.Lr, c.Beta1, c.Beta2, c.Eps, c.WeightDecay, false, false));
        if (noDecay.Count > 0) groups.Add(new AdamW.ParamGroup(noDecay, c.Lr, c.Beta1, c.Beta2, c.Eps, 0.0, false, false));
        return optim.AdamW(groups, c.Lr, c.Beta1, c.Beta2, c.Eps, c.WeightDecay);
    }
}
