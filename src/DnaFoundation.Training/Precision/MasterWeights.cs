using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Precision;

/// <summary>
/// The float32 weights the optimizer updates, paired by name with the model's (compute-dtype) parameters.
/// Under fp32 they are the model's own parameters; under bf16/fp16 they are float32 copies taken before the model
/// is cast, and <see cref="PushToModel"/> copies them back into the model after every optimizer step.
/// Checkpoints save the master weights, so a checkpoint is always float32.
/// </summary>
public sealed class MasterWeights : IDisposable
{
    private readonly bool separate;

    private MasterWeights(IReadOnlyList<(string Name, Parameter Master, Parameter Compute)> pairs, bool separate)
    {
        Pairs = pairs;
        this.separate = separate;
    }

    public IReadOnlyList<(string Name, Parameter Master, Parameter Compute)> Pairs { get; }

    public IReadOnlyList<(string Name, Parameter Parameter)> Named => Pairs.Select(p => (p.Name, p.Master)).ToList();

    /// <summary>Takes float32 master copies of <paramref name="model"/>'s parameters, then casts the model per the policy.</summary>
    public static MasterWeights Prepare(nn.Module model, PrecisionPolicy policy)
    {
        if (!policy.UsesMasterWeights)
        {
            var own = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter, p.parameter)).ToList();
            return new MasterWeights(own, separate: false);
        }
        var masters = new Dictionary<string, Parameter>();
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (p.requires_grad)
                    masters[name] = new Parameter(p.detach().to(ScalarType.Float32).clone());
        policy.CastModel(model);
        var pairs = model.named_parameters().Where(p => masters.ContainsKey(p.name)).Select(p => (p.name, masters[p.name], p.parameter)).ToList();
        var result = new MasterWeights(pairs, separate: true);
        // Casting the whole model and then the norms back to float32 rounded the norm weights through the half
        // type; copy the exact values back so a resumed run computes exactly as a continuing one.
        result.PushToModel();
        return result;
    }

    /// <summary>Copies the master weights into the model (no-op under fp32, where they are the same tensors).</summary>
    public void PushToModel()
    {
        if (!separate) return;
        using var _ = no_grad();
        foreach (var (_, master, compute) in Pairs) compute.copy_(master);
    }

    /// <summary>Overwrites the master weights (e.g. from a checkpoint) by name and pushes them to the model.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> weights)
    {
        using (no_grad())
            foreach (var (name, master, _) in Pairs)
            {
                if (!weights.TryGetValue(name, out var w))
                    throw new InvalidOperationException($"the checkpoint has no weight '{name}'");
                master.copy_(w);
            }
        PushToModel();
    }

    public void Dispose()
    {
        if (!separate) return;
        foreach (var (_, master, _) in Pairs) master.Dispose();
    }
}
