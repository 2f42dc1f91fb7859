using DnaFoundation.Core;
using DnaFoundation.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// A low-rank update of one slice of a frozen Linear weight: W[slice] = W₀[slice] + (alpha / r)·B·A, with A
/// initialised as PEFT does (Kaiming-uniform, a = √5) and B = 0, so the adapted model starts identical to the base.
/// </summary>
public sealed class LoraAdapter : Module
{
    private readonly Parameter lora_A, lora_B;
    private readonly Tensor frozen;

    public double Scale { get; }
    public long OutputOffset { get; }
    public long OutputCount { get; }

    public LoraAdapter(Tensor baseSlice, long outOffset, LoraOptions o, Generator generator) : base(nameof(LoraAdapter))
    {
        OutputOffset = outOffset;
        OutputCount = baseSlice.shape[0];
        long inFeatures = baseSlice.shape[1];
        Scale = o.Alpha / o.Rank;
        double bound = Math.Sqrt(6.0 / ((1 + 5.0) * inFeatures)); // kaiming_uniform_(a=√5): gain² = 2 / (1 + a²)
        lora_A = new Parameter(rand([o.Rank, inFeatures], generator: generator).mul_(2 * bound).sub_(bound).to(baseSlice.device));
        lora_B = new Parameter(zeros([OutputCount, o.Rank], device: baseSlice.device));
        frozen = baseSlice.detach().clone();
        register_buffer("frozen", frozen, persistent: false);
        RegisterComponents();
    }

    /// <summary>W₀ + scale·B·A for this slice.</summary>
    public Tensor Effective() => frozen + lora_B.matmul(lora_A) * Scale;

    /// <summary>Chain rule through W = W₀ + s·B·A: ∂L/∂A = s·Bᵀ·G, ∂L/∂B = s·G·Aᵀ for the slice's weight gradient G.</summary>
    public void AddGradients(Tensor g)
    {
        using var scope = NewDisposeScope();
        g = g.to(lora_A.dtype);
        AddTo(lora_A, lora_B.detach().t().matmul(g) * Scale);
        AddTo(lora_B, g.matmul(lora_A.detach().t()) * Scale);
    }

    private static void AddTo(Parameter p, Tensor grad)
    {
        if (p.grad is null) p.grad = grad.detach().clone().DetachFromDisposeScope();
        else p.grad.add_(grad);
    }
}

/// <summary>
/// LoRA in weight space: the adapted Linear weights are kept equal to W₀ + s·B·A (<see cref="Sync"/> after every
/// optimizer step), backward computes each adapted weight's gradient G as usual, and <see cref="PullGradients"/>
/// turns G into the adapters' gradients; the base weights are never updated. This gives exactly LoRA's update and
/// needs no change to the model's forward (the fused q/k/v projection gets one adapter per targeted slice).
/// Not supported: dropout on the adapter input (PEFT's lora_dropout), which has no weight-space form.
/// </summary>
public sealed class LoraAttachment : Module
{
    private readonly ModuleList<LoraAdapter> adapters = new();
    private readonly List<(Parameter Weight, LoraAdapter Adapter)> links = [];

    private LoraAttachment() : base(nameof(LoraAttachment)) { }

    /// <summary>Which of the model's Linear layers a target names (HF-style names → our fused layout), and which third of qkv.</summary>
    private static (string Suffix, int Slice)? Locate(string target) => target switch
    {
        "query" => ("attention.qkv", 0),
        "key" => ("attention.qkv", 1),
        "value" => ("attention.qkv", 2),
        "dense" => ("attention.dense", -1),
        "ffn_up" => ("ffn.up", -1),
        "ffn_down" => ("ffn.down", -1),
        _ => null,
    };

    public static LoraAttachment Attach(DnaModel model, LoraOptions o, long seed)
    {
        if (o.Dropout != 0)
            throw new DnaInputException($"lora dropout {o.Dropout}: adapter-input dropout is not supported by weight-space LoRA; set it to 0 (the model's own dropout still applies)");
        var att = new LoraAttachment();
        var gen = new Generator((ulong)seed);
        var linears = model.named_modules().Where(m => m.module is Linear && m.name.StartsWith("encoder.", StringComparison.Ordinal)).ToList();
        using (no_grad())
            foreach (var target in o.TargetModules)
            {
                var where = Locate(target) ?? throw new DnaInputException($"LoRA target '{target}' is not known; use query, key, value, dense, ffn_up, ffn_down");
                foreach (var (_, module) in linears.Where(l => l.name.EndsWith(where.Suffix, StringComparison.Ordinal)))
                {
                    var w = ((Linear)module).weight!;
                    long count = where.Slice < 0 ? w.shape[0] : w.shape[0] / 3, offset = where.Slice < 0 ? 0 : where.Slice * count;
                    var adapter = new LoraAdapter(w.narrow(0, offset, count), offset, o, gen);
                    att.adapters.Add(adapter);
                    att.links.Add((w, adapter));
                }
            }
        if (att.links.Count == 0) throw new DnaInputException($"LoRA targets {string.Join(",", o.TargetModules)} match no layer of this model");
        // Freeze the encoder; heads and adapters train (PEFT's modules_to_save for SEQ_CLS/TOKEN_CLS).
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = !name.StartsWith("encoder.", StringComparison.Ordinal) && !name.StartsWith("mlm.", StringComparison.Ordinal);
        att.RegisterComponents();
        return att;
    }

    public int Count => links.Count;

    /// <summary>
    /// Turns on gradients for the adapted weights (after the optimizer's parameter list was taken without them).
    /// </summary>
    public void EnableWeightGradients()
    {
        foreach (var w in links.Select(l => l.Weight).Distinct()) w.requires_grad = true;
    }

    /// <summary>Writes W₀ + s·B·A into every adapted slice.</summary>
    public void Sync()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (w, a) in links) w.narrow(0, a.OutputOffset, a.OutputCount).copy_(a.Effective());
    }

    /// <summary>Moves the adapted weights' gradients into the adapters and clears them.</summary>
    public void PullGradients()
    {
        using var _ = no_grad();
        foreach (var (w, a) in links)
            if (w.grad is not null) a.AddGradients(w.grad.narrow(0, a.OutputOffset, a.OutputCount));
        foreach (var w in links.Select(l => l.Weight).Distinct()) w.grad?.zero_();
    }

    /// <summary>Leaves the merged weights in the model and freezes them again: it saves and runs without adapters.</summary>
    public void MergeInto()
    {
        Sync();
        foreach (var w in links.Select(l => l.Weight).Distinct())
        {
            w.requires_grad = false;
            w.grad = null;
        }
    }
}
