using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Layers;

/// <summary>The activations named by <c>hidden_act</c> in Hugging Face configs.</summary>
public static class ActivationFunctions
{
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),                                   // exact (erf) GELU, as HF "gelu" and bert4keras
        "gelu_new" or "gelu_pytorch_tanh" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        _ => throw new DnaInputException($"hidden_act '{name}' is not supported; allowed: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish"),
    };
}
