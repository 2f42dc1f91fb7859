using DnaFoundation.Core;
using DnaFoundation.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// A low-rank update of one slice of a frozen Linear layer's output: y[slice] += (alpha / r)·B·A·dropout(x), with A
/// initialised as PEFT does (Kaiming-uniform, a = √5) and B = 0, so the adapted model starts identical to the base.
/// </summary>
public sealed class LoraAdapter : Module
{
    private readonly Parameter lora_A, lora_B;
    private readonly long outputWidth;

    public double Scale { get; }
    public double Dropout { get; }
    public long OutputOffset { get; }
    public long OutputCount { get; }

    /// <param name="outputWidth">The adapted layer's output features; the adapter covers [outOffset, outOffset + outCount).</param>
    public LoraAdapter(long inFeatures, long outputWidth, long outOffset, long outCount, LoraOptions o, Generator generator, Device device) : base(nameof(LoraAdapter))
    {
        this.outputWidth = outputWidth;
        OutputOffset = outOffset;
        OutputCount = outCount;
        Scale = o.Alpha / o.Rank;
        Dropout = o.Dropout;
        double bound = Math.Sqrt(6.0 / ((1 + 5.0) * inFeatures)); // kaiming_uniform_(a=√5): gain² = 2 / (1 + a²)
        lora_A = new Parameter(rand([o.Rank, inFeatures], generator: generator).mul_(2 * bound).sub_(bound).to(device));
        lora_B = new Parameter(zeros([OutputCount, o.Rank], device: device));
        RegisterComponents();
    }

    /// <summary>
    /// Adds scale·dropout(x)·Aᵀ·Bᵀ into the adapter's output columns of <paramref name="y"/> (the layer's output), in
    /// place: a Linear keeps its input, not its output, for backward, so autograd allows it, and only the slice is touched.
    /// </summary>
    public Tensor AddTo(Tensor y, Tensor x, bool training)
    {
        var h = Dropout > 0 ? functional.dropout(x, Dropout, training) : x;
        var d = h.matmul(lora_A.t()).matmul(lora_B.t()).mul(Scale);
        (OutputCount == outputWidth ? y : y.narrow(-1, OutputOffset, OutputCount)).add_(d);
        return y;
    }

    /// <summary>scale·B·A: the change of the slice's weight this adapter stands for.</summary>
    public Tensor WeightUpdate() => lora_B.matmul(lora_A) * Scale;
}

/// <summary>
/// LoRA in the forward pass, as PEFT: each targeted Linear layer gets a forward hook adding its adapters' low-rank
/// term to the layer's output (the fused q/k/v projection gets one adapter per targeted slice); autograd then gives
/// the adapters' gradients directly, and the frozen base weights get none. <see cref="MergeInto"/> writes
/// W₀ + s·B·A into the weights and removes the hooks, so the result saves and runs without adapters.
/// </summary>
public sealed class LoraAttachment : Module
{
    private readonly ModuleList<LoraAdapter> adapters = new();
    private readonly List<(Parameter Weight, LoraAdapter Adapter)> links = [];
    private readonly List<Action> removeHooks = [];

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
        var att = new LoraAttachment();
        var gen = new Generator((ulong)seed);
        var linears = model.named_modules().Where(m => m.module is Linear && m.name.StartsWith("encoder.", StringComparison.Ordinal)).ToList();
        using (no_grad())
            foreach (var target in o.TargetModules)
            {
                var where = Locate(target) ?? throw new DnaInputException($"LoRA target '{target}' is not known; use query, key, value, dense, ffn_up, ffn_down");
                foreach (var (_, module) in linears.Where(l => l.name.EndsWith(where.Suffix, StringComparison.Ordinal)))
                {
                    var layer = (Linear)module;
                    var w = layer.weight!;
                    long count = where.Slice < 0 ? w.shape[0] : w.shape[0] / 3, offset = where.Slice < 0 ? 0 : where.Slice * count;
                    var adapter = new LoraAdapter(w.shape[1], w.shape[0], offset, count, o, gen, w.device);
                    att.adapters.Add(adapter);
                    att.links.Add((w, adapter));
                    // The layer's own training flag decides the adapter's dropout (the adapters are not under the model).
                    att.removeHooks.Add(layer.register_forward_hook((m, x, y) => adapter.AddTo(y, x, m.training)).remove);
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

    /// <summary>Adds s·B·A into every adapted slice and removes the hooks: the model then saves and runs without adapters.</summary>
    public void MergeInto()
    {
        foreach (var remove in removeHooks) remove();
        removeHooks.Clear();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (w, a) in links) w.narrow(0, a.OutputOffset, a.OutputCount).add_(a.WeightUpdate().to(w.dtype));
    }
}
